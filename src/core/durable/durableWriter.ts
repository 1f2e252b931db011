/**
 * Writes a scheduler's job records to its store as they change. Records of one job are written one at a
 * time and in order; while one is being written, only the newest of those that arrive meanwhile waits,
 * so a job that changes a hundred times during a slow write costs two writes, not a hundred. A write
 * starts a turn of the event loop after its record arrived, so that the changes of one turn cost one
 * write: a job dispatched and its prompt id chosen for it, a job added and dispatched at once. A record
 * that only shows how a job goes (`soon`: it started running, a warning) is held back for a while
 * ({@link DurableWriterOptions.holdMs}) and goes with the job's next change if one comes meanwhile, so
 * that a short run costs no write of its start. Each write is a line appended to the store's journal
 * (store/jobJournal.ts); a crash leaves the previous record or the new one.
 */
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { JobStore } from '../store/jobStore';
import type { Job } from '../jobs/job';
import type { RecordUrgency } from '../scheduler/jobBook';

/** Options of a {@link DurableWriter}. */
export interface DurableWriterOptions {
  /**
   * How long a `soon` record may wait for the job's next change before it is written on its own.
   * @default 1000
   */
  readonly holdMs?: number;
}

/** Keeps job records in a store; see the file comment. */
export class DurableWriter {
  /** Per job: the newest record not yet handed to the store. */
  private readonly waiting = new Map<string, Job>();
  /** Per job: the last write queued, which settles after every earlier one. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Per job whose record is held back: ends the wait at once. */
  private readonly held = new Map<string, () => void>();
  private readonly holdMs: number;
  /** How many calls of {@link flush} are waiting; nothing is held back meanwhile. */
  private flushing = 0;
  private stopped = false;

  /** `onProblem` hears of every failed write (the promise of `put` rejects as well). */
  constructor(
    private readonly store: JobStore,
    private readonly onProblem: (error: RunnerError) => void,
    options: DurableWriterOptions = {},
  ) {
    this.holdMs = options.holdMs ?? 1000;
  }

  /**
   * Queues a job's record. Resolves once it, or a newer record of the same job, is in the store; rejects
   * when that write failed or the writer was stopped. A `soon` record may wait a while; see the file
   * comment.
   */
  put(job: Job, urgency: RecordUrgency = 'now'): Promise<void> {
    if (this.stopped) {
      return Promise.reject(new RunnerError('internal', `job ${job.id} not stored: the runner is closing`));
    }
    this.waiting.set(job.id, job);
    const hurry = this.held.get(job.id);
    // A record held back goes with this one: at once, unless this one can wait too.
    if (hurry) {
      if (urgency === 'now') hurry();
      return this.tails.get(job.id)!;
    }
    const previous = this.tails.get(job.id) ?? Promise.resolve();
    const write = () => this.writeNewest(job.id, previous, urgency);
    const step = previous.then(write, write);
    this.tails.set(job.id, step);
    // The map holds only writes under way; the last one out removes itself.
    const forget = () => {
      if (this.tails.get(job.id) === step) this.tails.delete(job.id);
    };
    void step.then(forget, forget);
    return step;
  }

  /**
   * Resolves once every record queued so far (and any queued meanwhile) has been written or failed;
   * records held back are written at once.
   */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      for (const hurry of [...this.held.values()]) hurry();
      while (this.tails.size > 0) {
        await Promise.all([...this.tails.values()].map((t) => t.catch(() => undefined)));
      }
    } finally {
      this.flushing--;
    }
  }

  /** Refuses every later record: what happens while a runner closes is not what happened to the jobs. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Writes the newest waiting record of a job. When there is none, the step before took this record (or a
   * newer one) with it, and its outcome is this one's.
   */
  private async writeNewest(id: string, previous: Promise<void>, urgency: RecordUrgency): Promise<void> {
    if (!this.waiting.has(id)) return previous;
    if (urgency === 'soon') await this.holdBack(id);
    await new Promise((turn) => setImmediate(turn));
    const job = this.waiting.get(id);
    if (!job) return previous;
    this.waiting.delete(id);
    try {
      await this.store.put(job);
    } catch (e) {
      const error = isRunnerError(e)
        ? e
        : new RunnerError('internal', `job ${id} not stored: ${(e as Error).message}`, {}, e);
      this.onProblem(error);
      throw error;
    }
  }

  /** Waits until the hold is over or something hurries the job's record. */
  private holdBack(id: string): Promise<void> {
    if (this.flushing > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.held.delete(id);
        resolve();
      };
      const timer = setTimeout(done, this.holdMs);
      this.held.set(id, done);
    });
  }
}
