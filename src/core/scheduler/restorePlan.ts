/**
 * Taking back jobs restored from a store: which are history, which were on a target when the runner
 * stopped, which wait in the queue and in what order, and how retries link up.
 */
import { RunnerError } from '../util/runnerError';
import type { Job, JobError } from '../jobs/job';

/** Restored jobs sorted by what becomes of them. */
export interface RestorePlan {
  /** Copies of every job, owned by the scheduler from now on. */
  jobs: Job[];
  /** Jobs that were `dispatching` or `running`: resumed on their target, or lost. */
  inFlight: Job[];
  /** Queued jobs, in the order they were first queued. */
  queued: Job[];
  /** [old job, its retry] pairs, older attempts first, so the newest retry wins. */
  retryLinks: [string, string][];
}

/** Plans a restore; throws `bad_input` when an id is given twice or `isKnown` already. */
export function planRestore(jobs: readonly Job[], isKnown: (id: string) => boolean): RestorePlan {
  const own = jobs.map((j) => structuredClone(j));
  const ids = new Set<string>();
  for (const job of own) {
    if (isKnown(job.id) || ids.has(job.id))
      throw new RunnerError('bad_input', `job ${job.id} is restored twice`);
    ids.add(job.id);
  }
  return {
    jobs: own,
    inFlight: own.filter((j) => j.state === 'dispatching' || j.state === 'running'),
    queued: own.filter((j) => j.state === 'queued').sort((a, b) => a.times.queued - b.times.queued),
    retryLinks: own
      .filter((j) => j.retryOf !== undefined)
      .sort((a, b) => a.attempt - b.attempt)
      .map((j) => [j.retryOf!, j.id]),
  };
}

/** The error of a job that was on a target when the runner stopped and cannot be followed again. */
export function lostOnRestore(job: Job): JobError {
  const where = job.server ?? 'a target';
  return {
    message: `the runner stopped while the job was on ${where}; its outcome is unknown`,
    reason: 'lost',
  };
}
