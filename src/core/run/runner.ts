/**
 * The runner every front end stands on (the command line, the VS Code extension): it opens a job store
 * and takes it (once), builds the pool from plain settings (the embedded engine and servers, with
 * credentials handed in and never stored), starts the durable scheduler over it, plans jobs from
 * workflow files or in-memory text and checks them against the pool before anything is queued, and
 * offers a typed event stream and a plain JSON snapshot of jobs, servers and the queue.
 *
 * Opening a store that has unfinished jobs either refuses (a new command-line run: the user resumes or
 * cancels them first) or takes them back (`jobs resume`, an editor window reloading): jobs that were on a
 * server are followed there again under the same client id and prompt id, queued jobs run.
 */
import { resolve } from 'node:path';
import { startDurableRunner, type DurableRunner, type RestoreReport } from '../durable/durableRunner';
import type { Job, NewJob } from '../jobs/job';
import type { PromptProgress } from '../protocol/promptProgress';
import { terminalStates } from '../jobs/jobState';
import type { QueueMove } from '../scheduler/jobQueue';
import type { RetryOptions } from '../scheduler/retryPolicy';
import type { Scheduler } from '../scheduler/scheduler';
import type { SchedulerEvent } from '../scheduler/schedulerEvents';
import type { SchedulerView } from '../scheduler/schedulerView';
import type { StoreOptions } from '../store/jobStore';
import { openStore } from '../store/openStore';
import { storeInUse } from '../store/storeInUse';
import { RunnerError } from '../util/runnerError';
import type { SystemStats } from '../comfy/systemStats';
import type { SweepableInput } from '../workflow/overrides';
import { planJobs, type PlanRequest, type WorkflowSource } from './planJobs';
import { closePlaces, EMBEDDED, openPlaces, poolTargets, type Place } from './poolPlaces';
import {
  poolOf,
  settingsFor,
  writeRunnerSettings,
  type RunnerSettings,
  type RunnerSettingsRequest,
} from './runnerSettings';
import { workflowOutputNodes, workflowSweepInputs, type OutputNode } from './workflowChoices';
import { workflowVerdicts, type WorkflowVerdict } from './workflowVerdicts';

/** What a runner tells its subscribers: the scheduler's events, plain JSON keyed by `type`. */
export type RunnerEvent = SchedulerEvent;

/** A subscriber to a runner's events. */
export type RunnerListener = (event: RunnerEvent) => void;

/**
 * Where a front end reads jobs from: a runner, or a store another process runs followed from outside
 * (`storeWatch.ts`). Subscribe and take the snapshot in one tick, so that no event falls between them.
 */
export interface JobSource {
  /** Tells `listener` every event from now on; returns the function that unsubscribes. */
  subscribe(listener: RunnerListener): () => void;
  /** Every job and how it stands now. */
  snapshot(): RunnerSnapshot;
}

/** Options of {@link openRunner}; the pool and folders are {@link RunnerSettingsRequest}'s. */
export interface RunnerOptions extends RunnerSettingsRequest {
  /** The job store's folder. */
  readonly storeDir: string;
  /**
   * What a job no server can run does: wait for one (a window that stays open), or fail at once (a
   * command line, which would never end).
   * @default 'wait'
   */
  readonly onNoTarget?: 'wait' | 'fail';
  /** How the store notices other processes. @default the store's defaults */
  readonly store?: StoreOptions;
  /**
   * Start with the queue paused: stored jobs are taken back, nothing new is dispatched until `resume`.
   * @default false
   */
  readonly paused?: boolean;
  /** Problems nobody can be thrown at (a failed write, an unreadable job file). @default ignored */
  readonly onProblem?: (error: RunnerError) => void;
  /**
   * Where the embedded engine writes the JavaScript stack of a node that threw: a bug report's detail,
   * kept out of the job's error (which names node, exception and message).
   * @default the process's standard error
   */
  readonly engineLog?: (entry: string) => void;
}

/** Everything a front end shows, as one plain JSON snapshot. */
export interface RunnerSnapshot extends SchedulerView {
  /** The store's folder. */
  storeDir: string;
  /** Where run folders go. */
  out: string;
}

