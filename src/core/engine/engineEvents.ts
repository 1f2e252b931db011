/**
 * The events the embedded engine emits while it runs a prompt, with ComfyUI's names and payloads exactly
 * (`{type, data}` as on ComfyUI's WebSocket; see comfyui-protocol.md sections 3.3 and 3.6), so the server
 * in front of the engine forwards them unchanged. Payloads are plain JSON snapshots: a listener may keep
 * them, the engine never mutates one after emitting it.
 */
import type { UiOutput } from './types';

/** `execution_start`: the prompt began. */
export interface ExecutionStartData {
  prompt_id: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** `execution_cached`: nodes whose outputs come from the cache; none of them runs. */
export interface ExecutionCachedData {
  nodes: string[];
  prompt_id: string;
  timestamp: number;
}

/** `executing` with a node: that node starts running. Never sent for cached nodes. */
export interface ExecutingNodeData {
  node: string;
  display_node: string;
  prompt_id: string;
}

/** `executing` with `node: null`: the prompt has finished, whatever its outcome; always the last event. */
export interface ExecutingDoneData {
  node: null;
  prompt_id: string;
}

/** `progress`: step progress of a running node. */
export interface ProgressData {
  value: number;
  max: number;
  prompt_id: string;
  node: string;
}

/** One node's entry in a `progress_state` snapshot. */
export interface NodeProgressState {
  value: number;
  max: number;
  state: 'running' | 'finished';
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  /** Always null: the engine has no subgraph expansion. */
  parent_node_id: null;
  real_node_id: string;
}

/** `progress_state`: every non-pending node of the prompt (running or finished), keyed by node id. */
export interface ProgressStateData {
  prompt_id: string;
  nodes: Record<string, NodeProgressState>;
}

/** `executed`: a node produced UI output; cached output nodes replay theirs (null when they had none). */
export interface ExecutedData {
  node: string;
  display_node: string;
  output: UiOutput | null;
  prompt_id: string;
}

/** `execution_success`: every planned node completed. */
export interface ExecutionSuccessData {
  prompt_id: string;
  timestamp: number;
}

/** `execution_error`: a node raised and the prompt stopped. */
export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  /** The nodes that ran (not cached ones) in this prompt before it stopped. */
  executed: string[];
  exception_message: string;
  /** A NodeException's `exceptionType` (Python's name for the same failure), else the JS error name. */
  exception_type: string;
  /** The stack frames, one per item, each ending in a newline as Python's `format_tb` writes them. */
  traceback: string[];
  /** The failing node's inputs: name to a one-item list of the formatted value, as ComfyUI sends. */
  current_inputs: Record<string, unknown[]>;
  /** As in ComfyUI 0.8.0 (whose output cache knows every node of the prompt): the prompt's node ids. */
  current_outputs: string[];
  timestamp: number;
}

/** `execution_interrupted`: an interrupt (or an aborted signal) stopped the prompt. */
export interface ExecutionInterruptedData {
  prompt_id: string;
  /** The node that was running (the earliest started one), or the next one to run. */
  node_id: string;
  node_type: string;
  executed: string[];
  timestamp: number;
}

/** Every event of a prompt run, discriminated by `type` as ComfyUI's WebSocket messages are. */
export type EngineEvent =
  | { type: 'execution_start'; data: ExecutionStartData }
  | { type: 'execution_cached'; data: ExecutionCachedData }
  | { type: 'executing'; data: ExecutingNodeData | ExecutingDoneData }
  | { type: 'progress'; data: ProgressData }
  | { type: 'progress_state'; data: ProgressStateData }
  | { type: 'executed'; data: ExecutedData }
  | { type: 'execution_success'; data: ExecutionSuccessData }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: ExecutionInterruptedData };

/** The name of an engine event. */
export type EngineEventType = EngineEvent['type'];

/** How a prompt ended, with the UI output of every node that produced one (ComfyUI history `outputs`). */
export type ExecutionOutcome =
  | { status: 'success'; promptId: string; outputs: Record<string, UiOutput> }
  | { status: 'error'; promptId: string; outputs: Record<string, UiOutput>; error: ExecutionErrorData }
  | {
      status: 'interrupted';
      promptId: string;
      outputs: Record<string, UiOutput>;
      error: ExecutionInterruptedData;
    };

/**
 * A value as ComfyUI formats it for `current_inputs`: primitives and null as they are, anything else
 * as a short description (ComfyUI sends `str(x)`, a tensor's printout; ours names kind and shape).
 */
export function formatValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const t = typeof value;
  if (t === 'number' || t === 'string' || t === 'boolean') return value;
  if (t === 'object' && 'kind' in (value as object) && 'data' in (value as object)) {
    const v = value as { kind: string; batch: number; height: number; width: number; channels?: number };
    const shape = [v.batch, v.height, v.width, ...(v.channels === undefined ? [] : [v.channels])];
    return `${v.kind} tensor of shape [${shape.join(', ')}]`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** An error's stack frames as ComfyUI-style traceback lines: one frame per item, newline-terminated. */
export function tracebackOf(error: unknown): string[] {
  if (!(error instanceof Error) || !error.stack) return [];
  return error.stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => `${line}\n`);
}

/** The `exception_type` ComfyUI would report: a NodeException's Python type, else the JS error's name. */
export function exceptionTypeOf(error: unknown): string {
  if (error instanceof Error) {
    const typed = (error as { exceptionType?: unknown }).exceptionType;
    return typeof typed === 'string' ? typed : error.name;
  }
  return 'Error';
}

