/**
 * What the scheduler tells its subscribers, as one discriminated union keyed by `type`. Payloads are
 * plain JSON snapshots so a UI or a `--json` stream can pass them on unchanged.
 */
import type { ServerVerdict } from './pool/promptRequirements';
import type { AutoRetryRecord, Job } from '../jobs/job';
import type { JobState } from '../jobs/jobState';
import type { ServerMessage } from '../protocol/comfyMessages';
import type { PromptProgress } from '../protocol/promptProgress';
import type { TargetHealth, TargetView } from './pool/poolTarget';

/** A scheduler event. */
export type SchedulerEvent =
  /** A job was queued (new, a retry, or restored from a store). */
  | { type: 'job/added'; job: Job }
  /** A job moved to another state. */
  | { type: 'job/state'; jobId: string; from: JobState; to: JobState; job: Job }
  /** Node progress inside a running job changed (coalesced). */
  | { type: 'job/progress'; jobId: string; progress: PromptProgress }
  /** A ComfyUI message about the job's prompt, as the server or engine sent it. */
  | { type: 'job/comfy'; jobId: string; event: ServerMessage }
  /**
   * A preview image of a running node of the job (the newest sampler step), base64 in `image`; not
   * kept anywhere, and sent only while someone listens.
   */
  | { type: 'job/preview'; jobId: string; mimeType: string; image: string; node?: string }
  /**
   * An ended job's outputs moved: the parts of a split run, once all have ended, have their outputs moved
   * from their own folders into the run's under the whole run's names; `job` is the part after the move.
   */
  | { type: 'job/outputs'; jobId: string; job: Job }
  /** A warning on a job that did not stop it. */
  | { type: 'job/warning'; jobId: string; message: string }
  /** No target can run a queued job; `reason` is the line also kept in `job.blockedReason`. */
  | { type: 'job/blocked'; jobId: string; reason: string; servers: ServerVerdict[] }
  /** A target that can run a formerly blocked job appeared. */
  | { type: 'job/unblocked'; jobId: string }
  /** A queued job's place changed (reorder or priority); `position` 0 is the next to go. */
  | { type: 'job/moved'; jobId: string; priority: number; position: number }
  /** A submission that failed before the job started is being sent again. */
  | { type: 'job/autoRetry'; jobId: string; retry: AutoRetryRecord }
  /** A target's health or its reason changed; `target` is its view after the change. */
  | { type: 'target/health'; target: TargetView; from: TargetHealth }
  /** A target joined, was switched on or off, or reported its capabilities. */
  | { type: 'target/changed'; target: TargetView }
  /** The queue was paused or resumed, or the global cap changed (null: no cap). */
  | { type: 'scheduler/changed'; paused: boolean; concurrency: number | null };

/** A subscriber to scheduler events. */
export type SchedulerListener = (event: SchedulerEvent) => void;
