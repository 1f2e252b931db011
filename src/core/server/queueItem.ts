/**
 * A prompt as the server keeps it while it waits, runs and is remembered: ComfyUI's queue tuple
 * `[number, prompt_id, prompt, extra_data, outputs_to_execute]` (comfyui-protocol.md 2.3) plus what the
 * server holds back from clients (the sensitive `extra_data` keys) and the partial execution targets.
 */
import type { ApiPrompt, NodeId } from '../workflow/types';

/** One accepted prompt. */
export interface QueueItem {
  /** The priority: lower runs first; equal numbers run in prompt id order. */
  number: number;
  promptId: string;
  /** The prompt as validated (widget values coerced, as ComfyUI stores it). */
  prompt: ApiPrompt;
  /** `extra_data` with `client_id` and `create_time` added and the sensitive keys taken out. */
  extraData: Record<string, unknown>;
  /** The output nodes that validated and will run. */
  outputs: NodeId[];
  /** `partial_execution_targets`, when the client sent them. */
  partialTargets?: NodeId[];
  /** Credentials for partner nodes: kept out of `/queue` and `/history`, as ComfyUI does. */
  sensitive: Record<string, unknown>;
}

/**
 * True for a canonical lowercase hyphenated UUID: the only client-chosen prompt or job id the newest
 * ComfyUI accepts (`comfy_execution/jobs.py` `validate_job_id`), any version or variant.
 */
export function isCanonicalUuid(value: unknown): value is string {
  return (
    typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
  );
}

/** The `extra_data` keys ComfyUI never shows in `/queue` or `/history` (execution.py SENSITIVE_EXTRA_DATA_KEYS). */
export const sensitiveExtraDataKeys = ['auth_token_comfy_org', 'api_key_comfy_org'] as const;

/** The tuple `/queue` and history show for an item: five elements, the sensitive sixth left out. */
export function queueTuple(item: QueueItem): [number, string, ApiPrompt, Record<string, unknown>, NodeId[]] {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

/** The client id that submitted the item, if any: events go to that client only. */
export function clientIdOf(item: QueueItem): string | undefined {
  const id = item.extraData.client_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Orders items as ComfyUI's heap does: by number, then by prompt id. */
export function compareItems(a: QueueItem, b: QueueItem): number {
  if (a.number !== b.number) return a.number - b.number;
  return a.promptId < b.promptId ? -1 : a.promptId > b.promptId ? 1 : 0;
}
