/**
 * The events the embedded engine emits while it runs a prompt, with ComfyUI's names and payloads exactly
 * (`{type, data}` as on ComfyUI's WebSocket; see comfyui-protocol.md sections 3.3 and 3.6), so the server
 * in front of the engine forwards them unchanged, plus `preview`, which carries an image and becomes a
 * binary frame on the wire (section 3.5). Payloads are snapshots, plain JSON but for a preview's bytes:
 * a listener may keep them, the engine never mutates one after emitting it.
 */
import type { PreviewImage, UiOutput } from './types';

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

/** ComfyUI's JSON messages of a prompt run, discriminated by `type` as on ComfyUI's WebSocket. */
export type ComfyJsonEvent =
  | { type: 'execution_start'; data: ExecutionStartData }
  | { type: 'execution_cached'; data: ExecutionCachedData }
  | { type: 'executing'; data: ExecutingNodeData | ExecutingDoneData }
  | { type: 'progress'; data: ProgressData }
  | { type: 'progress_state'; data: ProgressStateData }
  | { type: 'executed'; data: ExecutedData }
  | { type: 'execution_success'; data: ExecutionSuccessData }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: ExecutionInterruptedData };

/**
 * `preview`: an image a node published with a progress step (NodeContext.preview). **Not a ComfyUI JSON
 * message**: the bytes are binary, and the server sends the event as a binary preview frame (type 4
 * with this data as its metadata, or type 1). Whoever forwards engine events as JSON must turn it into a
 * frame or leave it out; {@link isPreviewEvent} tells it apart.
 */
export interface PreviewEventData {
  prompt_id: string;
  /** The node that published the image. */
  node: string;
  display_node: string;
  format: PreviewImage['format'];
  /** The encoded image, already fitted to the node's `maxSize`. */
  bytes: Uint8Array;
}

/** A preview image event; see {@link PreviewEventData}. */
export interface PreviewEvent {
  type: 'preview';
  data: PreviewEventData;
}

/** Every event of a prompt run: ComfyUI's JSON messages, plus previews, which are binary. */
export type EngineEvent = ComfyJsonEvent | PreviewEvent;

/** True for a {@link PreviewEvent}, which must not be sent as JSON. */
export function isPreviewEvent(event: { type: string }): event is PreviewEvent {
  return event.type === 'preview';
}

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
