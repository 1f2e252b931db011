/**
 * A ComfyUI server as a run target, through the public calls of our wire client: local input files are
 * uploaded first and the prompt uses the names the server returned; the prompt is submitted under an id we
 * choose (so every event of it is forwarded from the first); outputs are downloaded into the job's folder, laid out as the
 * embedded target lays them out (remoteResults.ts); a prompt the server no longer knows ends `lost`;
 * aborting the signal cancels the prompt on the server (dequeued if it waits, interrupted if it runs).
 *
 * Submission is idempotent. The prompt id is chosen, and kept through `hooks.submitting` (a durable
 * scheduler writes it to its store), before the POST. When the POST fails in a way that may have reached
 * the server (a timeout, a dropped connection), the client asks the server about that id before anything
 * else happens: a prompt it has is followed, and only a prompt it does not have counts as not submitted
 * (`ComfyClient.submitIdempotent`). A restarted runner takes jobs back the same way (`resume`), under the
 * same client id and prompt id; whether a prompt the server does not know is lost or was never submitted
 * is the job's to say, so it is decided here.
 *
 * Downloads go straight to their places in the job's folder (remoteResults.ts `outputPlaces`), each
 * through a hidden temporary file renamed into place when complete, so a file under its final name is
 * always complete. (They went to a staging folder first, and were moved from there: a folder made and
 * removed per prompt, which costs more CPU than the rest of the download on some file systems.)
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComfyClient } from '../../comfy/client';
import type { OutputFolder } from '../../comfy/outputs';
import type { OpenedPrompt } from '../../comfy/submitIdempotent';
import { runsPartialTargets } from '../../protocol/serverVersion';
import { partialPrompt } from '../../workflow/partialPrompt';
import type { ApiPrompt, NodeDefs } from '../../workflow/types';
import type { Job } from '../../jobs/job';
import { uploadLocalInputs, withLocalInputs } from './remoteInputs';
import { discardPartials, lostRemote, outputPlaces, settleRemote } from './remoteResults';
import { rejectionWithProblems } from './rejectionWithProblems';
import type { ProbeResult, RunHooks, RunResult, RunTarget } from './runTarget';

/** Options of {@link remoteTarget}. */
export interface RemoteTargetOptions {
  /**
   * The client of the server; the target owns it and disposes it. Jobs taken back after a restart are
   * followed best under the client id that submitted them (the server sends a prompt's events to it).
   */
  client: ComfyClient;
  /** The folder LoadImage file names are looked up in before they are uploaded. */
  inputDir: string;
  /** The name shown to the user. @default the server's URL, without credentials */
  name?: string;
  /** The server's node definitions, when the caller has them already. @default asked of the client */
  definitions?: NodeDefs;
}

/** What runs and resumptions on one server share. */
interface Remote {
  readonly client: ComfyClient;
  readonly name: string;
  readonly inputDir: string;
  readonly definitions: () => Promise<NodeDefs>;
  /** `system_stats.system.comfyui_version`, once a run or resumption asked for it. */
  readonly version: () => string | undefined;
}

/** One job on the server under one prompt id. */
interface Attempt {
  readonly job: Job;
  readonly hooks: RunHooks;
  readonly signal: AbortSignal;
  readonly promptId: string;
}

/**
 * How an attempt gets hold of its prompt on the server, given where to download its outputs: the
 * prompt followed, or a result reached without following anything.
 */
type Opener = (outputs: OutputFolder) => Promise<OpenedPrompt | { ended: RunResult }>;

/** A run target over a ComfyUI server. */
export function remoteTarget(options: RemoteTargetOptions): RunTarget {
  const { client, inputDir } = options;
  let version: string | undefined;
  const given = options.definitions;
  // The client asks once and remembers, and asks again after a failure.
  const definitions = (): Promise<NodeDefs> => (given ? Promise.resolve(given) : client.nodeDefinitions());
  const name = options.name ?? client.displayName;
  const remote: Remote = { client, name, inputDir, definitions, version: () => version };
  const noteVersion = async () => {
    version ??= (await client.capabilities().catch(() => undefined))?.version;
  };
  return {
    name,
    get version() {
      return version;
    },
    // Local input files count as present: they are uploaded before each prompt.
    capabilities: async () => withLocalInputs(await definitions(), inputDir),
    health: () => serverHealth(client),
    run: async (job, hooks, signal) => {
      await noteVersion();
      return runRemote(remote, job, hooks, signal);
    },
    resume: async (job, hooks, signal) => {
      await noteVersion();
      return resumeRemote(remote, job, hooks, signal);
    },
    dispose: () => client.dispose(),
  };
}

