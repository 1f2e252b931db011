/**
 * The scheduler: durable jobs dispatched across a pool of targets (ComfyUI servers, the embedded
 * engine). Jobs wait in our own queue, by priority and then in order, and go to a target that can run
 * them the moment a slot frees. A library first: the command line and the extension drive the same
 * object, subscribe to its typed events, and read its plain JSON snapshots.
 */
import { RunnerError } from '../util/runnerError';
import { createJob, type Job, type NewJob } from '../jobs/job';
import type { PromptProgress } from '../protocol/promptProgress';
import type { QueueMove } from './jobQueue';
import { Dispatcher } from './dispatch/dispatcher';
import { Pool } from './pool/pool';
import { CapabilityCheck, type TargetVerdict } from './pool/capabilityCheck';
import {
  canTakeJob,
  targetView,
  type PoolTarget,
  type PoolTargetOptions,
  type TargetHealth,
} from './pool/poolTarget';
import {
  checkSplitRetryable,
  retrySpec,
  retryableStates,
  splitRetrySpecs,
  type RetryOptions,
} from './retryPolicy';
import type { SchedulerListener } from './schedulerEvents';
import { JobBook } from './jobBook';
import { lostOnRestore, planRestore } from './restorePlan';
import { checkNewJob, tidySpec } from './schedulerSpec';
import {
  checkConcurrency,
  resolveOptions,
  type ResolvedSchedulerOptions,
  type SchedulerOptions,
} from './schedulerOptions';
import { buildView, type SchedulerView } from './schedulerView';

/** A queue of jobs over a pool of run targets. */
export class Scheduler {
  private readonly options: ResolvedSchedulerOptions;
  private readonly book: JobBook;
  private readonly pool: Pool;
  private readonly dispatcher: Dispatcher;
  private readonly check: CapabilityCheck;
  /** Job id -> its newest explicit retry, so a retried dependent waits for its dependency's retry. */
  private readonly newestRetry = new Map<string, string>();

  constructor(options: SchedulerOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.book = new JobBook(o);
    const check = (this.check = new CapabilityCheck(o.matcher));
    this.pool = new Pool({
      probe: o.probe,
      healthIntervalMs: o.healthIntervalMs,
      onHealth: (t, from) => this.targetHealthChanged(t, from),
      onCapabilities: (t) => this.targetCapabilitiesChanged(t),
    });
    const { shouldAutoRetry, writeRunRecords, onNoTarget, now } = o;
    const parts = {
      book: this.book,
      pool: this.pool,
      check,
      shouldAutoRetry,
      writeRunRecords,
      onNoTarget,
      now,
    };
    this.dispatcher = new Dispatcher(parts);
    this.dispatcher.concurrency = o.concurrency;
    this.dispatcher.paused = o.paused;
    // Last: a target joining reports its health and capabilities through the dispatcher.
    for (const t of o.targets) this.pool.add(t);
  }

  /** Subscribes to events; returns the function that unsubscribes. */
  subscribe(listener: SchedulerListener): () => void {
    return this.book.subscribe(listener);
  }

  /**
   * Queues a new job and returns a copy of it. Throws `bad_input` when its id is taken, its priority
   * is not a finite number, or it depends on a job this scheduler does not know.
   */
  add(spec: NewJob): Job {
    checkNewJob(spec, (id) => this.book.get(id) !== undefined);
    const job = createJob(tidySpec(spec), this.options.now());
    this.book.insert(job);
    this.dispatcher.waiting.enqueue(job);
    this.dispatcher.offer(job);
    return structuredClone(job);
  }

  /**
   * What each target of the pool, in pool order, is to a job before it is added: capable, incapable
   * with every reason (missing node classes or model files, placement), or unknown while its
   * definitions have not arrived. Whether it is enabled, up or busy is left out. The verdicts are kept
   * under the job's id, so dispatching the job once added checks nothing again.
   */
  verdicts(spec: NewJob & { id: string }): { target: string; verdict: TargetVerdict }[] {
    const job = createJob(tidySpec(spec), this.options.now());
    return this.pool.list().map((t) => ({ target: t.name, verdict: this.check.verdict(job, t) }));
  }

  /**
   * How many jobs like `spec` could start now on a target that can run it: the free slots of the
   * enabled, up targets whose verdict is capable (or still unknown). Nothing is kept about the job.
   */
  freePlaces(spec: NewJob): number {
    const id = `places-${crypto.randomUUID()}`;
    const job = createJob(tidySpec({ ...spec, id }), this.options.now());
    try {
      return this.pool
        .list()
        .filter((t) => canTakeJob(t) && this.check.verdict(job, t).kind !== 'incapable')
        .reduce((n, t) => n + Math.max(0, t.slots - t.inFlight.size), 0);
    } finally {
      this.check.forget(id);
    }
  }

  /** Resolves once the health probes and definition loads under way have ended. */
  probed(): Promise<void> {
    return this.pool.settled();
  }

