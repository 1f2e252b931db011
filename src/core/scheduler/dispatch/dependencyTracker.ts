/**
 * Dependencies between jobs: a job waits until every job it depends on succeeded. Waiting is a condition
 * on a queued job, not a state of its own, so it is kept here beside the queue, with counts that make
 * "is this job ready?" O(1) however many jobs wait.
 */
import type { JobError } from '../../jobs/job';
import type { JobState } from '../../jobs/jobState';

/** What became of a job's dependencies when it was tracked. */
export type DependencyCheck =
  /** None is left to wait for, or some still run; see {@link DependencyTracker.isReady}. */
  | { ok: true }
  /** This one already failed, was cancelled or lost, or is unknown: the job cannot run. */
  | { ok: false; dependency: string; state: JobState | 'unknown' };

/** Which jobs wait for which. */
export class DependencyTracker {
  /** Job -> the dependencies it still waits for. */
  private readonly waitingOn = new Map<string, Set<string>>();
  /** Dependency -> the jobs waiting for it. */
  private readonly dependents = new Map<string, Set<string>>();

  /**
   * Starts tracking a queued job's dependencies, given how to look up a job's state. Dependencies that
   * succeeded are done; the first one that ended otherwise, or that no one knows, is returned.
   */
  track(
    jobId: string,
    dependsOn: readonly string[],
    stateOf: (id: string) => JobState | undefined,
  ): DependencyCheck {
    const open = new Set<string>();
    for (const dep of dependsOn) {
      const state = stateOf(dep);
      if (state === 'succeeded') continue;
      if (state === undefined) return { ok: false, dependency: dep, state: 'unknown' };
      if (state === 'failed' || state === 'cancelled' || state === 'lost')
        return { ok: false, dependency: dep, state };
      open.add(dep);
    }
    if (open.size === 0) return { ok: true };
    this.waitingOn.set(jobId, open);
    for (const dep of open) {
      let set = this.dependents.get(dep);
      if (!set) this.dependents.set(dep, (set = new Set()));
      set.add(jobId);
    }
    return { ok: true };
  }

  /** True when the job waits for no dependency. */
  isReady(jobId: string): boolean {
    return !this.waitingOn.has(jobId);
  }

  /** The dependencies the job still waits for. */
  openDependencies(jobId: string): string[] {
    return [...(this.waitingOn.get(jobId) ?? [])];
  }

  /**
   * A job ended. On success its dependents stop waiting for it; either way they are returned, so that on
   * failure the caller can fail them in turn.
   */
  settle(jobId: string, succeeded: boolean): string[] {
    const waiting = this.dependents.get(jobId);
    if (!waiting) return [];
    this.dependents.delete(jobId);
    if (succeeded) {
      for (const id of waiting) {
        const open = this.waitingOn.get(id);
        open?.delete(jobId);
        if (open?.size === 0) this.waitingOn.delete(id);
      }
    }
    return [...waiting];
  }

  /** Stops tracking a job that left the queue without running (cancelled or failed). */
  forget(jobId: string): void {
    for (const dep of this.waitingOn.get(jobId) ?? []) {
      const set = this.dependents.get(dep);
      set?.delete(jobId);
      if (set?.size === 0) this.dependents.delete(dep);
    }
    this.waitingOn.delete(jobId);
  }
}

/** The error of a job that cannot run because a dependency did not succeed (`dependency_failed`). */
export function dependencyError(dependency: string, state: JobState | 'unknown'): JobError {
  const what =
    { unknown: 'is unknown', lost: 'was lost', cancelled: 'was cancelled' }[state as string] ?? 'failed';
  return {
    message: `dependency ${dependency} ${what}; the job did not run`,
    reason: 'dependency_failed',
    dependency,
  };
}