/** Up when the server answers `/system_stats` as a ComfyUI server; down with the reason otherwise. */
async function serverHealth(client: ComfyClient): Promise<ProbeResult> {
  try {
    await client.ping();
    return { up: true };
  } catch (e) {
    return { up: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Submits the job under a new prompt id, kept before the POST. */
async function runRemote(remote: Remote, job: Job, hooks: RunHooks, signal: AbortSignal): Promise<RunResult> {
  const prompt = await uploadedPrompt(remote, job);
  if (signal.aborted) return { status: 'interrupted', outputs: [] };
  const promptId = randomUUID();
  // Whatever becomes of the POST, this id is what the server is asked about before any resubmission.
  await hooks.submitting?.(promptId);
  if (signal.aborted) return { status: 'interrupted', outputs: [] };
  const attempt = { job, hooks, signal, promptId };
  return followThrough(remote.client, attempt, (outputs) => submitOnce(remote, prompt, attempt, outputs));
}

/**
 * Takes back a job that was on the server under `job.promptId`: followed if the server has it (finished
 * meanwhile: its outputs are collected), lost if the server accepted it once and no longer knows it, and
 * submitted under the same id if it was never accepted and the server does not have it. A server that
 * cannot be asked now is followed anyway: it is polled, and the job ends lost if it stays unreachable.
 */
async function resumeRemote(
  remote: Remote,
  job: Job,
  hooks: RunHooks,
  signal: AbortSignal,
): Promise<RunResult> {
  const promptId = job.promptId;
  if (promptId === undefined) return runRemote(remote, job, hooks, signal);
  const attempt = { job, hooks, signal, promptId };
  // A runner that died mid-download may have left part of a file: hidden beside its place, or in the
  // staging folder runners downloaded into before.
  await rm(join(job.outDir, `.download-${promptId}`), { recursive: true, force: true });
  await discardPartials(job);
  const accepted = job.state === 'running' || job.times.accepted !== undefined;
  return followThrough(remote.client, attempt, async (outputs) => {
    const resumed = await remote.client.resume(promptId, job.prompt, { outputDir: outputs });
    if (resumed.kind === 'following') return resumed;
    if (accepted) return { ended: lostRemote(promptId, remote.name) };
    const prompt = await uploadedPrompt(remote, job);
    if (signal.aborted) return { ended: { status: 'interrupted', outputs: [] } };
    return submitOnce(remote, prompt, attempt, outputs);
  });
}

/** The job's prompt with local input files uploaded and named as the server named them. */
async function uploadedPrompt(remote: Remote, job: Job): Promise<ApiPrompt> {
  const upload = (data: Uint8Array, filename: string, subfolder: string) =>
    remote.client.uploadImage(data, filename, { subfolder });
  return uploadLocalInputs(job.prompt, await remote.definitions(), remote.inputDir, upload);
}

/**
 * Submits the prompt once under the attempt's id, idempotently (the client asks the server about the id
 * when the outcome of the POST is unknown). A rejection has its problems spelled out.
 */
async function submitOnce(
  remote: Remote,
  prompt: ApiPrompt,
  a: Attempt,
  outputs: OutputFolder,
): Promise<OpenedPrompt> {
  const extraData = a.job.extraPngInfo ? { extra_pnginfo: a.job.extraPngInfo } : undefined;
  const split = a.job.split;
  // A part of a split run sends the whole prompt and runs its outputs of it, so the files it saves
  // carry the whole prompt as the whole run's would (ComfyUI's `partial_execution_targets`). A server
  // too old to know that field would run everything: it gets the prompt pruned to the part instead.
  const targets = split && runsPartialTargets(remote.version());
  try {
    return await remote.client.submitIdempotent(
      split && !targets ? partialPrompt(prompt, split.outputs) : prompt,
      {
        promptId: a.promptId,
        extraData,
        outputDir: outputs,
        ...(targets && { partialExecutionTargets: split.outputs }),
      },
    );
  } catch (e) {
    throw rejectionWithProblems(e, a.job);
  }
}

/** Forwards the server's messages about one prompt to the hooks, from before it is submitted. */
function forwardEvents(client: ComfyClient, promptId: string, hooks: RunHooks, start: () => void) {
  return client.messagesOf(promptId, (message) => {
    if (message.type === 'execution_start') start();
    hooks.event(message);
  });
}

/**
 * Opens the attempt's prompt on the server and follows it to a result: events forwarded, acceptance
 * reported once the server confirmed it, a start found by polling reported too, and an abort turned
 * into a cancel on the server.
 */
async function followThrough(client: ComfyClient, a: Attempt, open: Opener): Promise<RunResult> {
  const { job, hooks, signal, promptId } = a;
  // The start is told once, whether `execution_start` or a poll of a silent prompt shows it first.
  let started = false;
  const start = () => {
    if (!started) hooks.started();
    started = true;
  };
  const forwarding = forwardEvents(client, promptId, hooks, start);
  // Cancelling before the server answered is fine: the client cancels as soon as it has.
  const onAbort = () => void client.cancel(promptId).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const opened = await open(outputPlaces(job));
    if ('ended' in opened) return opened.ended;
    const { run, confirmed } = opened;
    if (signal.aborted) void run.cancel().catch(() => undefined);
    if (confirmed) hooks.accepted(run.promptId);
    for (const w of run.warnings) hooks.warning(w.message);
    // Only until the start: a snapshot per message of a prompt of thousands of nodes costs time growing
    // with the square of its size, and the scheduler follows progress from the events it is forwarded.
    const starts = run.onProgress((p) => {
      if (p.state !== 'running') return;
      start();
      starts.dispose();
    });
    const previews = run.onPreview((f) =>
      hooks.preview?.({ mimeType: f.mimeType, bytes: f.image, ...(f.nodeId && { node: f.nodeId }) }),
    );
    try {
      if (run.progress().state === 'running') {
        start();
        starts.dispose();
      }
      return await settleRemote(run.result, job);
    } finally {
      starts.dispose();
      previews.dispose();
    }
  } finally {
    forwarding.dispose();
    signal.removeEventListener('abort', onAbort);
  }
}
