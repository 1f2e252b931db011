/**
 * The scheduler's book of jobs: every job it knows, their node progress, and the one path by which a
 * job changes and the world hears of it (events to subscribers, the record to `onJobChanged`).
 */
import { nodesRun } from '../jobs/nodesRun';
import { applyOperation, type Job } from '../jobs/job';
import type { JobOperation } from '../jobs/jobState';
import type { ServerMessage } from '../protocol/comfyMessages';
import { applyProgressMessage, initialProgress, type PromptProgress } from '../protocol/promptProgress';
import type { SchedulerEvent, SchedulerListener } from './schedulerEvents';

/**
 * How soon a changed record must be kept: `now` when resuming after a crash depends on it (a job added,
 * its prompt id, the server's acceptance, its end), `soon` when it only shows how the job goes (it
 * started running, a warning), so that a store may hold it back and write it with the next change.
 */
export type RecordUrgency = 'now' | 'soon';

/** What the book needs from the scheduler's options. */
export interface JobBookOptions {
  readonly progressIntervalMs: number;
  readonly now: () => number;
  readonly onJobChanged?: (job: Job, urgency: RecordUrgency) => unknown;
}

/** Jobs by id, in the order they were added, with their progress and listeners. */
export class JobBook {
  private readonly jobs = new Map<string, Job>();
  private readonly progress = new Map<string, PromptProgress>();
  private readonly lastProgress = new Map<string, number>();
  private readonly listeners = new Set<SchedulerListener>();

  constructor(private readonly options: JobBookOptions) {}

  /** The live job of that id. */
  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Every job, in the order they were added. */
  all(): IterableIterator<Job> {
    return this.jobs.values();
  }

  /** The node progress of a job; a job that has not run has every node pending. */
  progressOf(id: string): PromptProgress | undefined {
    return this.progress.get(id);
  }

  /** Subscribes to events; returns the function that unsubscribes. */
  subscribe(listener: SchedulerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends an event to every listener. It is built only when someone listens, since most carry a clone
   * of a job and the scheduler adds thousands of jobs without anyone watching in benchmarks and scripts.
   */
  emit(make: () => SchedulerEvent): void {
    if (this.listeners.size === 0) return;
    const event = make();
    for (const l of this.listeners) l(event);
  }

  /** Adds a new job: an event, and its record to `onJobChanged`. */
  insert(job: Job): void {
    this.adopt(job);
    this.changed(job);
  }

  /** Adds a job restored from a store: an event, but its record is already stored. */
  adopt(job: Job): void {
    if (this.jobs.has(job.id)) throw new Error(`job ${job.id} is already known`);
    this.jobs.set(job.id, job);
    this.progress.set(job.id, initialProgress(nodesRun(job)));
    this.emit(() => ({ type: 'job/added', job: structuredClone(job) }));
  }

  /**
   * Applies a named operation (throwing on an illegal move) and tells the world. Only the start of a
   * run can wait to be kept: the record before it has the prompt id and the server's acceptance.
   */
  move(job: Job, op: JobOperation): void {
    const from = job.state;
    applyOperation(job, op, this.options.now());
    this.emit(() => ({ type: 'job/state', jobId: job.id, from, to: job.state, job: structuredClone(job) }));
    this.changed(job, op === 'start' ? 'soon' : 'now');
  }

  /** Hands the job's record to `onJobChanged` after a change other than its state. */
  changed(job: Job, urgency: RecordUrgency = 'now'): void {
    const kept = this.options.onJobChanged?.(structuredClone(job), urgency);
    // Nobody waits here; a store that fails to keep a record reports that itself.
    if (kept instanceof Promise) kept.catch(() => undefined);
  }

  /** Like {@link changed}, and resolves once `onJobChanged` says the record is kept (rejects if not). */
  async keep(job: Job): Promise<void> {
    const kept = this.options.onJobChanged?.(structuredClone(job), 'now');
    if (kept instanceof Promise) await kept;
  }

  /** The scheduler's clock. */
  now(): number {
    return this.options.now();
  }

  /** A ComfyUI message of a running job: node times, progress, the message itself, coalesced progress. */
  noteEvent(job: Job, message: ServerMessage): void {
    this.noteNodeTimes(job, message);
    this.emit(() => ({ type: 'job/comfy', jobId: job.id, event: message }));
    applyProgressMessage(this.progress.get(job.id)!, message);
    this.emitProgress(job.id, message.type !== 'progress' && message.type !== 'progress_state');
  }

  /** Closes the node times of an ended run and sends its last progress, never coalesced away. */
  noteRunEnded(job: Job): void {
    const now = this.options.now();
    for (const t of Object.values(job.times.nodes)) t.finished ??= now;
    this.emitProgress(job.id, true);
    this.lastProgress.delete(job.id);
  }

  private noteNodeTimes(job: Job, message: ServerMessage): void {
    const now = this.options.now();
    if (message.type === 'executing') {
      for (const t of Object.values(job.times.nodes)) t.finished ??= now;
      if (message.data.node !== null) job.times.nodes[message.data.node] = { started: now };
    }
    if (message.type === 'executed') {
      const times = job.times.nodes[message.data.node];
      if (times) times.finished ??= now;
    }
  }

  private emitProgress(jobId: string, force: boolean): void {
    const now = this.options.now();
    const last = this.lastProgress.get(jobId) ?? 0;
    if (!force && now - last < this.options.progressIntervalMs) return;
    this.lastProgress.set(jobId, now);
    const p = this.progress.get(jobId)!;
    this.emit(() => ({ type: 'job/progress', jobId, progress: structuredClone(p) }));
  }
}
