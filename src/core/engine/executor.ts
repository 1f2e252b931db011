/**
 * The embedded engine: runs API-format prompts with ComfyUI's semantics (comfyui-protocol.md section 4)
 * and ComfyUI's events (sections 3.3 and 3.6). A prompt is validated first; then only its output nodes
 * (or the partial targets) and their ancestors run, each node starting as soon as its inputs are ready,
 * at most `maxConcurrency` at once, heavy nodes on worker threads. Outputs are cached across prompts
 * (see executionCache.ts). Prompts run one at a time, in call order, as on the server.
 */
import { availableParallelism } from 'node:os';
import { RunnerError } from '../util/runnerError';
import { topologicalOrder } from '../workflow/graph';
import type { ApiPrompt, NodeDefs, NodeId, ValidationResult } from '../workflow/types';
import { validatePrompt } from '../workflow/validate';
import { EngineDefinitions } from './engineDefinitions';
import { engineDisposedError } from './engineDisposed';
import { stderrLog, type EngineEvent, type EngineLog, type ExecutionOutcome } from './engineEvents';
import { ExecutionCache, type CachePolicy } from './executionCache';
import { PromptExecution } from './promptExecution';
import { builtinNodes, type NodeRegistry } from './registry';
import type { ProgressStatePolicy } from './runReporter';
import type { WrittenFile } from './types';
import { recycleSharedBuffers } from './tensor';
import { recyclableBuffers } from './tensorRecycling';
import { WorkerPool, type WorkerRegistryModule } from './workerPool';

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** The node classes the engine knows. @default builtinNodes */
  nodes?: NodeRegistry;
  /** The most nodes running at once, main thread and workers together. @default os.availableParallelism() */
  maxConcurrency?: number;
  /** Folder LoadImage reads from. */
  inputDir: string;
  /** Folder SaveImage writes to, unless a prompt is given its own (see {@link ExecuteOptions}). */
  outputDir: string;
  /** Folder PreviewImage writes to, unless a prompt is given its own. */
  tempDir: string;
  /** Run heavy nodes on worker threads; false runs everything on the calling thread. @default true */
  workers?: boolean;
  /**
   * The registry the worker threads load, for registries other than the built-in one (tests, plugins).
   * A heavy node whose class the workers do not know runs on the main thread. @default the built-ins
   */
  workerRegistry?: WorkerRegistryModule;
  /** What the cache keeps between prompts; see executionCache.ts. @default 'classic' */
  cachePolicy?: CachePolicy;
  /**
   * How often `progress_state` goes out: `coalesced` spaces out the snapshots of prompts with more than
   * 64 started nodes to one every 100 ms (and one before the end); `every-change` sends one on every
   * change, as ComfyUI does, at a cost growing with the square of the prompt's size (for comparisons and
   * benchmarks). See runReporter.ts. @default 'coalesced'
   */
  progressStates?: ProgressStatePolicy;
  /**
   * Where the JavaScript stack of a node that threw goes, with the node and prompt it came from. The
   * `execution_error` carries the node, the exception and its message, never JavaScript frames. An
   * exception the log throws is ignored.
   * @default the process's standard error (stderrLog)
   */
  log?: EngineLog;
}

