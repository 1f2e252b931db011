/**
 * The events the embedded engine emits while it runs a prompt: ComfyUI's execution messages, typed by
 * protocol/executionMessages.ts (the exact form core sends, so the server in front of the engine forwards
 * them unchanged; comfyui-protocol.md sections 3.3 and 3.6), plus `preview`, which carries an image and
 * becomes a binary frame on the wire (section 3.5). Payloads are snapshots, plain JSON but for a
 * preview's bytes: a listener may keep them, the engine never mutates one after emitting it. Also here:
 * how the engine fills the fields of an `execution_error` (formatValue, engineTraceback and the like),
 * and where the JavaScript stack of a node that threw goes instead: the engine's log.
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

/**
 * The `traceback` of an `execution_error` the engine sends. ComfyUI's is the Python stack of the node's
 * code; ours would be JavaScript frames of our own files, which say nothing to whoever runs a workflow,
 * so it is one honest line, in ComfyUI's form (newline-terminated), naming the node and where the
 * stack went. The stack itself goes to the engine's log ({@link nodeErrorLogLine}).
 */
export function engineTraceback(nodeId: string, classType: string): string[] {
  return [
    `  in node ${nodeId} (${classType}), run by comfy-runner's embedded engine; its log has the stack\n`,
  ];
}

/**
 * Where the engine writes what is for a bug report, not for the user: the JavaScript stack of a node
 * that threw. One call per entry, which may span several lines.
 */
export type EngineLog = (entry: string) => void;

/** The engine's default log: the process's standard error, which is `comfy-runner serve`'s log. */
export const stderrLog: EngineLog = (entry) => {
  process.stderr.write(entry.endsWith('\n') ? entry : `${entry}\n`);
};

/** The log entry of a node that threw: which node of which prompt, and the JavaScript stack. */
export function nodeErrorLogLine(
  promptId: string,
  nodeId: string,
  classType: string,
  error: unknown,
): string {
  const stack = error instanceof Error && error.stack ? error.stack : String(error);
  return `comfy-runner engine: node ${nodeId} (${classType}) of prompt ${promptId} raised ${exceptionTypeOf(error)}\n${stack}`;
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
