/**
 * Just-in-time dispatch. Jobs wait in our own queue; whenever a slot frees, a job is added, a target
 * comes up or the cap is raised, {@link Dispatcher.pump} hands the first ready job to the best target
 * that can run it, in the same tick.
 *
 * Why not p-queue: p-queue takes a task and its place in line when it is added, so the choice of
 * target would be made ahead of time, and it knows one concurrency, not a global cap over per-target
 * slots. The slot cap here is a count per target (its set of flights), which is all p-queue would add;
 * keeping the decision in one loop makes it obvious that a job is dispatched at most once.
 */
import { pickTarget } from './pickTarget';
import { flightHooks, landingOf, newFlight, runFlight, type Flight, type RunStarter } from './flight';
import type { Job, JobError } from '../../jobs/job';
import { terminalStates } from '../../jobs/jobState';
import type { Pool } from '../pool/pool';
import type { CapabilityCheck } from '../pool/capabilityCheck';
import { canTakeJob, type PoolTarget } from '../pool/poolTarget';
import type { AutoRetryPolicy } from '../retryPolicy';
import type { RunResult } from '../targets/runTarget';
import { RunRecords } from './runRecords';
import { SplitRuns } from './splitRuns';
import { WaitingJobs } from './waitingJobs';
import type { JobBook } from '../jobBook';

/** What the dispatcher works with. */
export interface DispatcherParts {
  readonly book: JobBook;
  readonly pool: Pool;
  readonly check: CapabilityCheck;
  readonly shouldAutoRetry: AutoRetryPolicy;
  readonly writeRunRecords: boolean;
  /** What a job without its own `onNoTarget` does when no target can run it. */
  readonly onNoTarget: 'wait' | 'fail';
  readonly now: () => number;
}

/** The queue, the flights, and the loop that moves jobs from one to the other. */
export class Dispatcher {
  /** The queue and what its jobs wait for. */
  readonly waiting: WaitingJobs;
  /** Nothing new is dispatched while true; flights go on. */
  paused = false;
  /** The most flights at once over all targets, prefetched ones included. */
  concurrency = Infinity;
  private readonly flights = new Map<string, Flight>();
  /** Run records being written; `onIdle` waits for them. */
  private readonly records: RunRecords;
  /** The parts of split runs, which end together. */
  /** The split runs of the book: how their parts end together. */
  readonly splits: SplitRuns;
  /** The server version each ended part of a split run ran on, for the run's record. */
  private readonly partVersions = new Map<string, string | undefined>();
  private idleWaiters: (() => void)[] = [];
  private pumping = false;
  private pumpAgain = false;

  constructor(private readonly parts: DispatcherParts) {
    const afterEnded = (ended: readonly Job[]) => {
      for (const job of ended) if (job.split) this.partEnded(job);
      this.checkIdle();
    };
    this.splits = new SplitRuns(parts.book);
    this.waiting = new WaitingJobs({ ...parts, afterEnded });
    this.records = new RunRecords(parts.book, () => this.checkIdle());
  }

  /** How many jobs are on targets now. */
  get inFlight(): number {
    return this.flights.size;
  }

  /** True when the user asked to cancel the job and its target has not confirmed yet. */
  isCancelling(jobId: string): boolean {
    return this.flights.get(jobId)?.cancelRequested ?? false;
  }

