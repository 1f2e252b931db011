/**
 * One prompt's run inside the engine (split out of executor.ts): cache lookup, then a dataflow loop that
 * starts every ready node while fewer than the concurrency limit run, heavy ones on the worker pool. The
 * loop is driven by promise callbacks, never by recursion, and yields to the event loop every few
 * milliseconds so that interrupts and timers get through a long chain of quick main-thread nodes.
 *
 * The first failure ends the run at once: no node starts after it, nodes still running are abandoned
 * (their results ignored) and the shared flag is raised so their loops stop at the next checkpoint. An
 * interrupt ends the run the same way, with `execution_interrupted` instead of `execution_error`.
 */
import { isLink } from '../workflow/graph';
import type { ApiPrompt, NodeId } from '../workflow/types';
import {
  exceptionMessageOf,
  exceptionTypeOf,
  engineTraceback,
  formatValue,
  nodeErrorLogLine,
  type EngineEvent,
  type EngineLog,
  type ExecutionOutcome,
} from './engineEvents';
import { computeCacheKeys, type ExecutionCache } from './executionCache';
import { imageCodingHooks } from './imageCoding';
import { replayCachedOutputs } from './outputReplay';
import { PreviewStager } from './previewStager';
import type { NodeRegistry } from './registry';
import { MIN_SPLIT_SIZE, splitRows } from './rowBands';
import { RunReporter, type ProgressStatePolicy } from './runReporter';
import { DataflowSchedule, planExecution, type ExecutionPlan } from './scheduleGraph';
import {
  flagCheckpoint,
  InterruptedException,
  type BandPlan,
  type NodeContext,
  type NodeImpl,
  type NodeResult,
  type PreviewImage,
  type RowBands,
  type UiOutput,
  type WrittenFile,
} from './types';
import { UnknownWorkerClassError, type WorkerPool } from './workerPool';

/** Values of the shared flag: zero lets nodes run; anything else stops them at their next checkpoint. */
const FLAG_INTERRUPTED = 1;
const FLAG_FAILED = 2;
/** The longest stretch of main-thread work before the loop lets the event loop run. */
const YIELD_AFTER_MS = 10;

/** Everything a run needs from its engine. */
export interface PromptExecutionSetup {
  promptId: string;
  /** The validated, coerced prompt. */
  prompt: ApiPrompt;
  /** The output nodes to run. */
  outputs: NodeId[];
  /** Every node the outputs need, dependencies first. */
  order: NodeId[];
  nodes: NodeRegistry;
  cache: ExecutionCache;
  /** The folders of this prompt: the engine's, or the ones the prompt was given. */
  dirs: { inputDir: string; outputDir: string; tempDir: string };
  extraPngInfo?: Record<string, unknown>;
  /** The current concurrency limit (it may change while the run goes on). */
  concurrency: () => number;
  /** The worker pool, or undefined to run heavy nodes on the main thread. */
  pool: () => WorkerPool | undefined;
  emit: (event: EngineEvent) => void;
  /** Where the JavaScript stack of a node that threw goes; must not throw. */
  log: EngineLog;
  /** How often `progress_state` goes out (runReporter.ts). @default 'coalesced' */
  progressStates?: ProgressStatePolicy;
  /**
   * Told of every file a node wrote, or a cached node's file copied into this prompt's folders; must not
   * throw.
   */
  written: (nodeId: NodeId, file: WrittenFile) => void;
  /**
   * Given each run of a node on the main thread, which settles when the node's own code has returned
   * (later than the run's end, for a node still running when the run failed or was interrupted).
   */
  mainRun?: (settled: Promise<unknown>) => void;
}

/** One prompt's run; see the module comment. */
export class PromptExecution {
  /** The prompt id of this run. */
  readonly promptId: string;
  private readonly reporter: RunReporter;
  private readonly flag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private readonly live = new Map<NodeId, readonly unknown[]>();
  private readonly inFlight = new Map<NodeId, () => void>();
  /** The progress and previews of main-thread nodes in flight (worker nodes have theirs on the worker). */
  private readonly stagers = new Map<NodeId, PreviewStager>();
  private readonly ui: Record<string, UiOutput> = {};
  private keys = new Map<NodeId, string>();
  private plan: ExecutionPlan | undefined;
  private schedule: DataflowSchedule | undefined;
  private finished = false;
  private lastYield = performance.now();
  private resolve: (outcome: ExecutionOutcome) => void = () => undefined;

  constructor(private readonly setup: PromptExecutionSetup) {
    this.promptId = setup.promptId;
    this.reporter = new RunReporter(
      setup.promptId,
      (event) => {
        try {
          setup.emit(event);
        } catch {
          // A listener's bug must not break the run; the listener contract says exceptions are ignored.
        }
      },
      setup.progressStates,
    );
  }

