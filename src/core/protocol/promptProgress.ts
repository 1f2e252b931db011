/**
 * A prompt's node progress, reduced from ComfyUI's messages (the engine and real servers send the same
 * ones): which of its nodes came from the cache, which run and how far, which are done. The one reducer
 * behind the scheduler's job progress, the command line's live view and the ComfyUI client's prompt runs.
 * It is kept apart from the state of the job or prompt, as the house style asks (rule 6).
 *
 * Feed it the messages of one prompt, in order (callers route them by prompt id); messages it has no use
 * for change nothing. Only nodes of the submitted prompt are counted: ids a server makes up when a node
 * expands are mapped to the prompt's node they stand for (`real_node_id`) or left out.
 */
import type { ApiPrompt } from '../workflow/types';
import type { MessageData, ServerMessage } from './comfyMessages';

/** Where one node of a prompt stands. */
export type NodePhase =
  /** Not started yet, or stopped (an error, an interrupt) before it finished. */
  | 'pending'
  /** Its outputs come from the cache (`execution_cached`): it does not run, and stays cached. */
  | 'cached'
  /** Started and not finished; its steps are in {@link PromptProgress.running}. */
  | 'running'
  /** Ran to its end. */
  | 'done';

/** Step progress of a running node: `value` of `max` steps (0 of 1 until it reports steps). */
export interface NodeSteps {
  value: number;
  max: number;
}

/** A prompt's node progress; plain JSON. The counts tally {@link PromptProgress.phase}. */
export interface PromptProgress {
  /** Nodes in the prompt. */
  total: number;
  /** Nodes served from the cache. */
  cached: number;
  /** Nodes that ran to their end (cached nodes are not counted again, even when they replay output). */
  done: number;
  /** Nodes running now by id, in the order they started, with their step progress. */
  running: Record<string, NodeSteps>;
  /** Every node of the prompt by id, and where it stands. */
  phase: Record<string, NodePhase>;
  /**
   * True once a `progress_state` snapshot arrived. Servers that send them (2025-07+, and the engine, which
   * runs nodes side by side) say in each which nodes run; older ones only say which node starts, and the
   * node that ran before it has then finished.
   */
  snapshots: boolean;
}

/** The progress of a prompt that has not started: every node pending. */
export function initialProgress(prompt: ApiPrompt): PromptProgress {
  const phase: Record<string, NodePhase> = {};
  for (const id of Object.keys(prompt)) phase[id] = 'pending';
  return { total: Object.keys(phase).length, cached: 0, done: 0, running: {}, phase, snapshots: false };
}

/** Updates `p` in place from one message of its prompt. */
export function applyProgressMessage(p: PromptProgress, message: ServerMessage): void {
  switch (message.type) {
    case 'execution_cached':
      for (const id of message.data.nodes) move(p, id, 'cached');
      return;
    case 'executing':
      return message.data.node === null ? stopProgress(p) : onExecuting(p, message.data);
    case 'progress':
      return onProgress(p, message.data);
    case 'progress_state':
      return onSnapshot(p, message.data);
    case 'executed':
      return move(p, message.data.node, 'done');
    case 'execution_success':
      return completeProgress(p);
    case 'execution_error':
      // ExecutionBlocked only reports a node that blocked its downstream; the run goes on.
      if (message.data.exception_type !== 'ExecutionBlocked') stopProgress(p);
      return;
    case 'execution_interrupted':
      return stopProgress(p);
    default:
      return;
  }
}

/** The prompt completed: every node that was not cached is done. */
export function completeProgress(p: PromptProgress): void {
  for (const id of Object.keys(p.phase)) if (p.phase[id] !== 'cached') move(p, id, 'done');
}

/** The prompt stopped (it failed, was interrupted, or was lost): nodes that were running are pending again. */
export function stopProgress(p: PromptProgress): void {
  for (const id of Object.keys(p.running)) move(p, id, 'pending');
}

/** The nodes finished, whether they ran or came from the cache. */
export function finishedCount(p: PromptProgress): number {
  return p.cached + p.done;
}

/** The fraction of the prompt done, 0..1, counting cached nodes as done and running nodes by their steps. */
export function progressFraction(p: PromptProgress): number {
  if (p.total === 0) return 1;
  const partial = Object.values(p.running).reduce((s, r) => s + (r.max > 0 ? r.value / r.max : 0), 0);
  return Math.min(1, (finishedCount(p) + partial) / p.total);
}

/** The node that started last among those running, if any. */
export function lastRunning(p: PromptProgress): string | undefined {
  return Object.keys(p.running).at(-1);
}

function onExecuting(p: PromptProgress, data: MessageData<'executing'>): void {
  const id = nodeOf(p, data.node, data.display_node);
  if (id === undefined) return;
  // Without snapshots, one node runs at a time: the one before it has finished.
  if (!p.snapshots) for (const other of Object.keys(p.running)) if (other !== id) move(p, other, 'done');
  if (p.phase[id] !== 'running') run(p, id, { value: 0, max: 1 });
}

function onProgress(p: PromptProgress, data: MessageData<'progress'>): void {
  // Steps of a node outside the prompt (or of an unnamed one) belong to the node running it.
  const id = nodeOf(p, data.node) ?? lastRunning(p);
  if (id !== undefined) run(p, id, { value: data.value, max: data.max });
}

function onSnapshot(p: PromptProgress, data: MessageData<'progress_state'>): void {
  p.snapshots = true;
  const running = new Map<string, NodeSteps>();
  const finished = new Set<string>();
  for (const [key, node] of Object.entries(data.nodes)) {
    const id = nodeOf(p, node.real_node_id, node.node_id, key);
    if (id === undefined) continue;
    if (node.state === 'running') running.set(id, { value: node.value, max: node.max });
    else if (node.state === 'finished') finished.add(id);
  }
  // A snapshot lists every node that is not pending: a node it no longer shows running has stopped.
  for (const id of Object.keys(p.running)) if (!running.has(id)) move(p, id, 'pending');
  for (const id of finished) if (!running.has(id)) move(p, id, 'done');
  for (const [id, steps] of running) run(p, id, steps);
}

/** The first of `ids` that is a node of the prompt. */
function nodeOf(p: PromptProgress, ...ids: (string | null | undefined)[]): string | undefined {
  return ids.find((id): id is string => typeof id === 'string' && Object.hasOwn(p.phase, id));
}

/** Marks a node running with these steps (a cached node never runs). */
function run(p: PromptProgress, id: string, steps: NodeSteps): void {
  move(p, id, 'running');
  if (p.phase[id] === 'running') p.running[id] = steps;
}

/** Moves a node of the prompt to `next`, keeping the counts; a cached node stays cached, others are ignored. */
function move(p: PromptProgress, id: string, next: NodePhase): void {
  if (!Object.hasOwn(p.phase, id)) return;
  const prev = p.phase[id];
  if (prev === next || prev === 'cached') return;
  if (prev === 'done') p.done--;
  if (prev === 'running') delete p.running[id];
  if (next === 'done') p.done++;
  if (next === 'cached') p.cached++;
  p.phase[id] = next;
}
