/**
 * The run records (`run.json`) of ended runs, written in the background so that writing one never
 * delays the next dispatch; `onIdle` waits for them through {@link RunRecords.size}.
 */
import type { Job } from '../../jobs/job';
import { writeRunRecord } from '../../jobs/runRecord';
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
    const written: Promise<void> = writeRunRecord(job, comfyuiVersion)
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