  /**
   * {@link verdicts} for a job that is only looked at, never added (what a UI shows about the workflow
   * in the editor): nothing is kept about it.
   */
  previewVerdicts(spec: NewJob): { target: string; verdict: TargetVerdict }[] {
    const id = `preview-${crypto.randomUUID()}`;
    try {
      return this.verdicts({ ...spec, id });
    } finally {
      this.check.forget(id);
    }
  }

  /**
   * Adds jobs restored from a store, in their states. Ended jobs are history that dependencies can
   * refer to; queued ones join the queue in the order they were first queued; a job that was on a
   * target is followed again when the target can resume it, and is lost otherwise. Their records are
   * not handed to `onJobChanged` unless they change.
   */
  restore(jobs: readonly Job[]): void {
    const plan = planRestore(jobs, (id) => this.book.get(id) !== undefined);
    for (const job of plan.jobs) this.book.adopt(job);
    for (const [old, retry] of plan.retryLinks) this.newestRetry.set(old, retry);
    for (const job of plan.inFlight) this.reattach(job);
    for (const job of plan.queued) this.dispatcher.waiting.enqueue(job);
    this.dispatcher.pump();
  }

  /**
   * Cancels a job: a queued one at once, a dispatched one by aborting it on its target (it ends
   * `cancelled` when the target confirms). The id of a split run, or of any of its parts, cancels every
   * part. False when the job is unknown or already ended.
   */
  cancel(jobId: string): boolean {
    return this.dispatcher.cancelRun(jobId);
  }

  /**
   * Runs a failed, cancelled or lost job again as a new job: attempt + 1, `retryOf` the old id, the
   * same prompt and overrides, a new folder, and dependencies mapped to their newest retries. Returns
   * a copy of the new job; throws `bad_input` for an unknown job or target, or a job not retryable.
   * The id of a split run, or of any of its parts, retries the whole run ({@link retrySplit}).
   */
  retry(jobId: string, options: RetryOptions = {}): Job {
    const parts = this.dispatcher.splits.runOf(jobId);
    if (parts) return this.retrySplit(parts, options);
    const previous = this.book.get(jobId);
    if (!previous) throw new RunnerError('bad_input', `no job ${jobId}`);
    if (!retryableStates.has(previous.state)) {
      throw new RunnerError(
        'bad_input',
        `job ${jobId} is ${previous.state}; only failed, cancelled or lost jobs are retried`,
      );
    }
    this.checkTarget(options.target);
    // Numbered after the newest attempt, so retrying an old attempt twice never reuses a folder.
    const attempt = this.book.get(this.newestAttempt(jobId))!.attempt + 1;
    const plan = {
      attempt,
      outDir: this.options.retryOutDir(previous, attempt),
      dependsOn: previous.dependsOn?.map((d) => this.newestAttempt(d)),
      target: options.target,
    };
    const job = this.add(retrySpec(previous, plan));
    this.newestRetry.set(previous.id, job.id);
    return job;
  }

  /**
   * Moves a queued job: before every other, one place up or down, or after every other. Crossing into
   * jobs of another priority gives it theirs. False when the job is not queued.
   */
  reorder(jobId: string, where: QueueMove): boolean {
    const priority = this.dispatcher.waiting.queue.move(jobId, where);
    if (priority === undefined) return false;
    this.noteMoved(jobId, priority);
    return true;
  }

  /** Gives a queued job another priority (last among that priority's jobs); false when it is not queued. */
  setPriority(jobId: string, priority: number): boolean {
    if (!Number.isFinite(priority))
      throw new RunnerError('bad_input', `priority must be a number, not ${priority}`);
    if (!this.dispatcher.waiting.queue.setPriority(jobId, priority)) return false;
    this.noteMoved(jobId, priority);
    return true;
  }

  /** Stops dispatching new jobs; jobs on targets go on. */
  pause(): void {
    if (this.dispatcher.paused) return;
    this.dispatcher.paused = true;
    this.noteSchedulerChanged();
  }

  /** Dispatches again, at once. */
  resume(): void {
    if (!this.dispatcher.paused) return;
    this.dispatcher.paused = false;
    this.noteSchedulerChanged();
    this.dispatcher.pump();
  }

  /** True while paused. */
  get paused(): boolean {
    return this.dispatcher.paused;
  }

  /** The most jobs on targets at once over the pool; Infinity when only the targets' slots limit it. */
  get concurrency(): number {
    return this.dispatcher.concurrency;
  }

  /** Changes the global cap; raising it starts waiting jobs at once. Lowering it stops nothing running. */
  set concurrency(n: number) {
    this.dispatcher.concurrency = checkConcurrency(n);
    this.noteSchedulerChanged();
    this.dispatcher.pump();
  }

  /** Adds a target to the pool; throws `bad_input` when its name is taken. */
  addTarget(options: PoolTargetOptions): void {
    const t = this.pool.add(options);
    this.book.emit(() => ({ type: 'target/changed', target: targetView(t) }));
  }