  /**
   * Dispatches ready jobs while slots and the cap allow, scanning the queue from its head. Safe to call
   * from inside itself. Every change that can let a queued job go (a slot frees, a target comes up or
   * is switched on or reports its definitions, the cap rises, the queue resumes) must call it: that is
   * what lets {@link offer} check a new job alone.
   */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.dispatchNext());
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Cancels a job, or every unfinished part of a split run when `id` is the run's id or one of its
   * parts; false when nothing was left to cancel.
   */
  cancelRun(id: string): boolean {
    let any = false;
    for (const jobId of this.splits.cancelTargets(id)) any = this.cancel(jobId) || any;
    return any;
  }

  /** Cancels a queued job at once, or asks a job's target to abort it; false when it already ended. */
  cancel(jobId: string): boolean {
    const job = this.parts.book.get(jobId);
    if (!job || terminalStates.has(job.state)) return false;
    const flight = this.flights.get(jobId);
    if (flight) {
      if (!flight.cancelRequested) {
        flight.cancelRequested = true;
        flight.abort.abort();
      }
      return true;
    }
    const stop = this.splits.takeStop(jobId);
    if (stop) job.error = stop;
    this.waiting.cancelQueued(job);
    return true;
  }

  /**
   * Follows a job restored in `dispatching` or `running` on its target again, when the target can
   * resume it; false otherwise. It takes a slot even above the target's capacity: it is on the server.
   */
  resumeFlight(job: Job): boolean {
    const t = job.server === undefined ? undefined : this.parts.pool.get(job.server);
    const resume = t?.target.resume;
    if (!t || !resume || job.promptId === undefined) return false;
    // A prompt id the server never confirmed may be submitted by the resumption: not accepted yet.
    const accepted = job.state === 'running' || job.times.accepted !== undefined;
    const flight = newFlight(t, accepted, job.state === 'running');
    this.launch(job, flight, (hooks, signal) => resume.call(t.target, job, hooks, signal));
    return true;
  }

  /** Resolves when nothing is queued, on a target, or being recorded. */
  onIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  /**
   * Dispatches a job just added, if it can go now. Since the last {@link pump} left no queued job that
   * could go, and adding a job frees nothing, the new job is the only one worth checking: adding stays
   * O(1) however many jobs wait, instead of rescanning them all.
   */
  offer(job: Job): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    const free = this.freeTargets();
    if (free.length === 0 || !this.waiting.queue.has(job.id) || !this.waiting.deps.isReady(job.id)) return;
    const t = this.pick(job, free);
    if (t) this.dispatch(job, t);
  }

  private dispatchNext(): boolean {
    const free = this.freeTargets();
    const { queue, deps } = this.waiting;
    if (free.length === 0 || queue.size === 0) return false;
    // Jobs that wait for dependencies or for a capable target are skipped, not waited behind.
    const next = queue.firstOf((id) => {
      if (!deps.isReady(id)) return undefined;
      const job = this.parts.book.get(id)!;
      const target = this.pick(job, free);
      return target && { job, target };
    });
    if (!next) return false;
    this.dispatch(next.job, next.target);
    return true;
  }

  /** The targets a job may be sent to now; none while paused or at the global cap. */
  private freeTargets(): PoolTarget[] {
    if (this.paused || this.flights.size >= this.concurrency) return [];
    return this.parts.pool.list().filter(canTakeJob);
  }

  private pick(job: Job, free: readonly PoolTarget[]): PoolTarget | undefined {
    return pickTarget(job, free, this.parts.check, (jobId) => this.parts.book.progressOf(jobId));
  }

  private dispatch(job: Job, t: PoolTarget): void {
    this.waiting.take(job);
    job.server = t.name;
    this.parts.book.move(job, 'dispatch');
    this.launch(job, newFlight(t, false, false), (hooks, signal) => t.target.run(job, hooks, signal));
  }

  private launch(job: Job, flight: Flight, start: RunStarter): void {
    this.flights.set(job.id, flight);
    flight.target.inFlight.add(job.id);
    const hooks = flightHooks(job, flight, this.parts.book, () => this.flights.get(job.id) === flight);
    // Deliberately not awaited: the flight lands through `land`, which never throws into this promise.
    void runFlight(start, hooks, flight.abort.signal).then((result) => this.land(job, flight, result));
  }

  /** A run ended: free its slot, end or requeue the job, and fill the slot in the same tick. */
  private land(job: Job, flight: Flight, result: RunResult): void {
    this.flights.delete(job.id);
    flight.target.inFlight.delete(job.id);
    this.settle(job, flight, result);
    if (terminalStates.has(job.state)) {
      const version = flight.target.target.version;
      if (job.split) this.partVersions.set(job.id, version);
      else if (this.parts.writeRunRecords) this.records.write(job, version);
      this.waiting.ended(job);
    }
    this.pump();
    this.checkIdle();
  }

  private settle(job: Job, flight: Flight, result: RunResult): void {
    const book = this.parts.book;
    book.noteRunEnded(job);
    job.outputs = result.outputs;
    if (result.error) job.error = result.error;
    const landing = landingOf(result, flight);
    // A part stopped because a sibling failed says so, rather than how its target took the abort.
    const stop = this.splits.takeStop(job.id);
    if (stop && landing === 'cancel') job.error = stop;
    if ((landing === 'fail' && result.error?.reason === 'server_unreachable') || landing === 'lose') {
      // The target could not be reached or forgot a prompt it had: send it nothing more until the next
      // probe finds it up, so the jobs queued behind this one go to the other targets.
      this.parts.pool.markDown(flight.target, result.error?.message ?? 'the target lost a job');
    }
    if (landing === 'fail' && this.retryDecision(job, flight, result.error)) {
      this.requeue(job, flight, result.error!);
      return;
    }
    if (landing === 'succeed' && job.state === 'dispatching') book.move(job, 'start');
    book.move(job, landing);
  }

  private retryDecision(job: Job, flight: Flight, error: JobError | undefined): boolean {
    if (!error || job.state !== 'dispatching') return false;
    const { accepted, started, cancelRequested } = flight;
    const autoRetry = flight.target.autoRetry;
    return this.parts.shouldAutoRetry({ job, error, autoRetry, accepted, started, cancelRequested });
  }

  /** Sends a job whose submission failed before it started back to the front of its priority. */
  private requeue(job: Job, flight: Flight, error: JobError): void {
    const retry = {
      at: this.parts.now(),
      reason: error.reason,
      message: error.message,
      target: flight.target.name,
    };
    job.autoRetries = [...(job.autoRetries ?? []), retry];
    job.outputs = [];
    delete job.error;
    delete job.server;
    delete job.promptId;
    this.parts.book.emit(() => ({ type: 'job/autoRetry', jobId: job.id, retry: { ...retry } }));
    this.parts.book.move(job, 'requeue');
    this.waiting.requeueFirst(job);
  }

  /** A part of a split run ended: stop its siblings if it failed, merge the run if it was the last. */
  private partEnded(job: Job): void {
    const ending = this.splits.ended(job);
    for (const sibling of ending.stop) this.cancel(sibling.id);
    if (!ending.ended || !this.parts.writeRunRecords) return;
    const parts = ending.ended;
    const version = parts.map((p) => this.partVersions.get(p.id)).find((v) => v !== undefined);
    for (const p of parts) this.partVersions.delete(p.id);
    this.records.writeSplit(parts, version, (merged) => this.noteMerged(merged));
  }

  /** The parts of a merged split run keep their outputs' new paths, and the world hears of it. */
  private noteMerged(merged: readonly Job[]): void {
    const book = this.parts.book;
    for (const part of merged) {
      const live = book.get(part.id);
      if (!live) continue;
      live.outputs = part.outputs;
      book.emit(() => ({ type: 'job/outputs', jobId: live.id, job: structuredClone(live) }));
      book.changed(live);
    }
  }

  private checkIdle(): void {
    if (this.waiting.queue.size > 0 || this.flights.size > 0 || this.records.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
