/**
 * Rebuilds what we believe about our prompts from what the server says, after any gap in the event stream
 * (a reconnect, or a prompt that has been silent too long): the server's queue, its history and, when it
 * has one, its jobs API are the authority (comfyui-protocol.md 4.6). A prompt the server no longer knows is
 * lost; it is never left "running" and never resubmitted.
 */
import { getHistoryEntry, getJob, getQueue } from './endpoints';
import type { ComfyHttp } from './http';
import type { PromptTracker } from './promptTracker';
import type { HistoryEntry } from './replies';

/** What the server says about one prompt. */
export type PromptVerdict =
  { kind: 'pending' } | { kind: 'running' } | { kind: 'finished'; entry: HistoryEntry } | { kind: 'unknown' };

/** Asks the server about the given prompts: one `/queue`, then history (and jobs) for the ones not in it. */
export async function askServer(
  api: ComfyHttp,
  promptIds: string[],
  jobsApi: boolean,
): Promise<Map<string, PromptVerdict>> {
  const queue = await getQueue(api);
  const running = new Set(queue.queue_running.map((q) => q.promptId));
  const pending = new Set(queue.queue_pending.map((q) => q.promptId));
  const verdicts = new Map<string, PromptVerdict>();
  for (const id of promptIds) {
    if (running.has(id)) verdicts.set(id, { kind: 'running' });
    else if (pending.has(id)) verdicts.set(id, { kind: 'pending' });
    else verdicts.set(id, await outsideQueue(api, id, jobsApi));
  }
  return verdicts;
}

async function outsideQueue(api: ComfyHttp, id: string, jobsApi: boolean): Promise<PromptVerdict> {
  const entry = await getHistoryEntry(api, id);
  if (entry) return { kind: 'finished', entry };
  if (!jobsApi) return { kind: 'unknown' };
  // The queue may have moved on between our two reads; the jobs API sees both at once.
  const job = await getJob(api, id);
  if (job?.status === 'pending') return { kind: 'pending' };
  if (job?.status === 'in_progress') return { kind: 'running' };
  const late = job ? await getHistoryEntry(api, id) : undefined;
  return late ? { kind: 'finished', entry: late } : { kind: 'unknown' };
}

/** What the client should do about one tracker after asking the server. */
export type ResyncAction =
  | { kind: 'none' }
  /** The server runs it though we never heard `execution_start`: our socket may be deaf. */
  | { kind: 'started' }
  /** The server finished it; finalise from this entry. `missed` means no terminal event reached us. */
  | { kind: 'finalise'; entry: HistoryEntry; missed: boolean }
  /** It is gone from the queue after we asked to cancel it. */
  | { kind: 'dequeued' }
  | { kind: 'lost'; why: string };

/** Decides what to do about a tracker given the server's verdict. */
export function resyncAction(tracker: PromptTracker, verdict: PromptVerdict): ResyncAction {
  switch (verdict.kind) {
    case 'pending':
      return { kind: 'none' };
    case 'running':
      return tracker.state === 'queued' ? { kind: 'started' } : { kind: 'none' };
    case 'finished':
      return { kind: 'finalise', entry: verdict.entry, missed: tracker.ending === undefined };
    case 'unknown':
      // Our own cancel may have just removed it from the queue; that is a cancel, not a loss.
      if (tracker.cancelRequested) return { kind: 'dequeued' };
      return { kind: 'lost', why: 'the server no longer knows it (restarted, or removed by someone else)' };
  }
}
