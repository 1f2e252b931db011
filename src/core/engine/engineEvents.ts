/**
 * The events the embedded engine emits while it runs a prompt: ComfyUI's execution messages, typed by
 * protocol/executionMessages.ts (the exact form core sends, so the server in front of the engine forwards
 * them unchanged; comfyui-protocol.md sections 3.3 and 3.6), plus `preview`, which carries an image and
 * becomes a binary frame on the wire (section 3.5). Payloads are snapshots, plain JSON but for a
 * preview's bytes: a listener may keep them, the engine never mutates one after emitting it. Also here:
 * how the engine fills the fields of an `execution_error` (formatValue, tracebackOf and the like).
 */
import type { ExecutionData, ExecutionMessage } from '../protocol/executionMessages';
import type { PreviewImage, UiOutput } from './types';

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

/** Every event of a prompt run: ComfyUI's execution messages, plus previews, which are binary. */
export type EngineEvent = ExecutionMessage | PreviewEvent;

/** True for a {@link PreviewEvent}, which must not be sent as JSON. */
export function isPreviewEvent(event: { type: string }): event is PreviewEvent {
  return event.type === 'preview';
}

/** The name of an engine event. */
export type EngineEventType = EngineEvent['type'];

/** How a prompt ended, with the UI output of every node that produced one (ComfyUI history `outputs`). */
export type ExecutionOutcome =
  | { status: 'success'; promptId: string; outputs: Record<string, UiOutput> }
  | {
      status: 'error';
      promptId: string;
      outputs: Record<string, UiOutput>;
      error: ExecutionData<'execution_error'>;
    }
  | {
      status: 'interrupted';
      promptId: string;
      outputs: Record<string, UiOutput>;
      error: ExecutionData<'execution_interrupted'>;
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
