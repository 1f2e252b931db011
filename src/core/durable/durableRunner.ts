/**
 * A scheduler whose jobs live in a job store (docs/store-format.md) and so survive the process. Started,
 * it takes ownership of the store (heartbeat included), takes the stored jobs back, and from then on
 * writes every change of every job to the store (atomically, in order, the newest record winning) and
 * applies the cancel and retry requests other processes leave there.
 *
 * Taking jobs back: ended jobs are history (retries and dependencies refer to them); queued jobs stay
 * queued, in their order; a job that was `dispatching` before it had a prompt id was never submitted and
 * is queued again; a job that was on a server under a prompt id is handed to its target's `resume`, which
 * asks the server about that id before anything else (followed if pending or running, its outputs
 * collected if it finished meanwhile, lost if the server forgot it, submitted under the same id only if it
 * was never accepted and the server does not have it). A job that was on a target inside the stopped
 * process (the embedded engine, which died with it) is queued again in its place, in a clean folder: one
 * that had not started as it was, one that was running as a new attempt recorded on the job
 * (takeBackInProcess.ts). Any other target without `resume` leaves such a job lost.
 */
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { AcquireResult, OwnerRecord } from '../store/ownerLock';
import { storeInUse } from '../store/storeInUse';
import type { JobStore, StoreEvent } from '../store/jobStore';
import type { RequestAnswer, StoreRequest } from '../store/storeRequests';
import { DurableWriter } from './durableWriter';
import { takeBackInProcess } from './takeBackInProcess';
import { applyOperation, type Job } from '../jobs/job';
import { terminalStates } from '../jobs/jobState';
import type { PoolTargetOptions } from '../scheduler/pool/poolTarget';
import { Scheduler } from '../scheduler/scheduler';
import type { SchedulerListener } from '../scheduler/schedulerEvents';
import type { SchedulerOptions } from '../scheduler/schedulerOptions';

/** Options of {@link startDurableRunner}. */
export interface DurableRunnerOptions {
  /** An open store. The runner takes ownership (refusing a store a live process owns) and closes it. */
  readonly store: JobStore;
  /**
   * What taking the store answered, when the caller took it already (to look at its jobs first), so
   * that it is taken once.
   * @default taken by the runner
   */
  readonly acquired?: Extract<AcquireResult, { acquired: true }>;
  /**
   * The pool. The runner owns these targets from the call on and disposes them when it closes, after
   * it stopped writing, so that runs cut short by closing are not recorded as lost.
   */
  readonly targets: readonly PoolTargetOptions[];
  /**
   * Names that stand for a target inside the runner's own process even when `targets` leaves them out
   * (the embedded engine of a runner started with remote servers only), so that a job a stopped runner
   * had there is queued or run again rather than lost. A name `targets` holds goes by that target.
   * @default []
   */
  readonly inProcessNames?: readonly string[];
  /**
   * Everything else the scheduler takes (concurrency, probe, onNoTarget, ...).
   * @default {}
   */
  readonly scheduler?: Omit<SchedulerOptions, 'target' | 'targets' | 'onJobChanged' | 'paused'>;
  /**
   * Start with the queue paused: stored jobs are taken back, but nothing new is dispatched.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * Subscribed before the stored jobs are taken back, so it hears of them too.
   * @default undefined
   */
  readonly listener?: SchedulerListener;
  /**
   * Problems nobody can be thrown at: a failed write, an unreadable job file or request, ownership lost.
   * @default ignored
   */
  readonly onProblem?: (error: RunnerError) => void;
}

/** What became of the stored jobs when the runner started, by job id. */
export interface RestoreReport {
  /** Waiting in the queue, as they were. */
  queued: string[];
  /** Followed again on the server they were on. */
  reattached: string[];
  /**
   * Never started: `dispatching` without a prompt id (never submitted), or on a target inside the stopped
   * process (prefetched); queued again.
   */
  requeued: string[];
  /**
   * Running on a target inside the stopped process, which died with it: queued again to run as a new
   * attempt, the run cut short recorded in the job's `restarts`.
   */
  restarted: string[];
  /** On a target that cannot take them back, or cut short by the runner stopping too often. */
  lost: string[];
  /** The process that owned the store before, when it stopped without giving it up. */
  previousOwner?: OwnerRecord;
}