/** Opens the store, takes it, builds the pool and starts the durable scheduler; see the file comment. */
export async function openRunner(options: RunnerOptions): Promise<Runner> {
  const store = await openStore(resolve(options.storeDir), options.store);
  let places: Place[] = [];
  let started = false;
  try {
    const acquired = await store.acquire();
    if (!acquired.acquired) throw storeInUse(store.dir, acquired.owner);
    const unfinished = (await store.list()).filter((j) => !terminalStates.has(j.state));
    if (unfinished.length > 0 && options.unfinished === 'refuse') throw unfinishedJobs(store.dir, unfinished);
    const settings = await settingsFor(store.dir, options, unfinished);
    await writeRunnerSettings(store.dir, settings);
    places = await openPlaces({
      ...settings,
      servers: poolOf(options, settings),
      engineLog: options.engineLog,
    });
    // From the call on, the durable runner owns the store and the places, and closes them if it fails.
    started = true;
    const durable = await startDurableRunner({
      store,
      acquired,
      targets: poolTargets(places),
      inProcessNames: [EMBEDDED],
      scheduler: { concurrency: settings.concurrency, onNoTarget: options.onNoTarget ?? 'wait' },
      paused: options.paused ?? false,
      onProblem: options.onProblem,
    });
    return new Runner(durable, settings, places);
  } catch (e) {
    if (!started) {
      await closePlaces(places);
      await store.close();
    }
    throw e;
  }
}

/** The error for a store whose unfinished jobs a new run must not run over. */
function unfinishedJobs(dir: string, unfinished: readonly Job[]): RunnerError {
  return new RunnerError(
    'bad_input',
    `the job store ${dir} has ${unfinished.length} unfinished job(s) of a run that stopped: ` +
      `finish them with "comfy-runner jobs resume --store ${dir}", cancel them with ` +
      `"comfy-runner jobs cancel <id> --store ${dir}", or run with another --store`,
    { file: dir },
  );
}

/** Options of {@link Runner.follow}. */
export interface FollowOptions {
  /** Told every event about the followed jobs (and every job added meanwhile). */
  readonly onEvent?: RunnerListener;
  /** Aborting pauses the queue and cancels every followed job, on its server too. */
  readonly stop?: AbortSignal;
}

/** A running runner over one store; see the file comment. Use {@link openRunner}. */
export class Runner {
  /** @internal Use {@link openRunner}. */
  constructor(
    private readonly durable: DurableRunner,
    /** The pool's names, the folders and the client id, as kept in the store's `runner.json`. */
    readonly settings: RunnerSettings,
    private readonly places: readonly Place[],
  ) {}

  private get scheduler(): Scheduler {
    return this.durable.scheduler;
  }

  /** The store's folder. */
  get storeDir(): string {
    return this.durable.storeDir;
  }

  /** What became of the stored jobs when the runner started. */
  get restored(): RestoreReport {
    return this.durable.restored;
  }

  /**
   * The jobs of a request, checked against the pool (`bad_input` naming file, node and input, or
   * `no_capable_server` with every server's reasons) and not yet queued; run folders under
   * `request.out`, by default the runner's. A split run first waits for the probes under way (the first
   * ones of a runner just opened): a server not yet known to be up is no free place.
   */
  async plan(request: Omit<PlanRequest, 'out'> & { out?: string }): Promise<NewJob[]> {
    if (request.split) await this.scheduler.probed();
    const defs = new Map(this.places.map((p) => [p.name, p.defs]));
    const verdicts = (job: NewJob & { id: string }) => this.scheduler.verdicts(job);
    const freePlaces = (job: NewJob) => this.scheduler.freePlaces(job);
    return planJobs({ ...request, out: request.out ?? this.settings.out }, { defs, verdicts, freePlaces });
  }

  /** The inputs of a workflow a sweep can vary, read as a run would read it (workflowChoices.ts). */
  sweepInputs(source: WorkflowSource): Promise<SweepableInput[]> {
    return workflowSweepInputs(source, this.places[0]?.defs ?? {});
  }

  /** The output nodes of a workflow a run can be limited to (workflowChoices.ts). */
  outputNodes(source: WorkflowSource): Promise<OutputNode[]> {
    return workflowOutputNodes(source, this.places[0]?.defs ?? {});
  }

  /**
   * What each server of the pool, in pool order, is to a workflow: capable, incapable with every reason
   * (missing node classes or model files), or unknown while its definitions have not arrived. Nothing is
   * queued or kept. Throws `bad_input` when the source is not a workflow.
   */
  whyNot(source: WorkflowSource): Promise<WorkflowVerdict[]> {
    const defs = this.places[0]?.defs ?? {};
    return workflowVerdicts(source, { defs, verdicts: (job) => this.scheduler.previewVerdicts(job) });
  }