/** The message of anything thrown. */
export function exceptionMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Above this many non-pending nodes, `progress_state` snapshots are spaced out (see {@link RunReporter}). */
const FULL_SNAPSHOT_LIMIT = 1000;
/** The least time between two large `progress_state` snapshots. */
const LARGE_SNAPSHOT_INTERVAL_MS = 100;
/** The least time between two `progress` events of one node (the final step always goes out). */
const PROGRESS_INTERVAL_MS = 50;

/**
 * Emits the events of one prompt run in ComfyUI's order (comfyui-protocol.md 3.6): `progress_state`
 * before `executing` when a node starts, before `progress` on a step, after `executed` when it finishes.
 * Each `progress_state` is a full snapshot, as ComfyUI sends. A snapshot costs time linear in the nodes
 * it lists, so once more than 1000 nodes are listed, snapshots go out at most every 100 ms (plus one
 * before the terminal event) instead of on every change; smaller prompts see every change, as on the
 * server. `progress` is throttled to one event per node every 50 ms.
 */
export class RunReporter {
  /** The nodes that ran to completion in this prompt, in completion order. */
  readonly executed: string[] = [];
  private readonly states = new Map<string, NodeProgressState>();
  private readonly lastProgress = new Map<string, number>();
  private lastSnapshotAt = 0;
  private snapshotOwed = false;

  constructor(
    private readonly promptId: string,
    private readonly emit: (event: EngineEvent) => void,
  ) {}

  /** `execution_start`. */
  start(): void {
    this.emit({ type: 'execution_start', data: { prompt_id: this.promptId, timestamp: Date.now() } });
  }

  /** `execution_cached` with the nodes served from the cache. */
  cached(nodes: string[]): void {
    this.emit({ type: 'execution_cached', data: { nodes, prompt_id: this.promptId, timestamp: Date.now() } });
  }

  /** A node starts: it shows as running, then `executing`. */
  nodeStarted(id: string): void {
    this.setState(id, 0, 1, 'running');
    this.emit({ type: 'executing', data: { node: id, display_node: id, prompt_id: this.promptId } });
  }

  /** A step of a running node; dropped when it comes too soon after the node's previous one. */
  nodeProgress(id: string, value: number, max: number): void {
    const now = performance.now();
    const last = this.lastProgress.get(id);
    if (last !== undefined && value < max && now - last < PROGRESS_INTERVAL_MS) return;
    this.lastProgress.set(id, now);
    this.setState(id, value, max, 'running');
    this.emit({ type: 'progress', data: { value, max, prompt_id: this.promptId, node: id } });
  }

  /** A node finished: `executed` if it has UI output, then it shows as finished. */
  nodeFinished(id: string, ui: UiOutput | undefined): void {
    this.executed.push(id);
    if (ui) this.emitExecuted(id, ui);
    this.finishState(id);
  }

  /** A cached output node replays its UI (null if it had none) and shows as finished, as ComfyUI does. */
  cachedOutput(id: string, ui: UiOutput | undefined): void {
    this.emitExecuted(id, ui ?? null);
    this.finishState(id);
  }

  /** `execution_success`. */
  success(): void {
    this.flushSnapshot();
    this.emit({ type: 'execution_success', data: { prompt_id: this.promptId, timestamp: Date.now() } });
  }

  /** `execution_error`; returns its payload. */
  error(fields: Omit<ExecutionErrorData, 'prompt_id' | 'executed' | 'timestamp'>): ExecutionErrorData {
    this.flushSnapshot();
    const data: ExecutionErrorData = {
      prompt_id: this.promptId,
      node_id: fields.node_id,
      node_type: fields.node_type,
      executed: [...this.executed],
      exception_message: fields.exception_message,
      exception_type: fields.exception_type,
      traceback: fields.traceback,
      current_inputs: fields.current_inputs,
      current_outputs: fields.current_outputs,
      timestamp: Date.now(),
    };
    this.emit({ type: 'execution_error', data });
    return data;
  }

  /** `execution_interrupted`; returns its payload. */
  interrupted(nodeId: string, nodeType: string): ExecutionInterruptedData {
    this.flushSnapshot();
    const data: ExecutionInterruptedData = {
      prompt_id: this.promptId,
      node_id: nodeId,
      node_type: nodeType,
      executed: [...this.executed],
      timestamp: Date.now(),
    };
    this.emit({ type: 'execution_interrupted', data });
    return data;
  }

  /** The closing `executing {node: null}`. */
  done(): void {
    this.emit({ type: 'executing', data: { node: null, prompt_id: this.promptId } });
  }

  private emitExecuted(id: string, output: UiOutput | null): void {
    this.emit({ type: 'executed', data: { node: id, display_node: id, output, prompt_id: this.promptId } });
  }

  private finishState(id: string): void {
    const max = this.states.get(id)?.max ?? 1;
    this.setState(id, max, max, 'finished');
  }

  private setState(id: string, value: number, max: number, state: NodeProgressState['state']): void {
    // Entries are replaced, never changed, so every snapshot can share them.
    this.states.set(id, {
      value,
      max,
      state,
      node_id: id,
      prompt_id: this.promptId,
      display_node_id: id,
      parent_node_id: null,
      real_node_id: id,
    });
    const now = performance.now();
    if (this.states.size > FULL_SNAPSHOT_LIMIT && now - this.lastSnapshotAt < LARGE_SNAPSHOT_INTERVAL_MS) {
      this.snapshotOwed = true;
      return;
    }
    this.lastSnapshotAt = now;
    this.emitSnapshot();
  }

  private flushSnapshot(): void {
    if (this.snapshotOwed) this.emitSnapshot();
  }

  private emitSnapshot(): void {
    this.snapshotOwed = false;
    const nodes: Record<string, NodeProgressState> = {};
    for (const [id, entry] of this.states) nodes[id] = entry;
    this.emit({ type: 'progress_state', data: { prompt_id: this.promptId, nodes } });
  }
}
