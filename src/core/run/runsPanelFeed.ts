/**
 * Feeds one runs panel from a job source (a runner, or a store another process runs): a snapshot when
 * the webview is ready, then what changed, flushed at most once per interval (45 ms: 22 updates a
 * second), so a run with thousands of steps, or previews at the server's rate, cannot flood the panel.
 * The first change after a quiet spell goes out at once; changes within the interval wait for its end
 * and go out together. Finished runs' records are read once for what only they keep (the server's
 * version, starred outputs).
 */
import type { HostMessage } from '../../shared/protocol';
import { terminalStates } from '../jobs/jobState';
import { readRunExtras } from '../jobs/runRecordStars';
import type { JobSource, RunnerEvent } from './runner';
import { RunsPanelModel, type RunsPanelModelOptions } from './runsPanelModel';

/** Timers, replaceable in tests. */
export interface FeedTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** Options of {@link RunsPanelFeed}. */
export interface RunsPanelFeedOptions extends RunsPanelModelOptions {
  /** Posts a message to the webview. */
  readonly post: (message: HostMessage) => void;
  /** The shortest time between two flushes, in ms. @default 45 */
  readonly intervalMs?: number;
  /** @default the global timers and Date.now */
  readonly timers?: FeedTimers;
  /** Told about a run record that could not be read. @default ignored */
  readonly onProblem?: (message: string) => void;
}

/** How often, and how long apart, a run record not written yet is looked for. */
const RECORD_ATTEMPTS = 5;
const RECORD_RETRY_MS = 400;

const globalTimers: FeedTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** One panel's feed; see the file comment. */
export class RunsPanelFeed {
  readonly model: RunsPanelModel;
  private source: JobSource | undefined;
  private unsubscribe: (() => void) | undefined;
  private ready = false;
  private timer: unknown;
  private lastFlush = -Infinity;
  private readonly timers: FeedTimers;
  private readonly interval: number;
  /** Runs whose record was asked for, so it is read once. */
  private readonly recordsRead = new Set<string>();
  private servers: string[] = [];
  private disposed = false;

  constructor(private readonly options: RunsPanelFeedOptions) {
    this.model = new RunsPanelModel(options);
    this.timers = options.timers ?? globalTimers;
    this.interval = options.intervalMs ?? 45;
  }

  /** Follows `source` from now on (the runner opened, or the host began following another's store). */
  bind(source: JobSource): void {
    this.unsubscribe?.();
    this.source = source;
    // Subscribing and taking the snapshot in one tick: no event falls between them.
    this.unsubscribe = source.subscribe((e) => this.onEvent(e));
    const snapshot = source.snapshot();
    this.servers = (snapshot.targets ?? []).map((t) => t.name);
    this.model.reset(snapshot);
    for (const run of this.model.runs()) this.readRecord(run.id);
    if (this.ready) this.sendSnapshot();
  }

  /** The webview said it is ready (again, after a reload of its page): send everything. */
  webviewReady(): void {
    this.ready = true;
    this.sendSnapshot();
  }

  /** The source the feed follows, if any. */
  get bound(): JobSource | undefined {
    return this.source;
  }

  /** Takes in a preview image of a run, as a data URI. */
  preview(jobId: string, image: string): void {
    if (this.model.preview(jobId, image)) this.schedule();
  }

  /** Marks an output starred or not in the panel (the caller keeps it in the run record). */
  setStarred(jobId: string, path: string, starred: boolean): void {
    if (this.model.setStarred(jobId, path, starred)) this.schedule();
  }

  /** Stops following and drops anything pending. */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onEvent(event: RunnerEvent): void {
    if (!this.model.apply(event)) return;
    // A split run's record is read once the run has ended: its parts share one, written after the last.
    if (event.type === 'job/state' && terminalStates.has(event.to))
      this.readRecord(this.model.runIdOf(event.jobId));
    this.schedule();
  }

  private sendSnapshot(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.options.post(this.model.snapshot(this.servers));
    this.lastFlush = this.timers.now();
  }

  private schedule(): void {
    if (!this.ready || this.timer !== undefined || this.disposed) return;
    const wait = Math.max(0, this.lastFlush + this.interval - this.timers.now());
    this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.disposed) return;
    this.lastFlush = this.timers.now();
    for (const message of this.model.takeMessages()) this.options.post(message);
  }

  /**
   * Reads a finished run's record once, for its server's version and starred outputs. The scheduler
   * writes it in the background after the run's last event, so a record not there yet is looked for
   * again a few times.
   */
  private readRecord(jobId: string, attempt = 1): void {
    const job = this.model.job(jobId);
    if (!job || !terminalStates.has(job.state)) return;
    if (attempt === 1 && this.recordsRead.has(jobId)) return;
    this.recordsRead.add(jobId);
    readRunExtras(job.outDir).then(
      (extras) => {
        if (this.disposed) return;
        if (!extras && attempt < RECORD_ATTEMPTS)
          this.timers.setTimeout(() => this.readRecord(jobId, attempt + 1), RECORD_RETRY_MS);
        else if (extras && this.model.noteRecord(jobId, extras)) this.schedule();
      },
      (e: unknown) => this.options.onProblem?.(`reading the run record of ${jobId}: ${String(e)}`),
    );
  }
}
