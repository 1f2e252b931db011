/**
 * The run records (`run.json`) of ended runs, written in the background so that writing one never
 * delays the next dispatch; `onIdle` waits for them through {@link RunRecords.size}.
 */
import type { Job } from '../../jobs/job';
import { writeRunRecord } from '../../jobs/runRecord';
import { mergeSplitOutputs, writeSplitRunRecord } from '../../jobs/splitRunRecord';
import type { JobBook } from '../jobBook';

/** Run records being written. */
export class RunRecords {
  private readonly pending = new Set<Promise<void>>();

  /** `onSettled` is called after each record is written or failed to be. */
  constructor(
    private readonly book: JobBook,
    private readonly onSettled: () => void,
  ) {}

  /** How many records are still being written. */
  get size(): number {
    return this.pending.size;
  }

  /** Starts writing a job's record; a failure becomes a warning event, since the job has ended. */
  write(job: Job, comfyuiVersion: string | undefined): void {
    this.track(job, writeRunRecord(job, comfyuiVersion));
  }

  /**
   * Ends a split run whose parts have all ended: their outputs moved into the run folder under the whole
   * run's names (`merged` is told the parts as they then are), then the run's one record.
   */
  writeSplit(
    parts: readonly Job[],
    comfyuiVersion: string | undefined,
    merged: (parts: Job[]) => void,
  ): void {
    const work = mergeSplitOutputs(parts).then((done) => {
      merged(done);
      return writeSplitRunRecord(done, comfyuiVersion);
    });
    this.track(parts[0], work);
  }

  private track(job: Job, work: Promise<unknown>): void {
    const written: Promise<void> = work
      .then(
        () => undefined,
        (e: unknown) => {
          const message = `run record not written: ${e instanceof Error ? e.message : String(e)}`;
          this.book.emit(() => ({ type: 'job/warning', jobId: job.id, message }));
        },
      )
      .finally(() => {
        this.pending.delete(written);
        this.onSettled();
      });
    this.pending.add(written);
  }
}
