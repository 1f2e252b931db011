/**
 * A place a job can run: the embedded engine or a ComfyUI server. The scheduler drives every target
 * through this one contract, so jobs behave the same wherever they run.
 */
import type { NodeDefs } from '../../workflow/types';
import type { Job, JobError, JobOutput } from '../../jobs/job';
import type { ServerMessage } from '../../protocol/comfyMessages';

/** What a health probe found. */
export type ProbeResult = { up: true } | { up: false; reason: string };

/** Callbacks a target calls while it runs a job. */
export interface RunHooks {
  /**
   * The prompt id chosen for the job, told before the prompt is submitted under it. Resolves once the
   * id is kept (a durable scheduler has written it to its store), so that after a crash, or a submission
   * whose outcome is unknown, the server is asked about this id before the job is ever submitted again.
   * Rejects when it cannot be kept; the target must not submit then. Optional so that hand-written hooks
   * (tests) need not keep anything.
   */
  submitting?(promptId: string): Promise<void>;
  /** The server accepted the prompt under this prompt id. */
  accepted(promptId: string): void;
  /** Execution began on the target (ComfyUI's `execution_start`). */
  started(): void;
  /**
   * Every ComfyUI message about this job's prompt, in order: as a server sent it (validated), or as the
   * engine emitted it (an execution message, which is one of them).
   */
  event(message: ServerMessage): void;
  /** A warning the user should see (partial validation, a blocked node). */
  warning(message: string): void;
  /**
   * A preview image of a running node (a sampler's latest step), as the server or engine sent it.
   * Optional: hand-written hooks (tests) need not take previews.
   */
  preview?(image: PreviewImage): void;
}

/** A preview image a target received: encoded bytes, their MIME type and, when known, the node. */
export interface PreviewImage {
  mimeType: string;
  bytes: Uint8Array;
  node?: string;
}

/** How a run ended on the target. */
export interface RunResult {
  status: 'success' | 'error' | 'interrupted';
  /** Output files collected into the job's folder. */
  outputs: JobOutput[];
  error?: JobError;
}

/** A target the scheduler can dispatch jobs to. */
export interface RunTarget {
  /** Unique name shown to the user ("embedded", "gpu-2"). */
  readonly name: string;
  /** The ComfyUI version the target reports, for run records. */
  readonly version?: string;
  /**
   * True for a target that runs jobs inside this process (the embedded engine): what it was running when
   * the process stopped died with it, so a runner taking the store back runs those jobs again
   * (durable/takeBackInProcess.ts) instead of asking the target about them.
   * @default false
   */
  readonly inProcess?: boolean;
  /**
   * Runs the job's prompt to its end and collects its outputs into `job.outDir`. Rejects with a
   * RunnerError when the prompt is rejected or the target fails; resolves with `interrupted` when
   * `signal` aborts.
   */
  run(job: Job, hooks: RunHooks, signal: AbortSignal): Promise<RunResult>;
  /**
   * The node definitions (`/object_info`) the target can run, used to send a job only where its node
   * classes and model files exist. A target without it is taken to run anything and to validate the
   * prompt itself when it runs.
   */
  capabilities?(): Promise<NodeDefs>;
  /**
   * Whether the target can take jobs now (a server answers `/system_stats`). The pool probes with it
   * when the scheduler is given no probe of its own; a target without it is always taken to be up.
   */
  health?(): Promise<ProbeResult>;
  /**
   * Takes back a job that was on this target under `job.promptId` when the runner stopped, and follows it
   * to its end as {@link run} would: still pending or running there, it is followed; finished meanwhile,
   * its outputs are collected; unknown to the server, it is lost, unless it was never accepted
   * (`job.times.accepted` unset, state `dispatching`), in which case it is submitted under the same id.
   * Without it, such a job is marked lost when the scheduler restores it.
   */
  resume?(job: Job, hooks: RunHooks, signal: AbortSignal): Promise<RunResult>;
  /** Releases connections and workers. */
  dispose(): Promise<void>;
}
