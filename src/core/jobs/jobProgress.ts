/**
 * Node progress inside a job, built from ComfyUI's own events (the embedded engine and real servers
 * send the same ones): how many of the prompt's nodes are done or cached, which are running and how far.
 * Kept apart from the job's state, as the house style asks.
 */
import type { ApiPrompt } from '../workflow/types';

/** A ComfyUI event as it arrives: `{type, data}`, from the engine or a server. */
export interface ComfyEventLike {
  type: string;
  data?: unknown;
}

/** The fields of an event's data that progress reads; any may be absent. */
interface EventFields {
  node?: string | null;
  nodes?: unknown;
  value?: number;
  max?: number;
}

/** The data of an event as the fields progress and timing read. */
export function eventFields(event: ComfyEventLike): EventFields {
  return typeof event.data === 'object' && event.data !== null ? (event.data as EventFields) : {};
}

/** Progress of one job. */
export interface JobProgress {
  /** Nodes in the prompt. */
  total: number;
  /** Nodes served from the cache. */
  cached: number;
  /** Nodes that finished executing. */
  done: number;
  /** Nodes running now, with their step progress. */
  running: Record<string, { value: number; max: number }>;
}

/** Progress of a job that has not started. */
export function initialProgress(prompt: ApiPrompt): JobProgress {
  return { total: Object.keys(prompt).length, cached: 0, done: 0, running: {} };
}

/** Updates `p` in place from one event; unknown events change nothing. */
export function applyProgressEvent(p: JobProgress, event: ComfyEventLike): void {
  const d = eventFields(event);
  switch (event.type) {
    case 'execution_cached':
      p.cached = Array.isArray(d.nodes) ? d.nodes.length : p.cached;
      break;
    case 'executing':
      if (typeof d.node === 'string') p.running[d.node] ??= { value: 0, max: 1 };
      break;
    case 'progress':
      if (typeof d.node === 'string') p.running[d.node] = { value: d.value ?? 0, max: d.max ?? 1 };
      break;
    case 'progress_state':
      applySnapshot(p, d.nodes);
      break;
    case 'execution_success':
      p.done = p.total - p.cached;
      p.running = {};
      break;
  }
}

function applySnapshot(p: JobProgress, nodes: unknown): void {
  if (typeof nodes !== 'object' || nodes === null) return;
  let finished = 0;
  const running: JobProgress['running'] = {};
  for (const [id, n] of Object.entries(
    nodes as Record<string, { state?: string; value?: number; max?: number }>,
  )) {
    if (n.state === 'finished') finished++;
    else if (n.state === 'running') running[id] = { value: n.value ?? 0, max: n.max ?? 1 };
  }
  p.done = Math.max(p.done, finished);
  p.running = running;
}

/** The fraction of the job done, 0..1, counting cached nodes as done and running nodes by their steps. */
export function progressFraction(p: JobProgress): number {
  if (p.total === 0) return 1;
  const partial = Object.values(p.running).reduce((s, r) => s + (r.max > 0 ? r.value / r.max : 0), 0);
  return Math.min(1, (p.cached + p.done + partial) / p.total);
}
