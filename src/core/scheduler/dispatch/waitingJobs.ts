/**
 * The waiting side of dispatch: the queue, the dependencies of queued jobs, whether any target can run
 * each job (and if not, why), and jobs that end without running: cancelled in the queue, failed for a
 * dependency, or failed because no target can run them and they asked not to wait.
 */
import { explainNoServer, noCapableServer } from '../pool/promptRequirements';
import { toJobError } from './flight';
import type { Job, JobError } from '../../jobs/job';
import { JobQueue } from '../jobQueue';
import type { Pool } from '../pool/pool';
import type { CapabilityCheck } from '../pool/capabilityCheck';
import { dependencyError, DependencyTracker } from './dependencyTracker';
import type { JobBook } from '../jobBook';

/** What the waiting side works with. */
export interface WaitingParts {
  readonly book: JobBook;
  readonly pool: Pool;
  readonly check: CapabilityCheck;
  /** What a job without its own `onNoTarget` does when no target can run it. */
  readonly onNoTarget: 'wait' | 'fail';
  /** Called with the jobs that ended, so the dispatcher can end split runs and tell whether it is idle. */
  readonly afterEnded: (ended: readonly Job[]) => void;
}

/** Queued jobs and what they wait for. */
export class WaitingJobs {
  /** Queued jobs in the order they are offered. */
  readonly queue = new JobQueue();
  /** Dependencies of queued jobs. */
  readonly deps = new DependencyTracker();

  constructor(private readonly parts: WaitingParts) {}

  /** Puts a queued job in line, or fails it at once when a dependency already did not succeed. */
  enqueue(job: Job): void {
    const deps = this.deps.track(job.id, job.dependsOn ?? [], (id) => this.parts.book.get(id)?.state);
    if (!deps.ok) {
      this.failUnrun(job, dependencyError(deps.dependency, deps.state));
      return;
    }
    this.queue.add(job.id, job.priority ?? 0);
    this.assess(job);
  }

  /** Puts a job whose submission is retried back in line, before the others of its priority. */
  requeueFirst(job: Job): void {
    this.queue.add(job.id, job.priority ?? 0, true);
  }

  /** Takes a job out of the queue to dispatch it. */
  take(job: Job): void {
    this.queue.remove(job.id);
    this.unblock(job);
  }

  /** Cancels a queued job, failing the jobs that depend on it. */
  cancelQueued(job: Job): void {
    this.queue.remove(job.id);
    delete job.blockedReason;
    this.parts.book.move(job, 'cancel');
    this.ended(job);
  }

  /** Fails a queued job without running it, and the jobs that depend on it in turn. */
  failUnrun(job: Job, error: JobError): void {
    this.dropUnrun(job, error);
    this.ended(job);
  }

  /** Checks again, for every queued job, whether some target can run it (after the pool changed). */
  reassessAll(): void {
    for (const id of this.queue.ids()) {
      const job = this.parts.book.get(id);
      if (job?.state === 'queued') this.assess(job);
    }
  }

  /**
   * A job reached a final state: dependents stop waiting for it if it succeeded, and otherwise fail
   * unrun, naming it; iteratively, since chains of dependents can be long.
   */
  ended(root: Job): void {
    const stack = [root];
    const ended: Job[] = [];
    for (let job = stack.pop(); job; job = stack.pop()) {
      ended.push(job);
      this.parts.check.forget(job.id);
      this.deps.forget(job.id);
      const ok = job.state === 'succeeded';
      for (const id of this.deps.settle(job.id, ok)) {
        const dependent = this.parts.book.get(id);
        if (ok || dependent?.state !== 'queued') continue;
        this.dropUnrun(dependent, dependencyError(job.id, job.state));
        stack.push(dependent);
      }
    }
    this.parts.afterEnded(ended);
  }

  private dropUnrun(job: Job, error: JobError): void {
    this.queue.remove(job.id);
    delete job.blockedReason;
    job.error = error;
    this.parts.book.move(job, 'fail');
  }

  /** Whether any target can run a queued job; blocked jobs wait with the reason, or fail if they asked. */
  private assess(job: Job): void {
    const a = this.parts.check.assess(job, this.parts.pool.list());
    if (a.kind !== 'blocked') {
      this.unblock(job);
      return;
    }
    if ((job.onNoTarget ?? this.parts.onNoTarget) === 'fail') {
      this.failUnrun(job, toJobError(noCapableServer(a.servers)));
      return;
    }
    const reason = explainNoServer(a.servers);
    if (job.blockedReason === reason) return;
    job.blockedReason = reason;
    const servers = structuredClone(a.servers);
    this.parts.book.emit(() => ({ type: 'job/blocked', jobId: job.id, reason, servers }));
    this.parts.book.changed(job);
  }

  private unblock(job: Job): void {
    if (job.blockedReason === undefined) return;
    delete job.blockedReason;
    this.parts.book.emit(() => ({ type: 'job/unblocked', jobId: job.id }));
    this.parts.book.changed(job);
  }
}
