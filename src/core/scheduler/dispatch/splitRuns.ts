/**
 * The parts of runs split by branch across servers (job.ts `split`) end together: the first part that
 * fails (or is lost) stops its unfinished siblings, which end `cancelled` with `split_stopped` naming
 * it; cancelling a run's id or any of its parts cancels every part; nothing is retried. Once every part
 * has ended, the run's outputs are merged into its folder under the whole run's names and its one
 * `run.json` is written (jobs/splitRunRecord.ts). A retry of the run, or of any part, is the whole run again
 * as a new split run (scheduler.ts `retry`).
 */
import { splitPartsOf, type Job, type JobError } from '../../jobs/job';
import { terminalStates } from '../../jobs/jobState';
import type { JobBook } from '../jobBook';

/** What ending a part asks of the dispatcher. */
export interface PartEnding {
  /** Unfinished siblings to cancel, each already marked with the error it ends with. */
  stop: Job[];
  /** Every part of the run, when this was the last to end: the run is ready to merge. */
  ended?: Job[];
}

/** The split runs a scheduler knows, read from its book. */
export class SplitRuns {
  /** Part id -> the error it ends with when its cancellation lands (a sibling failed). */
  private readonly stops = new Map<string, JobError>();

  constructor(private readonly book: JobBook) {}

  /** Every part of the run `splitId`, by part number. */
  partsOf(splitId: string): Job[] {
    return splitPartsOf(this.book.all(), splitId);
  }

  /** Every part of the split run `id` names (the run's id or one of its parts'), else undefined. */
  runOf(id: string): Job[] | undefined {
    const job = this.book.get(id);
    // A job of its own is no run's part, and no run has its id: no need to look through the book.
    if (job && !job.split) return undefined;
    const parts = this.partsOf(job?.split?.id ?? id);
    return parts.length > 0 ? parts : undefined;
  }

  /**
   * The ids a cancel of `id` cancels: every unfinished part when `id` is a split run or one of its
   * parts, else `id` itself (known or not).
   */
  cancelTargets(id: string): string[] {
    const parts = this.runOf(id);
    if (!parts) return [id];
    return parts.filter((p) => !terminalStates.has(p.state)).map((p) => p.id);
  }

  /** What a part's end means for its run: siblings to stop if it failed, the merge if it was the last. */
  ended(part: Job): PartEnding {
    const parts = this.partsOf(part.split!.id);
    const open = parts.filter((p) => !terminalStates.has(p.state));
    const failed = part.state === 'failed' || part.state === 'lost';
    const stop = failed ? open.filter((p) => !this.stops.has(p.id)) : [];
    for (const sibling of stop) this.stops.set(sibling.id, stoppedBy(part));
    return open.length === 0 ? { stop, ended: parts } : { stop };
  }

  /** The error a part stopped by a sibling ends with; taken once, when its cancellation lands. */
  takeStop(jobId: string): JobError | undefined {
    const error = this.stops.get(jobId);
    this.stops.delete(jobId);
    return error;
  }

  /** True while a part is being stopped because a sibling failed. */
  isStopping(jobId: string): boolean {
    return this.stops.has(jobId);
  }
}

/** The error of a part stopped because `failed`, another part of its run, failed or was lost. */
function stoppedBy(failed: Job): JobError {
  const index = failed.split!.index;
  return {
    message: `stopped: part ${index} of the split run ${failed.state === 'lost' ? 'was lost' : 'failed'}`,
    reason: 'split_stopped',
    stoppedBy: { job: failed.id, index },
  };
}