  /** Runs the prompt to its end; never rejects. */
  async run(): Promise<ExecutionOutcome> {
    const { prompt, order, outputs, nodes, cache } = this.setup;
    const done = new Promise<ExecutionOutcome>((resolve) => (this.resolve = resolve));
    this.reporter.start();
    this.keys = await computeCacheKeys(prompt, order, nodes, (id) => this.contextFor(id));
    const { dirs, written } = this.setup;
    const rerun = await replayCachedOutputs(outputs, this.keys, cache, dirs, written);
    const isCached = (id: NodeId) => !rerun.has(id) && cache.has(this.keys.get(id)!);
    const plan = planExecution(prompt, order, outputs, isCached);
    this.plan = plan;
    this.reporter.cached(plan.cached);
    for (const id of plan.cachedSources) this.live.set(id, cache.get(this.keys.get(id)!)!.outputs);
    this.schedule = new DataflowSchedule(prompt, plan.toRun, plan.cachedSources);
    for (const id of plan.cachedOutputs) {
      const entry = cache.get(this.keys.get(id)!)!;
      if (entry.ui) this.ui[id] = entry.ui;
      this.reporter.cachedOutput(id, entry.ui);
    }
    this.pump();
    return done;
  }

  /** Raises the flag and ends the run with `execution_interrupted` (on a later microtask). */
  interrupt(): void {
    if (this.finished || Atomics.load(this.flag, 0) !== 0) return;
    Atomics.store(this.flag, 0, FLAG_INTERRUPTED);
    // Deferred, so that an interrupt from inside an event listener does not re-enter the loop.
    queueMicrotask(() => this.pump());
  }

  /** Starts ready nodes while below the concurrency limit; ends the run when nothing is left. */
  pump(): void {
    const schedule = this.schedule;
    if (this.finished || !schedule) return;
    if (Atomics.load(this.flag, 0) === FLAG_INTERRUPTED) return this.endInterrupted(undefined);
    if (schedule.remaining === 0) return this.endSuccess();
    // The flag check stops the loop when a listener interrupts while a node is being started.
    while (
      this.inFlight.size < this.setup.concurrency() &&
      schedule.hasReady &&
      Atomics.load(this.flag, 0) === 0
    ) {
      this.startNode(schedule.takeReady()!);
    }
  }

  private startNode(id: NodeId): void {
    const node = this.setup.prompt[id];
    const impl = this.setup.nodes.get(node.class_type)!;
    const inputs = this.resolveInputs(id);
    for (const up of this.schedule!.started(id)) this.live.delete(up);
    this.inFlight.set(id, () => undefined);
    this.reporter.nodeStarted(id);
    const pool = impl.heavy ? this.setup.pool() : undefined;
    if (pool && impl.bands && pool.size > 1) this.runInBands(id, impl, impl.bands, inputs, pool);
    else if (pool) this.runOnWorker(id, impl, inputs, pool);
    else this.runOnMain(id, impl, inputs);
  }

  /**
   * Plans the node here, then has the workers fill its output rows in one band each (one band only for
   * small work); a node that plans nothing runs whole on a worker.
   */
  private runInBands(
    id: NodeId,
    impl: NodeImpl,
    bands: RowBands,
    inputs: Record<string, unknown>,
    pool: WorkerPool,
  ): void {
    let plan: BandPlan | undefined;
    try {
      plan = bands.plan(inputs);
    } catch (e) {
      // Failed as the node's run would have: after this turn, as a worker's failure arrives.
      queueMicrotask(() => this.onFailed(id, e, inputs));
      return;
    }
    if (!plan) return this.runOnWorker(id, impl, inputs, pool);
    const { outputs, args } = plan;
    const count = plan.size < MIN_SPLIT_SIZE ? 1 : pool.size;
    const handles = splitRows(plan.rows, count).map(([from, to]) => {
      const band = { args, outputs, from, to };
      const task = {
        classType: impl.classType,
        nodeId: id,
        inputs: {},
        band,
        flag: this.flag,
        dirs: this.setup.dirs,
      };
      return pool.run(task, (value, max, preview) => this.onProgress(id, value, max, preview));
    });
    this.inFlight.set(id, () => handles.forEach((h) => h.abandon()));
    Promise.all(handles.map((h) => h.result)).then(
      () => this.onDone(id, { outputs }, inputs),
      (e: unknown) => {
        handles.forEach((h) => h.abandon());
        if (e instanceof UnknownWorkerClassError) this.runOnMain(id, impl, inputs);
        else this.onFailed(id, e, inputs);
      },
    );
  }

  private runOnWorker(id: NodeId, impl: NodeImpl, inputs: Record<string, unknown>, pool: WorkerPool): void {
    const task = { classType: impl.classType, nodeId: id, inputs, flag: this.flag, dirs: this.setup.dirs };
    const handle = pool.run(task, (value, max, preview) => this.onProgress(id, value, max, preview));
    this.inFlight.set(id, handle.abandon);
    handle.result.then(
      (result) => this.onDone(id, result, inputs),
      (e: unknown) =>
        e instanceof UnknownWorkerClassError
          ? this.runOnMain(id, impl, inputs)
          : this.onFailed(id, e, inputs),
    );
  }