/** Takes ownership of the store and starts a scheduler over its jobs; see the file comment. */
export async function startDurableRunner(options: DurableRunnerOptions): Promise<DurableRunner> {
  const { store } = options;
  const acquired = options.acquired ?? (await store.acquire());
  if (!acquired.acquired) {
    await Promise.all(options.targets.map((t) => t.target.dispose().catch(() => undefined)));
    throw storeInUse(store.dir, acquired.owner);
  }
  try {
    const jobs = await store.list();
    for (const problem of store.problems()) options.onProblem?.(problem);
    const inProcess = await takeBackInProcess(
      store,
      jobs,
      options.targets,
      Date.now(),
      options.inProcessNames,
    );
    const requeued = [...inProcess.requeued, ...(await requeueUnsubmitted(store, jobs))];
    const taken = { ...inProcess, requeued, previousOwner: acquired.previous };
    const runner = new DurableRunner(options, jobs, taken);
    await runner.start(options.paused ?? false);
    return runner;
  } catch (e) {
    await Promise.all(options.targets.map((t) => t.target.dispose().catch(() => undefined)));
    await store.close();
    throw e;
  }
}

/**
 * Jobs that were `dispatching` before a prompt id was chosen, queued again. The prompt id is kept before
 * any submission, so a job without one never reached a server.
 */
async function requeueUnsubmitted(store: JobStore, jobs: Job[]): Promise<string[]> {
  const ids: string[] = [];
  for (const job of jobs) {
    if (job.state !== 'dispatching' || job.promptId !== undefined) continue;
    applyOperation(job, 'requeue');
    delete job.server;
    await store.put(job);
    ids.push(job.id);
  }
  return ids;
}

/** A running durable scheduler: its jobs, and the store they are kept in. */
export class DurableRunner {
  /** The scheduler; add jobs and subscribe here. Every change is written to the store. */
  readonly scheduler: Scheduler;
  /** What became of the stored jobs at start. */
  readonly restored: RestoreReport;
  private readonly store: JobStore;
  private readonly writer: DurableWriter;
  private readonly unsubscribe: () => void;
  private requests: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;

  /** Use {@link startDurableRunner}. */
  constructor(
    private readonly options: DurableRunnerOptions,
    jobs: Job[],
    report: Pick<RestoreReport, 'requeued' | 'restarted' | 'lost' | 'previousOwner'>,
  ) {
    this.store = options.store;
    this.writer = new DurableWriter(this.store, (e) => this.problem(e));
    this.scheduler = new Scheduler({
      ...options.scheduler,
      targets: options.targets,
      paused: true,
      onJobChanged: (job, urgency) => this.writer.put(job, urgency),
    });
    if (options.listener) this.scheduler.subscribe(options.listener);
    this.scheduler.restore(jobs);
    this.restored = { ...report, ...this.sortRestored(jobs, report) };
    this.unsubscribe = this.store.subscribe((event) => this.onStoreEvent(event));
  }

  /** The store's folder. */
  get storeDir(): string {
    return this.store.dir;
  }

  /** Applies the requests left while nobody owned the store, then lets the queue go unless `paused`. */
  async start(paused: boolean): Promise<void> {
    this.takeRequests();
    await this.requests;
    if (!paused) this.scheduler.resume();
  }

  /** Resolves when nothing is queued or on a target, and every record is written. */
  async idle(): Promise<void> {
    await this.scheduler.onIdle();
    await this.requests;
    await this.writer.flush();
  }

