/**
 * The messages of a prompt's execution exactly as ComfyUI core sends them (comfyui-protocol.md 3.3 and
 * 3.6): every field present, ids as strings, a node's `state` only `running` or `finished`. The embedded
 * engine emits these and nothing looser, and a test holds it to them. What we accept from a server is
 * wider (older servers, broadcasts, custom nodes); comfyMessages.ts loosens these schemas into that.
 *
 * Left out: the `ExecutionBlocked` form of `execution_error` (empty lists where the inputs and outputs
 * go, `current_inputs: []`), which the engine never sends and only the loose schema describes.
 */
import { z } from 'zod';

/** `execution_start`: the prompt left the queue and began. `timestamp` is in ms since the epoch. */
export const executionStartSent = z.object({ prompt_id: z.string(), timestamp: z.number() });

/** `execution_cached`: the prompt's nodes whose outputs come from the cache; none of them runs. */
export const executionCachedSent = z.object({
  nodes: z.array(z.string()),
  prompt_id: z.string(),
  timestamp: z.number(),
});

/** `executing` with a node: that node starts running. Never sent for cached nodes. */
export const executingNodeSent = z.object({
  node: z.string(),
  display_node: z.string(),
  prompt_id: z.string(),
});

/** `executing` with `node: null`: the prompt has finished, whatever its outcome; its last message. */
export const executingDoneSent = z.object({ node: z.null(), prompt_id: z.string() });

/** `progress`: step progress of a running node. */
export const progressSent = z.object({
  value: z.number(),
  max: z.number(),
  prompt_id: z.string(),
  node: z.string(),
});

/** One node's entry in a `progress_state` snapshot. */
export const nodeProgressStateSent = z.object({
  value: z.number(),
  max: z.number(),
  /** `pending` is never sent (pending nodes are not listed); `error` is defined but unused by core. */
  state: z.enum(['running', 'finished']),
  node_id: z.string(),
  prompt_id: z.string(),
  /** The node a UI shows for it: itself, or the node it was expanded from. */
  display_node_id: z.string(),
  /** The node that expanded into it; null for a node of the prompt (always, from the engine). */
  parent_node_id: z.string().nullable(),
  /** The node of the submitted prompt it stands for. */
  real_node_id: z.string(),
  /** What a running node is doing, e.g. `loading` (newest core only; the engine never sends it). */
  activity: z.string().optional(),
});

/** `progress_state` (2025-07+): every non-pending node of the prompt (running or finished), by node id. */
export const progressStateSent = z.object({
  prompt_id: z.string(),
  nodes: z.record(z.string(), nodeProgressStateSent),
});

/** A node's UI output: media kind to a list, e.g. `{images: [{filename, subfolder, type}]}`. */
export const uiOutputSent = z.record(z.string(), z.array(z.unknown()));

/** `executed`: a node produced UI output; cached output nodes replay theirs (null when they had none). */
export const executedSent = z.object({
  node: z.string(),
  display_node: z.string(),
  output: uiOutputSent.nullable(),
  prompt_id: z.string(),
});

/** `execution_success`: every planned node completed. */
export const executionSuccessSent = z.object({ prompt_id: z.string(), timestamp: z.number() });

/** `execution_error`: a node raised and the prompt stopped. */
export const executionErrorSent = z.object({
  prompt_id: z.string(),
  node_id: z.string(),
  node_type: z.string(),
  /** The nodes that ran (not cached ones) in this prompt before it stopped. */
  executed: z.array(z.string()),
  exception_message: z.string(),
  /** Python's name of the exception (the engine: a NodeException's `exceptionType`, else the JS name). */
  exception_type: z.string(),
  /** The stack frames, one per item, each ending in a newline as Python's `format_tb` writes them. */
  traceback: z.array(z.string()),
  /** The failing node's inputs: name to a one-item list of the formatted value. */
  current_inputs: z.record(z.string(), z.array(z.unknown())),
  /** The node ids that had cached outputs at the start (ComfyUI 0.8.0: every node of the prompt). */
  current_outputs: z.array(z.string()),
  timestamp: z.number(),
});

/** `execution_interrupted`: an interrupt stopped the prompt. */
export const executionInterruptedSent = z.object({
  prompt_id: z.string(),
  /** The node that was running, or the next one to run when the interrupt came between nodes. */
  node_id: z.string(),
  node_type: z.string(),
  executed: z.array(z.string()),
  timestamp: z.number(),
});

/** The schema of each execution message, keyed by the server's event name. */
export const executionMessageSchemas = {
  execution_start: executionStartSent,
  execution_cached: executionCachedSent,
  executing: z.union([executingNodeSent, executingDoneSent]),
  progress: progressSent,
  progress_state: progressStateSent,
  executed: executedSent,
  execution_success: executionSuccessSent,
  execution_error: executionErrorSent,
  execution_interrupted: executionInterruptedSent,
} as const;

/** The event types of a prompt's execution. */
export type ExecutionMessageType = keyof typeof executionMessageSchemas;

/** The data of one execution message as core sends it, e.g. `ExecutionData<'execution_error'>`. */
export type ExecutionData<K extends ExecutionMessageType> = z.output<(typeof executionMessageSchemas)[K]>;

/** A message of a prompt's execution as core sends it: `{type, data}`, as on ComfyUI's WebSocket. */
export type ExecutionMessage = {
  [K in ExecutionMessageType]: { type: K; data: ExecutionData<K> };
}[ExecutionMessageType];
