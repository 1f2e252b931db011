/**
 * What the scheduler tells its subscribers, as one discriminated union keyed by `type`. Payloads are
 * plain JSON snapshots so a UI or a `--json` stream can pass them on unchanged.
 */
import type { Job } from './job';
import type { JobState } from './jobState';
import type { ComfyEventLike, JobProgress } from './jobProgress';

/** A scheduler event. */
export type SchedulerEvent =
  /** A job was queued. */
  | { type: 'job/added'; job: Job }
  /** A job moved to another state. */
  | { type: 'job/state'; jobId: string; from: JobState; to: JobState; job: Job }
  /** Node progress inside a running job changed (coalesced). */
  | { type: 'job/progress'; jobId: string; progress: JobProgress }
  /** A ComfyUI event of the job's prompt, as the server or engine sent it. */
  | { type: 'job/comfy'; jobId: string; event: ComfyEventLike }
  /** A warning on a job that did not stop it. */
  | { type: 'job/warning'; jobId: string; message: string };

/** A subscriber to scheduler events. */
export type SchedulerListener = (event: SchedulerEvent) => void;
