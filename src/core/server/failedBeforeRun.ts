/**
 * A prompt the server accepted but the engine refused when its turn came (it validates again at the
 * start, and a file LoadImage needs may have gone meanwhile). ComfyUI has no such moment, so the server
 * reports it the way ComfyUI reports any failure of a started prompt, `execution_start` then
 * `execution_error`, so clients end the prompt as failed instead of waiting for it forever.
 */
import type { EngineEvent, ExecutionOutcome } from '../engine/engineEvents';
import { exceptionMessageOf, exceptionTypeOf } from '../engine/engineEvents';
import type { ExecutionData } from '../protocol/executionMessages';
import { isRunnerError } from '../util/runnerError';
import type { ValidationResult } from '../workflow/types';
import type { QueueItem } from './queueItem';

/** The node to blame: the first with validation errors, else none. */
function blamedNode(item: QueueItem, e: unknown): { id: string; type: string } {
  const result = isRunnerError(e, 'prompt_rejected')
    ? (e.details as ValidationResult | undefined)
    : undefined;
  const id = Object.keys(result?.node_errors ?? {})[0] ?? '';
  return { id, type: item.prompt[id]?.class_type ?? '' };
}

/** Emits `execution_start` and `execution_error` for a prompt that could not start; returns its outcome. */
export function failedBeforeRun(
  item: QueueItem,
  e: unknown,
  emit: (event: EngineEvent) => void,
): ExecutionOutcome {
  const node = blamedNode(item, e);
  emit({ type: 'execution_start', data: { prompt_id: item.promptId, timestamp: Date.now() } });
  const error: ExecutionData<'execution_error'> = {
    prompt_id: item.promptId,
    node_id: node.id,
    node_type: node.type,
    executed: [],
    exception_message: exceptionMessageOf(e),
    exception_type: isRunnerError(e, 'prompt_rejected') ? 'ValidationError' : exceptionTypeOf(e),
    traceback: [],
    current_inputs: {},
    current_outputs: [],
    timestamp: Date.now(),
  };
  emit({ type: 'execution_error', data: error });
  return { status: 'error', promptId: item.promptId, outputs: {}, error };
}
