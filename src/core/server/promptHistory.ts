/**
 * The server's history: what became of each prompt that ran, in ComfyUI's entry shape (comfyui-protocol.md
 * 2.7), in insertion order, in memory only and capped at 10 000 entries, as in ComfyUI. A prompt that was
 * dequeued never reaches it; one that was interrupted does, with `status_str: "error"`.
 */
import type { ExecutionOutcome } from '../engine/engineEvents';
import { queueTuple, type QueueItem } from './queueItem';

/** One lifecycle message as history keeps it: `[type, data]`. */
export type StatusMessage = [string, Record<string, unknown>];

/** One history entry, exactly as `GET /history/{id}` shows it. */
export interface HistoryEntry {
  prompt: ReturnType<typeof queueTuple>;
  outputs: Record<string, Record<string, unknown[]>>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: StatusMessage[] };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

/** The events history keeps in `status.messages`. */
export const lifecycleEvents: ReadonlySet<string> = new Set([
  'execution_start',
  'execution_cached',
  'execution_success',
  'execution_error',
  'execution_interrupted',
]);

/** Builds a history entry from a finished prompt. */
export function historyEntry(
  item: QueueItem,
  outcome: Pick<ExecutionOutcome, 'status' | 'outputs'>,
  messages: StatusMessage[],
): HistoryEntry {
  const meta: HistoryEntry['meta'] = {};
  for (const id of Object.keys(outcome.outputs)) {
    meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
  }
  const success = outcome.status === 'success';
  return {
    prompt: queueTuple(item),
    outputs: outcome.outputs,
    status: { status_str: success ? 'success' : 'error', completed: success, messages },
    meta,
  };
}

/** ComfyUI's history cap (execution.py MAXIMUM_HISTORY_SIZE). */
const MAXIMUM_HISTORY_SIZE = 10_000;

/** The history of one server. */
export class PromptHistory {
  private readonly entries = new Map<string, HistoryEntry>();

  /** Records an entry, dropping the oldest past the cap. */
  add(promptId: string, entry: HistoryEntry): void {
    this.entries.set(promptId, entry);
    while (this.entries.size > MAXIMUM_HISTORY_SIZE) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /** One entry, or undefined. */
  get(promptId: string): HistoryEntry | undefined {
    return this.entries.get(promptId);
  }

  /** True when the prompt is in history. */
  has(promptId: string): boolean {
    return this.entries.has(promptId);
  }

  /**
   * `GET /history`: oldest first; `maxItems` without `offset` gives the last `maxItems`, as ComfyUI's
   * `get_history` does (an offset below zero means "count back from the end").
   */
  list(maxItems?: number, offset = -1): Record<string, HistoryEntry> {
    const all = [...this.entries];
    const start = offset < 0 && maxItems !== undefined ? all.length - maxItems : Math.max(0, offset);
    const slice = all.slice(
      Math.max(0, start),
      maxItems === undefined ? undefined : Math.max(0, start) + maxItems,
    );
    return Object.fromEntries(slice);
  }

  /** Every entry, oldest first. */
  all(): [string, HistoryEntry][] {
    return [...this.entries];
  }

  /** Forgets one entry. */
  delete(promptId: string): void {
    this.entries.delete(promptId);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}
