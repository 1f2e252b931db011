/**
 * Cancelling one prompt without touching anyone else's (comfyui-protocol.md 4.5): a queued prompt is
 * deleted from the queue; a running one is cancelled through the jobs API when the server has it, else
 * interrupted by its id. A global `/interrupt` is never sent.
 */
import { cancelJob, deleteQueued, interruptPrompt } from './endpoints';
import type { ComfyHttp } from './http';
import type { PromptTracker } from './promptTracker';
import { askServer, type PromptVerdict } from './resync';

/** Servers whose jobs API turned out to have no cancel route (2025-12 to 2026-06). */
const noJobsCancel = new WeakSet<ComfyHttp>();

async function interruptRunning(api: ComfyHttp, promptId: string, jobsApi: boolean): Promise<void> {
  if (jobsApi && !noJobsCancel.has(api)) {
    const answer = await cancelJob(api, promptId);
    if (answer !== 'unsupported') return;
    noJobsCancel.add(api);
  }
  await interruptPrompt(api, promptId);
}

/**
 * Asks the server to cancel a prompt. For a queued prompt it returns what the server says afterwards (gone,
 * finished meanwhile, or started meanwhile, in which case it was interrupted too); the caller applies it.
 */
export async function cancelPrompt(
  api: ComfyHttp,
  tracker: PromptTracker,
  jobsApi: boolean,
): Promise<PromptVerdict | undefined> {
  const id = tracker.promptId;
  if (tracker.state === 'queued') {
    await deleteQueued(api, [id]);
    const verdict = (await askServer(api, [id], jobsApi)).get(id);
    // It may have started between our look and the deletion; then it needs interrupting.
    if (verdict?.kind !== 'running') return verdict;
  }
  await interruptRunning(api, id, jobsApi);
  return undefined;
}
