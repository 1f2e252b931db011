/**
 * Retries. A failure is final: running a job again is either the user's explicit `retry`, which makes a
 * new job (attempt + 1, linked to the old one by `retryOf`), or an automatic resubmission that a target
 * opted into, only for failures before the job started. {@link shouldAutoRetry} is the one place that
 * decides the latter, and it says no unless every condition holds.
 */
import type { Job, JobError, NewJob } from '../jobs/job';
import type { RunnerErrorReason } from '../util/runnerError';
import { terminalStates, type JobState } from '../jobs/jobState';
import { RunnerError } from '../util/runnerError';

/** A target's opt-in to automatic resubmission. */
export interface AutoRetryOptions {
  /**
   * The most submissions of one job in all, the first included, counting those that failed on other
   * targets too; 3 means up to two automatic retries.
   */
  readonly maxAttempts: number;
}

/** What the retry decision sees about one failed submission. */
export interface AutoRetryContext {
  /** The job, with the automatic retries it already had in `autoRetries`. */
  readonly job: Job;
  readonly error: JobError;
  /** The failing target's opt-in; undefined when it did not opt in. */
  readonly autoRetry: AutoRetryOptions | undefined;
  /** The target said the prompt was accepted (it has a prompt id there). */
  readonly accepted: boolean;
  /** The target said execution began. */
  readonly started: boolean;
  /** The user asked to cancel the job. */
  readonly cancelRequested: boolean;
}

/** Decides whether a failed submission is sent again; true means the job is queued again. */
export type AutoRetryPolicy = (context: AutoRetryContext) => boolean;

/** Failure reasons that say nothing about the prompt, only that the server could not be reached in time. */
export const retryableReasons: ReadonlySet<RunnerErrorReason> = new Set(['server_unreachable', 'timeout']);

/**
 * The default retry decision: yes only when the target opted in, attempts are left, the user did not
 * cancel, the reason is `server_unreachable` or `timeout`, and the job neither started nor was accepted.
 * An accepted prompt is never resubmitted, even before it started: the server may still run it after we
 * lost contact, and a second submission would run the job twice.
 */
export const shouldAutoRetry: AutoRetryPolicy = (c) => {
  if (!c.autoRetry || c.accepted || c.started || c.cancelRequested) return false;
  if (!retryableReasons.has(c.error.reason)) return false;
  const submissions = (c.job.autoRetries?.length ?? 0) + 1;
  return submissions < c.autoRetry.maxAttempts;
};

/** States from which a job may be retried by the user. */
export const retryableStates: ReadonlySet<JobState> = new Set(['failed', 'cancelled', 'lost']);

/** Chooses the output folder of a retry. */
export type RetryOutDir = (previous: Job, attempt: number) => string;

/** The default retry folder: `<old outDir>-retry<attempt>`. */
export const defaultRetryOutDir: RetryOutDir = (previous, attempt) => `${previous.outDir}-retry${attempt}`;

/** Options of an explicit retry. */
export interface RetryOptions {
  /**
   * Runs the retry on this target only.
   * @default the old job's placement
   */
  readonly target?: string;
}

/** What an explicit retry's new job gets that the old one does not decide. */
export interface RetryPlan {
  /** One more than the newest attempt of the same work. */
  readonly attempt: number;
  readonly outDir: string;
  /** The old dependencies, each mapped to its newest retry. */
  readonly dependsOn?: string[];
  /** Pins the new job to this target. */
  readonly target?: string;
}

/**
 * The new job of an explicit retry: the same workflow, prompt, overrides, place in its batch, priority,
 * placement (unless pinned) and wish on no target, linked to the old job by `retryOf`.
 */
export function retrySpec(previous: Job, plan: RetryPlan): NewJob {
  return {
    workflow: previous.workflow,
    prompt: previous.prompt,
    extraPngInfo: previous.extraPngInfo,
    overrides: previous.overrides,
    // A retry is the same run again: it keeps its place (and label) in the batch.
    batch: previous.batch,
    outDir: plan.outDir,
    attempt: plan.attempt,
    retryOf: previous.id,
    priority: previous.priority,
    dependsOn: plan.dependsOn,
    runOn: plan.target !== undefined ? { targets: [plan.target] } : previous.runOn,
    onNoTarget: previous.onNoTarget,
  };
}

/**
 * Throws `bad_input` unless the split run of `parts` (every part, in part order) can be retried: all
 * its parts have ended and not all succeeded.
 */
export function checkSplitRetryable(parts: readonly Job[]): void {
  const runId = parts[0].split!.id;
  const open = parts.find((p) => !terminalStates.has(p.state));
  if (open) {
    throw new RunnerError(
      'bad_input',
      `split run ${runId} has not ended (part ${open.split!.index} of ${parts.length} is ${open.state}); only ended runs are retried`,
    );
  }
  if (parts.every((p) => p.state === 'succeeded'))
    throw new RunnerError(
      'bad_input',
      `split run ${runId} succeeded; only failed, cancelled or lost runs are retried`,
    );
}

/**
 * The new jobs of an explicit retry of a split run: every part (those that succeeded too, so the new
 * folder holds the whole run), each {@link retrySpec} of its old part, as the parts of the new split
 * run `id`, all in `plan.outDir` with `plan.attempt`; `dependsOn` maps each old dependency.
 */
export function splitRetrySpecs(
  parts: readonly Job[],
  id: string,
  plan: Omit<RetryPlan, 'dependsOn'> & { dependsOn: (old: string) => string },
): (NewJob & { split: NonNullable<Job['split']> })[] {
  return parts.map((p) => ({
    ...retrySpec(p, { ...plan, dependsOn: p.dependsOn?.map(plan.dependsOn) }),
    split: { ...p.split!, id },
  }));
}
