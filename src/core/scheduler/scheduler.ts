/**
 * The scheduler: jobs wait in our own queue and are dispatched to a run target as slots free. A library
 * first: the command line and the extension drive the same object and subscribe to its typed events.
 */
import PQueue from 'p-queue';
import { isRunnerError } from '../errors';
import { applyOperation, createJob, type Job, type JobError, type NewJob } from './job';
import type { JobOperation } from './jobState';
import { terminalStates } from './jobState';
import {
  applyProgressEvent,
  eventFields,
  initialProgress,
  type ComfyEventLike,
  type JobProgress,
} from './jobProgress';
import { writeRunRecord } from './runRecord';
import type { RunResult, RunTarget } from './runTarget';
import type { SchedulerEvent, SchedulerListener } from './schedulerEvents';

/** Options of a scheduler. */
export interface SchedulerOptions {
  /** Where jobs run. */
  readonly target: RunTarget;
  /**
   * How many jobs run at once.
   * @default 2
   */
  readonly concurrency?: number;
  /**
   * The least time between two progress events of one job, in ms; events in between are coalesced.
   * @default 100
   */
  readonly progressIntervalMs?: number;
}

/** A queue of jobs over a run target. */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly progress = new Map<string, JobProgress>();
  private readonly aborts = new Map<string, AbortController>();
  private readonly listeners = new Set<SchedulerListener>();
  private readonly lastProgress = new Map<string, number>();
  private readonly queue: PQueue;

  constructor(private readonly options: SchedulerOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency ?? 2 });
  }

  /** Subscribes to events; returns the function that unsubscribes. */
  subscribe(listener: SchedulerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues a new job and returns it. */
  add(spec: NewJob): Job {
    const job = createJob(spec);
    this.jobs.set(job.id, job);
    this.progress.set(job.id, initialProgress(job.prompt));
    this.emit({ type: 'job/added', job: structuredClone(job) });
    void this.queue.add(() => this.runJob(job));
    return job;
  }

  /** Cancels a queued or running job; true when it was still cancellable. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || terminalStates.has(job.state)) return false;
    if (job.state === 'queued') this.move(job, 'cancel');
    else this.aborts.get(jobId)?.abort();
    return true;
  }

  /** A JSON snapshot of every job, in the order they were added. */
  snapshot(): Job[] {
    return [...this.jobs.values()].map((j) => structuredClone(j));
  }

  /** The node progress of one job. */
  progressOf(jobId: string): JobProgress | undefined {
    return this.progress.get(jobId);
  }

  /** Resolves when no job is queued or running. */
  async onIdle(): Promise<void> {
    await this.queue.onIdle();
  }

  private emit(event: SchedulerEvent): void {
    for (const l of this.listeners) l(event);
  }

  private move(job: Job, op: JobOperation): void {
    const from = job.state;
    applyOperation(job, op);
    this.emit({ type: 'job/state', jobId: job.id, from, to: job.state, job: structuredClone(job) });
  }

  private async runJob(job: Job): Promise<void> {
    if (job.state !== 'queued') return;
    const abort = new AbortController();
    this.aborts.set(job.id, abort);
    const target = this.options.target;
    job.server = target.name;
    this.move(job, 'dispatch');
    let result: RunResult;
    try {
      result = await target.run(job, this.hooksFor(job), abort.signal);
    } catch (e) {
      result = { status: 'error', outputs: [], error: toJobError(e) };
    } finally {
      this.aborts.delete(job.id);
    }
    this.finish(job, result);
    await writeRunRecord(job, target.version);
  }

  private hooksFor(job: Job) {
    return {
      accepted: (promptId: string) => {
        job.promptId = promptId;
      },
      started: () => {
        if (job.state === 'dispatching') this.move(job, 'start');
      },
      event: (event: ComfyEventLike) => {
        this.noteNodeTimes(job, event);
        this.emit({ type: 'job/comfy', jobId: job.id, event });
        const p = this.progress.get(job.id)!;
        applyProgressEvent(p, event);
        this.emitProgress(job.id, p, event.type !== 'progress' && event.type !== 'progress_state');
      },
      warning: (message: string) => {
        job.warnings.push(message);
        this.emit({ type: 'job/warning', jobId: job.id, message });
      },
    };
  }

  private noteNodeTimes(job: Job, event: ComfyEventLike): void {
    const node = eventFields(event).node;
    const now = Date.now();
    if (event.type === 'executing') {
      for (const t of Object.values(job.times.nodes)) t.finished ??= now;
      if (typeof node === 'string') job.times.nodes[node] = { started: now };
    }
    if (event.type === 'executed' && typeof node === 'string' && job.times.nodes[node]) {
      job.times.nodes[node].finished ??= now;
    }
  }

  private emitProgress(jobId: string, p: JobProgress, force: boolean): void {
    const now = Date.now();
    const last = this.lastProgress.get(jobId) ?? 0;
    if (!force && now - last < (this.options.progressIntervalMs ?? 100)) return;
    this.lastProgress.set(jobId, now);
    this.emit({ type: 'job/progress', jobId, progress: structuredClone(p) });
  }

  private finish(job: Job, result: RunResult): void {
    job.outputs = result.outputs;
    if (result.error) job.error = result.error;
    const now = Date.now();
    for (const t of Object.values(job.times.nodes)) t.finished ??= now;
    if (result.status === 'success') {
      if (job.state === 'dispatching') this.move(job, 'start');
      this.move(job, 'succeed');
    } else if (result.status === 'interrupted') this.move(job, 'cancel');
    else if (isLost(result.error)) this.move(job, 'lose');
    else this.move(job, 'fail');
    this.emitProgress(job.id, this.progress.get(job.id)!, true);
  }
}

function isLost(error: JobError | undefined): boolean {
  return error?.reason === 'lost';
}

/** A job error from anything thrown by a target. */
export function toJobError(e: unknown): JobError {
  if (isRunnerError(e)) {
    const details = (e.details ?? {}) as { node_errors?: Record<string, unknown> };
    return {
      message: e.message,
      reason: e.reason,
      node_id: e.location.nodeId,
      node_type: e.location.classType,
      node_errors: details.node_errors,
    };
  }
  return { message: e instanceof Error ? e.message : String(e), reason: 'internal' };
}