  /** Resolves once every change so far is in the store. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Stops: the queue is paused, pending records are written, and then nothing more is: targets are
   * disposed (jobs still on a server stay `running` in the store, to be taken back by the next runner)
   * and ownership is given up.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.unsubscribe();
    this.scheduler.pause();
    await this.requests;
    await this.writer.flush();
    this.writer.stop();
    this.scheduler.dispose();
    for (const t of this.options.targets) {
      await t.target.dispose().catch((e: unknown) => this.problem(e));
    }
    await this.store.close();
  }

  /** Sorts the jobs the scheduler took back; `taken` are those changed before it saw them. */
  private sortRestored(
    jobs: Job[],
    taken: Pick<RestoreReport, 'requeued' | 'restarted' | 'lost'>,
  ): Pick<RestoreReport, 'queued' | 'reattached' | 'lost'> {
    const was = (state: Job['state']) => jobs.filter((j) => j.state === state).map((j) => j.id);
    const inFlight = [...was('dispatching'), ...was('running')];
    const now = (id: string) => this.scheduler.job(id)?.state;
    const changed = new Set([...taken.requeued, ...taken.restarted]);
    return {
      queued: was('queued').filter((id) => !changed.has(id)),
      reattached: inFlight.filter((id) => now(id) !== 'lost'),
      lost: [...taken.lost, ...inFlight.filter((id) => now(id) === 'lost')],
    };
  }

  private onStoreEvent(event: StoreEvent): void {
    switch (event.type) {
      case 'requests/pending':
        return this.takeRequests();
      case 'owner/lost':
        // Another process took the store over: it dispatches now, and our writes would be refused.
        this.scheduler.pause();
        return this.problem(new RunnerError('internal', `lost ownership of the job store ${this.storeDir}`));
      case 'store/problem':
        return this.problem(event.error);
      case 'jobs/changed':
        return;
    }
  }

  /** Takes waiting requests and answers each, one batch after another. */
  private takeRequests(): void {
    if (this.closing) return;
    this.requests = this.requests.then(() => this.applyRequests()).catch((e: unknown) => this.problem(e));
  }

  private async applyRequests(): Promise<void> {
    for (const request of await this.store.takeRequests()) {
      const answer =
        request.op === 'prune'
          ? await pruneRequest(this.store, this.scheduler, request)
          : answerRequest(this.scheduler, request);
      // The asker may read the store as soon as it has the answer: what the answer says must be there.
      await this.writer.flush();
      await this.store.answer(request, answer);
    }
  }

  private problem(e: unknown): void {
    const error = isRunnerError(e)
      ? e
      : new RunnerError('internal', String((e as Error)?.message ?? e), {}, e);
    this.options.onProblem?.(error);
  }
}

/** Removes an ended job's record from the store for another process; running or queued jobs stay. */
async function pruneRequest(
  store: JobStore,
  scheduler: Scheduler,
  request: StoreRequest,
): Promise<Pick<RequestAnswer, 'ok' | 'message'>> {
  const job = scheduler.job(request.jobId) ?? (await store.get(request.jobId));
  if (!job) return { ok: false, message: `no job ${request.jobId}` };
  if (!terminalStates.has(job.state)) return { ok: false, message: `job ${job.id} is still ${job.state}` };
  await store.remove(job.id);
  return { ok: true, message: 'pruned; its output folder is kept' };
}

/** Applies a cancel or retry request of another process to the scheduler and says what happened. */
export function answerRequest(
  scheduler: Scheduler,
  request: StoreRequest,
): Pick<RequestAnswer, 'ok' | 'message' | 'jobId'> {
  const job = scheduler.job(request.jobId);
  if (!job) return { ok: false, message: `no job ${request.jobId}` };
  if (request.op === 'cancel') {
    if (!scheduler.cancel(job.id)) return { ok: false, message: `job ${job.id} is already ${job.state}` };
    const cancelled = scheduler.job(job.id)?.state === 'cancelled';
    return { ok: true, message: cancelled ? 'cancelled' : `cancelling: ${job.server} was asked to stop it` };
  }
  try {
    const retry = scheduler.retry(job.id);
    return { ok: true, message: `queued again as job ${retry.id}`, jobId: retry.id };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
