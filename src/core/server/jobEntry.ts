/**
 * Queue items and history entries as the jobs API shows them (comfyui-protocol.md 2.6; ComfyUI's
 * `comfy_execution/jobs.py`): one job shape for pending, running and finished prompts, with null-valued
 * keys left out.
 */
import type { HistoryEntry } from './promptHistory';
import type { QueueItem } from './queueItem';

/** A job's status. */
export type JobStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

/** Every status, in ComfyUI's order. */
export const jobStatuses: readonly JobStatus[] = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
];

/** A job as the API answers it. */
export type JobEntry = Record<string, unknown> & { id: string; status: JobStatus };

/** Media kinds the frontend can preview. */
const PREVIEWABLE = new Set(['images', 'video', 'audio', '3d', 'text']);

function pruned(job: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(job).filter(([, v]) => v !== null && v !== undefined));
}

function workflowIdOf(extraData: Record<string, unknown>): unknown {
  const info = extraData.extra_pnginfo as { workflow?: { id?: unknown } } | undefined;
  return info?.workflow?.id;
}

/** A pending or running prompt as a job; `detail` adds the prompt and its extra data. */
export function queuedJob(item: QueueItem, status: 'pending' | 'in_progress', detail = false): JobEntry {
  const job = pruned({
    id: item.promptId,
    status,
    priority: item.number,
    create_time: item.extraData.create_time,
    outputs_count: 0,
    previewable_outputs_count: 0,
    workflow_id: workflowIdOf(item.extraData),
  }) as JobEntry;
  if (detail) job.workflow = { prompt: item.prompt, extra_data: item.extraData };
  return job;
}

/** Counts file outputs and picks the preview: saved media first, then temp media. */
function outputsSummary(outputs: HistoryEntry['outputs']): {
  count: number;
  previewable: number;
  preview?: unknown;
} {
  let count = 0;
  let previewable = 0;
  let saved: unknown;
  let other: unknown;
  for (const [nodeId, output] of Object.entries(outputs)) {
    for (const [kind, items] of Object.entries(output)) {
      if (kind === 'animated' || !Array.isArray(items)) continue;
      for (const item of items) {
        if (typeof item !== 'object' || item === null) continue;
        count++;
        if (!PREVIEWABLE.has(kind)) continue;
        previewable++;
        const enriched = { ...item, nodeId, mediaType: kind };
        if ((item as { type?: unknown }).type === 'output') saved ??= enriched;
        else other ??= enriched;
      }
    }
  }
  return { count, previewable, preview: saved ?? other };
}

/** The timestamps and error a history entry's lifecycle messages carry. */
function lifecycle(entry: HistoryEntry): {
  start?: unknown;
  end?: unknown;
  error?: unknown;
  interrupted: boolean;
} {
  const found: { start?: unknown; end?: unknown; error?: unknown; interrupted: boolean } = {
    interrupted: false,
  };
  for (const [type, data] of entry.status.messages) {
    if (type === 'execution_start') found.start = data.timestamp;
    if (type === 'execution_success' || type === 'execution_error' || type === 'execution_interrupted')
      found.end = data.timestamp;
    if (type === 'execution_error') found.error = data;
    if (type === 'execution_interrupted') found.interrupted = true;
  }
  return found;
}

/** A finished prompt as a job; `detail` adds outputs, execution status and the prompt. */
export function finishedJob(promptId: string, entry: HistoryEntry, detail = false): JobEntry {
  const [priority, , prompt, extraData] = entry.prompt;
  const life = lifecycle(entry);
  const status: JobStatus =
    entry.status.status_str === 'success' ? 'completed' : life.interrupted ? 'cancelled' : 'failed';
  const summary = outputsSummary(entry.outputs);
  const job = pruned({
    id: promptId,
    status,
    priority,
    create_time: extraData.create_time,
    execution_start_time: life.start,
    execution_end_time: life.end,
    execution_error: life.error,
    outputs_count: summary.count,
    previewable_outputs_count: summary.previewable,
    preview_output: summary.preview,
    workflow_id: workflowIdOf(extraData),
  }) as JobEntry;
  if (detail) {
    job.outputs = entry.outputs;
    job.execution_status = entry.status;
    job.workflow = { prompt, extra_data: extraData };
  }
  return job;
}

/** The sort key of a job. */
export function sortKey(job: JobEntry, by: 'created_at' | 'execution_duration'): number {
  if (by === 'created_at') return Number(job.create_time ?? 0);
  const start = Number(job.execution_start_time ?? 0);
  const end = Number(job.execution_end_time ?? 0);
  return start && end ? end - start : 0;
}
