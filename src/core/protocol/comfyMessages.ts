/**
 * The JSON messages a ComfyUI server sends over its WebSocket, validated at the edge (house style rule 2).
 * Each schema is named after the server's event type. The execution messages are the exact schemas of
 * executionMessages.ts (what core sends, per comfyui-protocol.md section 3.3 and the recordings of a
 * ComfyUI 0.8.0 server) loosened here, field by field, to what a server may send: ids as numbers, no
 * timestamp before 2024-07, no prompt id on broadcasts and after a reconnect. Objects are "loose": fields
 * we do not know are kept, so newer servers that add fields still parse.
 */
import { z } from 'zod';
import {
  executedSent,
  executingNodeSent,
  executionCachedSent,
  executionErrorSent,
  executionInterruptedSent,
  executionStartSent,
  executionSuccessSent,
  nodeProgressStateSent,
  progressSent,
  progressStateSent,
} from './executionMessages';

/**
 * A node id. ComfyUI sends strings ("3", "12:5" inside subgraphs); a few custom nodes send numbers, which we
 * turn into strings so every id compares the same way.
 */
const nodeId = z.union([z.string(), z.number()]).transform(String);

/** A millisecond timestamp; absent on servers from before 2024-07. */
const timestamp = z.number().optional();

/** `status`: broadcast on every queue change; `sid` only in the first message of a connection. */
export const statusMessage = z.looseObject({
  status: z.looseObject({ exec_info: z.looseObject({ queue_remaining: z.number() }) }),
  sid: z.string().optional(),
});

/** `feature_flags`: the server's answer to our feature-flags hello; any map. */
export const featureFlagsMessage = z.record(z.string(), z.unknown());

/** `execution_start`: the prompt left the queue and began. */
export const executionStartMessage = executionStartSent.extend({ timestamp }).loose();

/** `execution_cached`: nodes of this prompt that will not execute because their outputs are cached. */
export const executionCachedMessage = executionCachedSent
  .extend({ nodes: z.array(nodeId), timestamp })
  .loose();

/**
 * `executing`: a node starts. `node: null` with a `prompt_id` means the prompt has fully finished. After a
 * reconnect the server sends only `{node}`, without a prompt id.
 */
export const executingMessage = executingNodeSent
  .extend({
    node: nodeId.nullable(),
    display_node: nodeId.nullable().optional(),
    prompt_id: z.string().nullable().optional(),
  })
  .loose();

/** `progress`: step progress of the running node. Broadcast (and so seen for others' prompts) without a client id. */
export const progressMessage = progressSent
  .extend({ prompt_id: z.string().nullable().optional(), node: nodeId.nullable().optional() })
  .loose();

/** One node's entry in a `progress_state` snapshot. */
export const nodeProgressState = nodeProgressStateSent
  .extend({
    /** `running` or `finished` from core; other values are kept as they come. */
    state: z.string(),
    node_id: nodeId,
    prompt_id: z.string().optional(),
    display_node_id: nodeId.nullable().optional(),
    parent_node_id: nodeId.nullable().optional(),
    real_node_id: nodeId.nullable().optional(),
    activity: z.string().nullable().optional(),
  })
  .loose();

/** `progress_state`: a full snapshot of every non-pending node of the prompt (servers from 2025-07). */
export const progressStateMessage = progressStateSent
  .extend({ nodes: z.record(z.string(), nodeProgressState) })
  .loose();

/** A node's UI output: media kind to a list (`images`, `text`, `animated`...). Null for some cached nodes. */
export const uiOutput = z.record(z.string(), z.unknown()).nullable();

/** `executed`: a node produced UI output; also sent, with the cached output, for cached output nodes. */
export const executedMessage = executedSent
  .extend({ node: nodeId, display_node: nodeId.nullable().optional(), output: uiOutput })
  .loose();

/** `execution_success`: every planned node completed (servers from 2024-07). */
export const executionSuccessMessage = executionSuccessSent.extend({ timestamp }).loose();

/**
 * `execution_error`: a node raised. Terminal, except when `exception_type` is `ExecutionBlocked`, which only
 * reports that a node blocked its downstream. `traceback` is a list of lines; we also accept one string.
 */
export const executionErrorMessage = executionErrorSent
  .extend({
    node_id: nodeId,
    executed: z.array(nodeId).optional(),
    traceback: z.union([z.array(z.string()), z.string()]).optional(),
    current_inputs: z.unknown().optional(),
    current_outputs: z.unknown().optional(),
    timestamp,
  })
  .loose();

/** `execution_interrupted`: an interrupt reached the prompt; `node_id` is the node it stopped at. */
export const executionInterruptedMessage = executionInterruptedSent
  .extend({ node_id: nodeId, executed: z.array(nodeId).optional(), timestamp })
  .loose();

/** The schema of each message type we understand, keyed by the server's event name. */
export const serverMessageSchemas = {
  status: statusMessage,
  feature_flags: featureFlagsMessage,
  execution_start: executionStartMessage,
  execution_cached: executionCachedMessage,
  executing: executingMessage,
  progress: progressMessage,
  progress_state: progressStateMessage,
  executed: executedMessage,
  execution_success: executionSuccessMessage,
  execution_error: executionErrorMessage,
  execution_interrupted: executionInterruptedMessage,
} as const;

/** The event types we understand. */
export type ServerMessageType = keyof typeof serverMessageSchemas;

/** A validated server message: `type` plus the data its schema produced. */
export type ServerMessage = {
  [K in ServerMessageType]: { type: K; data: z.output<(typeof serverMessageSchemas)[K]> };
}[ServerMessageType];

/** The data of one message type, e.g. `MessageData<'executing'>`. */
export type MessageData<K extends ServerMessageType> = z.output<(typeof serverMessageSchemas)[K]>;

/**
 * What {@link parseServerMessage} made of a text frame: a typed message, an unknown type we ignore (forward
 * compatibility), or a known type, or non-JSON text, that does not fit (to be logged, never to crash a job).
 */
export type ParsedServerMessage =
  | { kind: 'message'; message: ServerMessage }
  | { kind: 'ignored'; ignored: string }
  | { kind: 'malformed'; malformed: string; error: string };

function isKnownType(type: string): type is ServerMessageType {
  return Object.prototype.hasOwnProperty.call(serverMessageSchemas, type);
}

/** Parses one WebSocket text frame from a ComfyUI server. Never throws. */
export function parseServerMessage(text: string): ParsedServerMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { kind: 'malformed', malformed: '(not json)', error: (e as Error).message };
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') {
    return {
      kind: 'malformed',
      malformed: '(no type)',
      error: 'a message must be an object with a string `type`',
    };
  }
  const { type, data } = raw as { type: string; data?: unknown };
  if (!isKnownType(type)) return { kind: 'ignored', ignored: type };
  const parsed = serverMessageSchemas[type].safeParse(data);
  if (!parsed.success) return { kind: 'malformed', malformed: type, error: z.prettifyError(parsed.error) };
  return { kind: 'message', message: { type, data: parsed.data } as ServerMessage };
}

/** The feature-flags hello we send as the first frame of every connection (comfyui-protocol.md 3.2). */
export const clientFeatureFlags = { supports_preview_metadata: true } as const;