/** `extra_data` of a prompt, as `POST /prompt` takes it. */
export interface ExtraData {
  /** Each key becomes a PNG text chunk of saved images (normally `workflow`). */
  extra_pnginfo?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options of one {@link Engine.execute} call. */
export interface ExecuteOptions {
  /** The id events and the outcome carry. */
  promptId: string;
  /** The prompt's `extra_data`. */
  extraData?: ExtraData;
  /** ComfyUI's `partial_execution_targets`: only these output nodes (and their ancestors) run. */
  partialTargets?: readonly NodeId[];
  /**
   * Receives every event, synchronously, in order. Exceptions it throws are ignored. Besides ComfyUI's
   * JSON messages it receives `preview` events, which carry image bytes and are not JSON
   * (see engineEvents.ts `PreviewEvent`): forward them as binary frames, or skip them.
   */
  onEvent?: (event: EngineEvent) => void;
  /** Aborting it interrupts this prompt (or cancels it before it starts). */
  signal?: AbortSignal;
  /**
   * Folder SaveImage writes to for this prompt (it creates the folder when missing); the UI output then
   * names files relative to it. A cached output node whose files lie elsewhere has them copied here, or
   * runs again (see outputReplay.ts). @default the engine's `outputDir`
   */
  outputDir?: string;
  /** Folder PreviewImage writes to for this prompt, likewise. @default the engine's `tempDir` */
  tempDir?: string;
  /**
   * Receives every file a node of this prompt wrote into its folders, with the file's absolute path,
   * size and SHA-256 taken from the bytes written, just before the node's `executed` event (for a copied
   * cached file, before `execution_cached`). Files a node writes without reporting them (a node of
   * another registry may) are not told. Exceptions it throws are ignored.
   */
  onFileWritten?: (nodeId: NodeId, file: WrittenFile) => void;
}

/** A running engine. Dispose it to stop its worker threads. */
export interface Engine {
  /** The most nodes running at once; raising it starts waiting nodes at once. */
  maxConcurrency: number;
  /**
   * The engine's `/object_info`: each class's definition, LoadImage's listing the input folder as it is
   * now. Built once and rebuilt only when the input folder's images change; the same object comes back
   * until then, so treat it as read-only.
   */
  definitions(): Promise<NodeDefs>;
  /**
   * Validates and runs a prompt. Rejects with `RunnerError('prompt_rejected')` carrying the
   * {@link ValidationResult} as `details` when the prompt is invalid (no event is emitted then);
   * otherwise resolves with the outcome, whatever it is, after the closing `executing {node: null}`. A
   * prompt that failed resolves once its nodes on the engine's thread have returned (at most
   * {@link NODES_RETURN_WAIT_MS} later), so that its folders hold all they will.
   */
  execute(prompt: unknown, options: ExecuteOptions): Promise<ExecutionOutcome>;
  /** Interrupts the running prompt: the one with `promptId`, or whichever runs when omitted. */
  interrupt(promptId?: string): void;
  /** Forgets every cached output, so the next prompt recomputes everything. */
  clearCache(): void;
  /**
   * Interrupts the running prompt and terminates the worker threads. Later prompts are refused with
   * `RunnerError('internal')` (engineDisposed.ts).
   */
  dispose(): Promise<void>;
}

/**
 * Nodes still running on the engine's thread when their prompt failed stop at their next checkpoint
 * (a save finishes its file); one that does not return is not waited for longer than this.
 */
const NODES_RETURN_WAIT_MS = 5000;

/** Resolves once every one of `runs` has settled, or after `ms`. */
async function settledWithin(runs: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<void>((done) => (timer = setTimeout(done, ms)));
  try {
    await Promise.race([Promise.allSettled(runs), waited]);
  } finally {
    clearTimeout(timer);
  }
}

/** Creates an engine; see {@link EngineOptions} for the defaults. */
export function createEngine(options: EngineOptions): Engine {
  return new EmbeddedEngine(options);
}

/** What {@link validateForRun} hands to the run: the coerced prompt and the outputs that validated. */
interface ValidatedPrompt {
  prompt: ApiPrompt;
  outputs: NodeId[];
  order: NodeId[];
}

/** Validates as the server does; a rejection throws before anything runs. */
function validateForRun(prompt: unknown, defs: NodeDefs, targets?: readonly NodeId[]): ValidatedPrompt {
  const result = validatePrompt(prompt, defs, { partialTargets: targets });
  if (!result.ok || !result.prompt) {
    const message = result.error?.message ?? 'Prompt outputs failed validation';
    throw new RunnerError('prompt_rejected', message, {}, result satisfies ValidationResult);
  }
  const outputs = result.outputs;
  return { prompt: result.prompt, outputs, order: topologicalOrder(result.prompt, outputs) };
}

class EmbeddedEngine implements Engine {
  private readonly nodes: NodeRegistry;
  private readonly defs: EngineDefinitions;
  private readonly cache: ExecutionCache;
  private concurrency: number;
  private pool: WorkerPool | undefined;
  private current: PromptExecution | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** Runs of nodes on the main thread whose code has not returned yet, from any prompt. */
  private readonly mainRuns = new Set<Promise<unknown>>();
  /** Only the built-in nodes are known not to keep a tensor past their run, so only then are buffers reused. */
  private readonly recyclesBuffers: boolean;

