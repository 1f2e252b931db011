/**
 * Schemas of the HTTP replies we read from a ComfyUI server (comfyui-protocol.md section 2), named after
 * their route. Loose objects, so fields added by newer servers pass through.
 */
import { z } from 'zod';

/** One error item, as in `node_errors[id].errors[]` and the top-level `error` of a 400. */
export const comfyErrorItem = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: z.string().optional().default(''),
  extra_info: z.record(z.string(), z.unknown()).optional().default({}),
});

/** One node's validation errors. */
export const comfyNodeErrors = z.looseObject({
  class_type: z.string().optional().default(''),
  dependent_outputs: z
    .array(z.union([z.string(), z.number()]).transform(String))
    .optional()
    .default([]),
  errors: z.array(comfyErrorItem).optional().default([]),
});

/** `POST /prompt` 200: the id and priority used, and the outputs that failed validation (if any). */
export const promptAccepted = z.looseObject({
  prompt_id: z.string(),
  number: z.number(),
  node_errors: z.record(z.string(), comfyNodeErrors).optional().default({}),
});

/** `POST /prompt` 400: why nothing will run. */
export const promptRejected = z.looseObject({
  error: z.union([comfyErrorItem, z.string()]),
  node_errors: z.record(z.string(), comfyNodeErrors).optional().default({}),
});

/** A queue item: `[number, prompt_id, prompt, extra_data, outputs_to_execute, ...]`; only the first two are read. */
const queueItem = z
  .array(z.unknown())
  .min(2)
  .transform((item) => ({ number: Number(item[0]), promptId: String(item[1]) }));

/** `GET /queue`. */
export const queueReply = z.looseObject({
  queue_running: z.array(queueItem),
  queue_pending: z.array(queueItem),
});

/** A history item's status. `completed` is false for errors and interrupts. */
export const historyStatus = z.looseObject({
  status_str: z.string(),
  completed: z.boolean(),
  messages: z
    .array(z.tuple([z.string(), z.unknown()]).rest(z.unknown()))
    .optional()
    .default([]),
});

/** One `GET /history/{id}` entry. */
export const historyEntry = z.looseObject({
  prompt: z.array(z.unknown()).optional(),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).optional().default({}),
  status: historyStatus.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/** `GET /history/{id}`: `{id: entry}`, or `{}` when the server does not (or no longer, or not yet) know it. */
export const historyReply = z.record(z.string(), historyEntry);

/** `GET /system_stats`: the version, memory and devices are read (see systemStats.ts). */
export const systemStatsReply = z.looseObject({
  system: z.looseObject({ comfyui_version: z.string().optional() }),
  devices: z.array(z.unknown()).optional(),
});

/** `GET /features`: the server's feature flags. */
export const featuresReply = z.record(z.string(), z.unknown());

/** A job of the jobs API (2025-12+). */
export const jobReply = z.looseObject({
  id: z.string(),
  status: z.string(),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  execution_error: z.record(z.string(), z.unknown()).optional(),
});

/** `GET /api/jobs`. */
export const jobsListReply = z.looseObject({ jobs: z.array(jobReply) });

/** `POST /api/jobs/{id}/cancel`. */
export const jobCancelReply = z.looseObject({ cancelled: z.unknown() });

/** `POST /upload/image`: the name the server actually stored (it may have renamed the file). */
export const uploadReply = z.looseObject({
  name: z.string(),
  subfolder: z.string().optional().default(''),
  type: z.string().optional().default('input'),
});

/** A parsed history entry. */
export type HistoryEntry = z.output<typeof historyEntry>;
/** A parsed queue snapshot. */
export type QueueSnapshot = z.output<typeof queueReply>;
/** A parsed job. */
export type JobReply = z.output<typeof jobReply>;
