/**
 * A place a job can run: the embedded engine or a ComfyUI server. The scheduler drives every target
 * through this one contract, so jobs behave the same wherever they run.
 */
import type { NodeDefs } from '../workflow/types';
import type { Job, JobError, JobOutput } from './job';
import type { ComfyEventLike } from './jobProgress';

/** Callbacks a target calls while it runs a job. */
export interface RunHooks {
  /** The prompt was accepted under this prompt id. */
  accepted(promptId: string): void;
  /** Execution began on the target (ComfyUI's `execution_start`). */
  started(): void;
  /** Every ComfyUI event for this job's prompt, in order. */
  event(event: ComfyEventLike): void;
  /** A warning the user should see (partial validation, a blocked node). */
  warning(message: string): void;
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
   * Reattaches to a job this target accepted (`job.promptId`) before the runner stopped, and follows it
   * to its end as {@link run} would. Without it, such a job is marked lost when the scheduler restores it.
   */
  resume?(job: Job, hooks: RunHooks, signal: AbortSignal): Promise<RunResult>;
  /** Releases connections and workers. */
  dispose(): Promise<void>;
}