  constructor(private readonly options: EngineOptions) {
    this.nodes = options.nodes ?? builtinNodes;
    this.defs = new EngineDefinitions(options.inputDir, this.nodes);
    this.cache = new ExecutionCache(options.cachePolicy ?? 'classic');
    this.concurrency = Math.max(1, Math.floor(options.maxConcurrency ?? availableParallelism()));
    this.recyclesBuffers = this.nodes === builtinNodes && options.workerRegistry === undefined;
  }

  get maxConcurrency(): number {
    return this.concurrency;
  }

  set maxConcurrency(value: number) {
    this.concurrency = Math.max(1, Math.floor(value));
    if (this.pool) this.pool.size = this.concurrency;
    this.current?.pump();
  }

  definitions(): Promise<NodeDefs> {
    return this.defs.current();
  }

  async execute(prompt: unknown, options: ExecuteOptions): Promise<ExecutionOutcome> {
    if (this.disposed) throw engineDisposedError();
    const validated = validateForRun(prompt, await this.defs.forPrompt(prompt), options.partialTargets);
    // One prompt at a time, as the server's single worker runs them; the cache depends on it.
    const turn = this.tail.then(() => this.runValidated(validated, options));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  interrupt(promptId?: string): void {
    if (this.current && (promptId === undefined || promptId === this.current.promptId))
      this.current.interrupt();
  }

  clearCache(): void {
    this.cache.clear();
    this.recycleDropped();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.current?.interrupt();
    await this.pool?.dispose();
    this.pool = undefined;
  }

  private async runValidated(validated: ValidatedPrompt, options: ExecuteOptions): Promise<ExecutionOutcome> {
    /** This prompt's runs of nodes on the main thread. */
    const ownRuns: Promise<unknown>[] = [];
    const run = new PromptExecution({
      promptId: options.promptId,
      prompt: validated.prompt,
      outputs: validated.outputs,
      order: validated.order,
      nodes: this.nodes,
      cache: this.cache,
      dirs: {
        inputDir: this.options.inputDir,
        outputDir: options.outputDir ?? this.options.outputDir,
        tempDir: options.tempDir ?? this.options.tempDir,
      },
      extraPngInfo: options.extraData?.extra_pnginfo,
      concurrency: () => this.concurrency,
      pool: () => this.workerPool(),
      emit: options.onEvent ?? (() => undefined),
      log: (entry) => {
        try {
          (this.options.log ?? stderrLog)(entry);
        } catch {
          // A log that fails must not fail the prompt, which has its own error to report.
        }
      },
      progressStates: this.options.progressStates,
      written: (nodeId, file) => {
        try {
          options.onFileWritten?.(nodeId, file);
        } catch {
          // Like onEvent's, a listener's exceptions are ignored.
        }
      },
      mainRun: (settled) => {
        this.mainRuns.add(settled);
        ownRuns.push(settled);
        const forget = () => void this.mainRuns.delete(settled);
        settled.then(forget, forget);
      },
    });
    const onAbort = () => run.interrupt();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.current = run;
    try {
      if (options.signal?.aborted) run.interrupt();
      const outcome = await run.run();
      // A failed prompt ends at once, but a node beside the one that failed (a save) may still be
      // writing into the prompt's folders: the prompt is over once they are final. (An interrupt still
      // ends at once, as the user asked: a node that does not check the flag is not waited for.)
      if (outcome.status === 'error') await settledWithin(ownRuns, NODES_RETURN_WAIT_MS);
      return outcome;
    } finally {
      this.current = undefined;
      options.signal?.removeEventListener('abort', onAbort);
      this.recycleDropped();
    }
  }

  /**
   * Hands the buffers of dropped cache entries back for reuse (tensor.ts, tensorRecycling.ts), but only
   * while nothing of this engine runs anywhere; otherwise the garbage collector frees them as before.
   */
  private recycleDropped(): void {
    const dropped = this.cache.takeDropped();
    if (!this.recyclesBuffers || dropped.length === 0) return;
    if (this.current || this.mainRuns.size > 0 || (this.pool && !this.pool.idle)) return;
    recycleSharedBuffers(recyclableBuffers(dropped, this.cache.values()));
  }

  /** The worker pool, started on the first heavy node; undefined when workers are off. */
  private workerPool(): WorkerPool | undefined {
    if (this.options.workers === false || this.disposed) return undefined;
    this.pool ??= new WorkerPool({ size: this.concurrency, registryModule: this.options.workerRegistry });
    return this.pool;
  }
}