  private runOnMain(id: NodeId, impl: NodeImpl, inputs: Record<string, unknown>): void {
    const now = performance.now();
    const yieldFirst = now - this.lastYield > YIELD_AFTER_MS;
    const turn = yieldFirst ? new Promise<void>((r) => setImmediate(r)) : Promise.resolve();
    const run = turn.then(() => {
      if (yieldFirst) this.lastYield = performance.now();
      if (this.finished) throw new InterruptedException();
      const stager = new PreviewStager((value, max, preview) => this.onProgress(id, value, max, preview));
      this.stagers.set(id, stager);
      return impl.run(inputs, this.contextFor(id, stager));
    });
    this.setup.mainRun?.(run);
    run.then(
      (result) => this.onDone(id, result, inputs),
      (e: unknown) => this.onFailed(id, e, inputs),
    );
  }

  private onProgress(id: NodeId, value: number, max: number, preview?: PreviewImage): void {
    if (!this.finished && this.inFlight.has(id)) this.reporter.nodeProgress(id, value, max, preview);
  }

  private onDone(id: NodeId, result: NodeResult, inputs: Record<string, unknown>): void {
    if (this.finished) return;
    if (!Array.isArray(result?.outputs)) {
      return this.onFailed(id, new TypeError(`node ${id} returned no outputs list`), inputs);
    }
    // A preview the node published after its last step still goes out, before the node finishes.
    this.stagers.get(id)?.flush();
    this.stagers.delete(id);
    this.inFlight.delete(id);
    const { outputs, ui, files } = result;
    this.setup.cache.set(this.keys.get(id)!, { outputs, ui, files, folders: this.setup.dirs });
    for (const f of files ?? []) this.setup.written(id, f);
    if (this.schedule!.isNeeded(id)) this.live.set(id, result.outputs);
    if (result.ui) this.ui[id] = result.ui;
    this.reporter.nodeFinished(id, result.ui);
    this.schedule!.completed(id);
    this.pump();
  }

  private onFailed(id: NodeId, error: unknown, inputs: Record<string, unknown>): void {
    if (this.finished) return;
    if (error instanceof InterruptedException) return this.endInterrupted(id);
    const node = this.setup.prompt[id];
    const current_inputs: Record<string, unknown[]> = {};
    for (const [name, value] of Object.entries(inputs)) current_inputs[name] = [formatValue(value)];
    this.stop(FLAG_FAILED);
    this.setup.log(nodeErrorLogLine(this.promptId, id, node.class_type, error));
    const data = this.reporter.error({
      node_id: id,
      node_type: node.class_type,
      exception_message: exceptionMessageOf(error),
      exception_type: exceptionTypeOf(error),
      traceback: engineTraceback(id, node.class_type),
      current_inputs,
      current_outputs: Object.keys(this.setup.prompt),
    });
    this.end({ status: 'error', promptId: this.promptId, outputs: this.ui, error: data });
  }

  private endInterrupted(nodeId: NodeId | undefined): void {
    const id = nodeId ?? this.inFlight.keys().next().value ?? this.nextToRun();
    this.stop(FLAG_INTERRUPTED);
    const data = this.reporter.interrupted(id, this.setup.prompt[id]?.class_type ?? '');
    this.end({ status: 'interrupted', promptId: this.promptId, outputs: this.ui, error: data });
  }

  private endSuccess(): void {
    this.finished = true;
    this.reporter.success();
    this.end({ status: 'success', promptId: this.promptId, outputs: this.ui });
  }

  /** The node that would have run next: the next ready one, else the first that has not run. */
  private nextToRun(): NodeId {
    const executed = new Set(this.reporter.executed);
    const pending = this.plan?.toRun.find((id) => !executed.has(id));
    return this.schedule?.peekReady() ?? pending ?? this.setup.outputs[0];
  }

  /** Marks the run finished, raises the flag and abandons every node still running. */
  private stop(flag: number): void {
    this.finished = true;
    Atomics.store(this.flag, 0, flag);
    for (const abandon of this.inFlight.values()) abandon();
    this.inFlight.clear();
    this.stagers.clear();
  }

  private end(outcome: ExecutionOutcome): void {
    this.live.clear();
    // Classic policy: keep exactly the entries of this prompt's nodes.
    if (this.setup.cache.policy === 'classic') this.setup.cache.retainOnly(new Set(this.keys.values()));
    this.reporter.done();
    this.resolve(outcome);
  }

  private resolveInputs(id: NodeId): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.setup.prompt[id].inputs ?? {})) {
      inputs[name] = isLink(value) ? this.live.get(value[0])?.[value[1]] : value;
    }
    return inputs;
  }

  /** A node's context; `stager` takes its steps and previews (none for fingerprints, which have no steps). */
  private contextFor(id: NodeId, stager?: PreviewStager): NodeContext {
    const steps = stager ?? new PreviewStager(() => undefined);
    return {
      nodeId: id,
      checkpoint: flagCheckpoint(this.flag),
      progress: (value, max) => steps.progress(value, max),
      preview: (image, maxSize) => steps.preview(image, maxSize),
      ...this.setup.dirs,
      prompt: this.setup.prompt,
      extraPngInfo: this.setup.extraPngInfo,
      ...imageCodingHooks({ nodeId: id, flag: this.flag, dirs: this.setup.dirs }, () => this.setup.pool()),
    };
  }
}