  /** Switches a target on or off; jobs running on it finish either way. Throws for an unknown name. */
  setTargetEnabled(name: string, enabled: boolean): void {
    const t = this.pool.get(name);
    if (!t) throw new RunnerError('bad_input', `no target ${name}`);
    if (t.enabled === enabled) return;
    t.enabled = enabled;
    this.book.emit(() => ({ type: 'target/changed', target: targetView(t) }));
    this.dispatcher.pump();
  }

  /** Probes every target's health now (or the named one's); resolves when probes and loads are done. */
  refreshHealth(name?: string): Promise<void> {
    return this.pool.refresh(name);
  }

  /** A JSON snapshot of every job, in the order they were added. */
  snapshot(): Job[] {
    return [...this.book.all()].map((j) => structuredClone(j));
  }

  /** A copy of one job. */
  job(jobId: string): Job | undefined {
    const job = this.book.get(jobId);
    return job && structuredClone(job);
  }

  /** Copies of the parts of the split run `id` names (its id or a part's), by part number; else none. */
  splitParts(id: string): Job[] {
    return (this.dispatcher.splits.runOf(id) ?? []).map((p) => structuredClone(p));
  }

  /** The node progress of one job. */
  progressOf(jobId: string): PromptProgress | undefined {
    return this.book.progressOf(jobId);
  }

  /** Everything a UI shows, as one plain JSON snapshot. */
  view(): SchedulerView {
    const d = this.dispatcher;
    return buildView({
      jobs: this.book.all(),
      queueOrder: d.waiting.queue.ids(),
      progressOf: (id) => this.book.progressOf(id),
      waitingFor: (id) => d.waiting.deps.openDependencies(id),
      isCancelling: (id) => d.isCancelling(id),
      targets: this.pool.list().map(targetView),
      paused: d.paused,
      concurrency: d.concurrency,
      running: d.inFlight,
    });
  }

  /** Resolves when no job is queued, on a target, or having its run record written. */
  onIdle(): Promise<void> {
    return this.dispatcher.onIdle();
  }

  /** Stops health probing. Jobs on targets are left alone, and the targets belong to the caller. */
  dispose(): void {
    this.pool.dispose();
  }

  private reattach(job: Job): void {
    if (this.dispatcher.resumeFlight(job)) return;
    job.error = lostOnRestore(job);
    this.book.move(job, 'lose');
  }

  private checkTarget(target: string | undefined): void {
    if (target !== undefined && !this.pool.get(target))
      throw new RunnerError('bad_input', `no target ${target}`);
  }

  /**
   * A split run again, once all its parts have ended and not all succeeded: every part (those that
   * succeeded too, so the new folder holds the whole run) as a new part of one new split run, each
   * attempt + 1 with `retryOf` its old part, in one new folder. Returns a copy of the first new part.
   */
  private retrySplit(parts: readonly Job[], options: RetryOptions): Job {
    checkSplitRetryable(parts);
    this.checkTarget(options.target);
    const attempt = Math.max(...parts.map((p) => this.book.get(this.newestAttempt(p.id))!.attempt)) + 1;
    const plan = {
      attempt,
      outDir: this.options.retryOutDir(parts[0], attempt),
      dependsOn: (d: string) => this.newestAttempt(d),
      target: options.target,
    };
    // Added in one synchronous loop: no part can end before its siblings are in the book.
    const added = splitRetrySpecs(parts, crypto.randomUUID(), plan).map((spec, i) => {
      const job = this.add(spec);
      this.newestRetry.set(parts[i].id, job.id);
      return job;
    });
    return added[0];
  }

  private newestAttempt(jobId: string): string {
    let id = jobId;
    for (let next = this.newestRetry.get(id); next !== undefined; next = this.newestRetry.get(id)) id = next;
    return id;
  }

  private noteMoved(jobId: string, priority: number): void {
    const job = this.book.get(jobId)!;
    const changed = (job.priority ?? 0) !== priority;
    if (changed) job.priority = priority;
    const position = () => this.dispatcher.waiting.queue.ids().indexOf(jobId);
    this.book.emit(() => ({ type: 'job/moved', jobId, priority, position: position() }));
    if (changed) this.book.changed(job);
  }

  private noteSchedulerChanged(): void {
    const { paused, concurrency } = this.dispatcher;
    const cap = Number.isFinite(concurrency) ? concurrency : null;
    this.book.emit(() => ({ type: 'scheduler/changed', paused, concurrency: cap }));
  }

  private targetHealthChanged(t: PoolTarget, from: TargetHealth): void {
    this.book.emit(() => ({ type: 'target/health', target: targetView(t), from }));
    if (t.health === 'up') this.dispatcher.pump();
  }

  private targetCapabilitiesChanged(t: PoolTarget): void {
    this.book.emit(() => ({ type: 'target/changed', target: targetView(t) }));
    this.dispatcher.waiting.reassessAll();
    this.dispatcher.pump();
  }
}
