/**
 * Reads what a ComfyUI 0.8.0 recording's socket received and compares it with what our server sent, with
 * the legitimately variable parts normalised. Each normalisation is explained where it is made.
 */
import assert from 'node:assert/strict';
import { type HttpLine, loadTranscript } from '../../fakes/replayTranscript';
import type { Frame } from './serverHarness';

/** The frames the recording's socket received, in order; binary ones as serverHarness's `binaryFrame` makes them. */
export function recordedFrames(scenario: string): Frame[] {
  return loadTranscript(scenario).flatMap((l): Frame[] => {
    if (l.kind === 'ws') return [l.msg as Frame];
    if (l.kind === 'ws_binary') return [{ type: `binary:${l.event_type}`, data: l.metadata }];
    return [];
  });
}

/** The recorded HTTP exchanges, in order. */
export function recordedHttp(scenario: string): HttpLine[] {
  return loadTranscript(scenario).filter((l): l is HttpLine => l.kind === 'http');
}

/** The bodies the recorder posted to `/prompt`, in order. */
export function recordedPromptBodies(scenario: string): Record<string, unknown>[] {
  return recordedHttp(scenario)
    .filter((l) => l.method === 'POST' && l.path === '/prompt' && l.request !== undefined)
    .map((l) => l.request as Record<string, unknown>);
}

/** Message types that describe node activity inside a run. */
const NODE_ACTIVITY = new Set([
  'progress_state',
  'executing',
  'progress',
  'executed',
  'binary:1',
  'binary:4',
]);

/**
 * The prompt of each frame, or undefined for frames of no prompt. A legacy (type-1) preview names no
 * prompt; it belongs to the prompt whose message came just before it, as clients attribute it to the
 * prompt that is running.
 */
function promptsOf(frames: Frame[]): (string | undefined)[] {
  let last: string | undefined;
  return frames.map((f) => {
    const id = f.data?.prompt_id;
    if (typeof id === 'string') return (last = id);
    return f.type === 'binary:1' ? last : undefined;
  });
}

/**
 * The type sequence of each prompt, in the order the prompts first appear (ids differ between runs, so
 * prompts are matched by order). `executing {node: null}` is kept apart as `executing:null`, since it is
 * the end of a prompt rather than node activity. Binary frames appear as `binary:<event type>`.
 */
export function perPrompt(frames: Frame[]): string[][] {
  const order: string[] = [];
  const types = new Map<string, string[]>();
  const prompts = promptsOf(frames);
  for (const [i, f] of frames.entries()) {
    const id = prompts[i];
    if (id === undefined) continue;
    if (!types.has(id)) {
      order.push(id);
      types.set(id, []);
    }
    types.get(id)!.push(f.type === 'executing' && f.data?.node === null ? 'executing:null' : f.type);
  }
  return order.map((id) => collapseInterrupted(types.get(id)!));
}

/**
 * For an interrupted prompt, the node activity before `execution_interrupted` (after `execution_cached`) is
 * reduced to the set of its message types. How many nodes start after the interrupt was sent and before it
 * lands depends on timing and on where nodes check for it (ComfyUI checks only between nodes; the engine
 * also inside long nodes), so the count and order of those messages legitimately differ.
 */
function collapseInterrupted(types: string[]): string[] {
  const end = types.indexOf('execution_interrupted');
  // A headless prompt's messages start at node activity: `execution_cached` is not sent then.
  const start = types.indexOf('execution_cached');
  if (end < 0) return types;
  const middle = [...new Set(types.slice(start + 1, end).filter((t) => NODE_ACTIVITY.has(t)))].sort();
  return [...types.slice(0, start + 1), `activity{${middle.join(',')}}`, ...types.slice(end)];
}

/**
 * The frames that belong to no prompt. `status` frames are compared by count only (see
 * {@link assertSameStatuses}): where each one falls relative to other prompts' messages and to HTTP
 * replies depends on timing, as the recordings README says.
 */
export function globalTypes(frames: Frame[]): string[] {
  const prompts = promptsOf(frames);
  return frames.filter((f, i) => prompts[i] === undefined && f.type !== 'status').map((f) => f.type);
}

/**
 * The headers of the type-4 previews, without the prompt id (which differs between runs): the keys in
 * order and the node fields and image type as sent.
 */
export function previewHeaders(frames: Frame[]): Record<string, unknown>[] {
  return frames
    .filter((f) => f.type === 'binary:4')
    .map((f) => {
      const { prompt_id, ...rest } = f.data ?? {};
      assert.equal(typeof prompt_id, 'string', 'a type-4 header names its prompt');
      return { keys: Object.keys(f.data ?? {}), ...rest };
    });
}

/**
 * Status frames: the same number (one per queue change: put, take, finish, delete, clear), the first with
 * the socket's `sid`, and the same final count. The counts in between depend on when each POST landed
 * relative to the run, so they are not compared one by one.
 */
export function assertSameStatuses(ours: Frame[], recorded: Frame[]): void {
  const statuses = (frames: Frame[]) => frames.filter((f) => f.type === 'status');
  const remaining = (f: Frame | undefined) =>
    (f?.data as { status?: { exec_info?: { queue_remaining?: number } } } | undefined)?.status?.exec_info
      ?.queue_remaining;
  const [o, r] = [statuses(ours), statuses(recorded)];
  assert.equal(o.length, r.length, 'number of status messages');
  assert.equal(typeof o[0]?.data?.sid, 'string', 'the first status carries the sid');
  assert.equal(remaining(o.at(-1)), remaining(r.at(-1)), 'the final queue count');
}