  /**
   * What a server of the pool says about itself now: for a ComfyUI server its `/system_stats` (version,
   * memory, devices with their free VRAM), rejecting with its RunnerError (`server_unreachable`,
   * `auth`, `timeout`, `protocol`); for the embedded engine this machine's memory. `bad_input` for a
   * name not in the pool.
   */
  serverStats(name: string): Promise<SystemStats> {
    const place = this.places.find((p) => p.name === name);
    if (!place) return Promise.reject(new RunnerError('bad_input', `no server ${name} in the pool`));
    return place.stats();
  }

  /** Queues planned jobs, in order; returns copies of them. Nothing is queued if one is refused. */
  add(jobs: readonly NewJob[]): Job[] {
    return jobs.map((spec) => this.scheduler.add(spec));
  }

  /** Plans a request and queues its jobs; nothing is queued unless every job is good. */
  async submit(request: Omit<PlanRequest, 'out'> & { out?: string }): Promise<Job[]> {
    return this.add(await this.plan(request));
  }

  /**
   * Follows jobs to their end: those named in `seed`, every job `add` queues, and every job added while
   * following (a retry another process asks for). Returns them, in order, once nothing is queued or
   * running. See {@link FollowOptions.stop}.
   */
  async follow(seed: Iterable<string>, add: () => void, options: FollowOptions = {}): Promise<Job[]> {
    const s = this.scheduler;
    const mine = new Set(seed);
    const off = s.subscribe((event) => {
      if (event.type === 'job/added') mine.add(event.job.id);
      if (event.type !== 'job/added' && !mine.has(jobIdOf(event))) return;
      options.onEvent?.(event);
    });
    const { stop } = options;
    const cancelAll = () => {
      s.pause();
      for (const id of mine) s.cancel(id);
    };
    stop?.addEventListener('abort', cancelAll, { once: true });
    try {
      add();
      if (!stop?.aborted) s.resume();
      await this.durable.idle();
    } finally {
      off();
      stop?.removeEventListener('abort', cancelAll);
    }
    return [...mine].flatMap((id) => s.job(id) ?? []);
  }

  /** Tells `listener` every event from now on; returns the function that unsubscribes. */
  subscribe(listener: RunnerListener): () => void {
    return this.scheduler.subscribe(listener);
  }

  /** Jobs, servers and the queue, as plain JSON. */
  snapshot(): RunnerSnapshot {
    return { ...this.scheduler.view(), storeDir: this.storeDir, out: this.settings.out };
  }

  /** A copy of one job. */
  job(id: string): Job | undefined {
    return this.scheduler.job(id);
  }

  /** Copies of the parts of the split run `id` names (its id or a part's), by part number; else none. */
  splitParts(id: string): Job[] {
    return this.scheduler.splitParts(id);
  }

  /** The node progress of one job. */
  progressOf(id: string): PromptProgress | undefined {
    return this.scheduler.progressOf(id);
  }

  /** Cancels a job (on its server too); false when it is unknown or already ended. */
  cancel(id: string): boolean {
    return this.scheduler.cancel(id);
  }

  /** Runs a failed, cancelled or lost job again as a new attempt; returns the new job. */
  retry(id: string, options?: RetryOptions): Job {
    return this.scheduler.retry(id, options);
  }

  /** Moves a queued job; false when it is not queued. */
  reorder(id: string, where: QueueMove): boolean {
    return this.scheduler.reorder(id, where);
  }

  /** Stops dispatching new jobs; jobs on servers go on. */
  pause(): void {
    this.scheduler.pause();
  }

  /** Dispatches again. */
  resume(): void {
    this.scheduler.resume();
  }

  /** Switches a server on or off by name; jobs running on it finish either way. */
  setServerEnabled(name: string, enabled: boolean): void {
    this.scheduler.setTargetEnabled(name, enabled);
  }

  /** Resolves when nothing is queued or running and every record is written. */
  idle(): Promise<void> {
    return this.durable.idle();
  }

  /**
   * Stops: nothing more is dispatched or written, the servers' connections and the engine are closed,
   * and the store is given up. Jobs still on a server stay `running` in the store, for the next runner.
   */
  close(): Promise<void> {
    return this.durable.close();
  }
}

/** The job an event is about; '' for events about servers or the queue. */
function jobIdOf(event: RunnerEvent): string {
  return 'jobId' in event ? event.jobId : '';
}
