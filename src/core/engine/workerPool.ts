/**
 * A pool of worker threads for heavy nodes. Tasks go to an idle worker, a new one while the pool is
 * below its size, or wait in line. Tensors live on SharedArrayBuffer, so posting inputs and outputs
 * copies no pixels. An abandoned task (its prompt failed or was interrupted) keeps its worker until the
 * node reaches a checkpoint; a node that never checkpoints has its worker terminated after a grace period
 * so it cannot hold a slot forever.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { engineDisposedError } from './engineDisposed';
import {
  InterruptedException,
  type EncodedPng,
  type ImageLoadRequest,
  type ImagePngRequest,
  type NodeResult,
  type PreviewImage,
  type UiOutput,
} from './types';

/** A module exporting a node registry (a Map) or a node list, for workers to load instead of the built-ins. */
export interface WorkerRegistryModule {
  /** Absolute path of the module (a .ts file runs through tsx when the engine runs from source). */
  path: string;
  /** Name of the export. */
  exportName: string;
}

/** What a worker is started with. */
export interface WorkerInit {
  registryModule?: WorkerRegistryModule;
}

/** One node to run on a worker. */
export interface WorkerTask {
  taskId: number;
  classType: string;
  nodeId: string;
  inputs: Record<string, unknown>;
  /** The prompt's interrupt flag on shared memory: non-zero means stop at the next checkpoint. */
  flag: Int32Array;
  dirs: { inputDir: string; outputDir: string; tempDir: string };
  /** Set to compute one band of a node's rows (rowBands.ts) instead of running the node. */
  band?: WorkerBand;
  /**
   * Set to encode a PNG file for the node (imagePng.ts) instead of running it; the task's outputs are
   * then the file's bytes and their SHA-256 (an {@link EncodedPng} as a list).
   */
  encode?: ImagePngRequest;
  /**
   * Set to decode an image file for a loading node (imageLoad.ts) instead of running it; the task's
   * outputs are then the node's, on shared memory.
   */
  decode?: ImageLoadRequest;
}

/** One band of a node's rows: the plan's arguments and outputs, and the rows to fill. */
export interface WorkerBand {
  args: unknown;
  outputs: unknown[];
  from: number;
  to: number;
}

/** A node's error as it crosses the thread boundary. */
export interface WorkerTaskError {
  name: string;
  message: string;
  stack?: string;
  exceptionType?: string;
  interrupted: boolean;
  /** The worker's registry has no such class. */
  unknownClass: boolean;
}

/** A step's position and the preview it carries, as the pool hands them to the executor. */
export type StepListener = (value: number, max: number, preview?: PreviewImage) => void;

/** What a worker posts back; a step may carry a preview the node published (already fitted to size). */
export type WorkerReply =
  | { type: 'progress'; taskId: number; value: number; max: number; preview?: PreviewImage }
  | { type: 'done'; taskId: number; outputs: unknown[]; ui?: UiOutput }
  | { type: 'failed'; taskId: number; error: WorkerTaskError };

/** Raised when the workers' registry lacks a node class; the executor then runs the node itself. */
export class UnknownWorkerClassError extends Error {
  override readonly name = 'UnknownWorkerClassError';
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The most workers alive at once. */
  size: number;
  /** The registry workers load; default the built-in nodes. */
  registryModule?: WorkerRegistryModule;
  /** How long an abandoned task may run before its worker is terminated. @default 2000 */
  abandonGraceMs?: number;
}

/** A started or queued task: its result, and a way to give up on it. */
export interface TaskHandle {
  readonly result: Promise<NodeResult>;
  abandon(): void;
}

interface Pending {
  task: WorkerTask;
  onProgress: StepListener;
  resolve: (r: NodeResult) => void;
  reject: (e: unknown) => void;
  abandoned: boolean;
}

interface Slot {
  worker: Worker;
  current?: Pending;
}

/** Starts a worker: the bundled entry next to the running bundle, else the TypeScript source via tsx. */
function spawnWorker(init: WorkerInit): Worker {
  const bundled = join(__dirname, 'engineWorker.js');
  if (existsSync(bundled)) return new Worker(bundled, { workerData: init });
  // `execArgv: ['--import', 'tsx']` does not reach a worker's entry on Node 20, so the worker registers
  // tsx's CommonJS hook itself before requiring the source.
  const load = createRequire(__filename);
  const code = `require(${JSON.stringify(load.resolve('tsx/cjs'))});require(${JSON.stringify(join(__dirname, 'worker.ts'))});`;
  return new Worker(code, { eval: true, workerData: init });
}

function rebuildError(e: WorkerTaskError): Error {
  if (e.interrupted) return new InterruptedException();
  if (e.unknownClass) return new UnknownWorkerClassError(`workers do not know node class ${e.message}`);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.exceptionType !== undefined) Object.assign(err, { exceptionType: e.exceptionType });
  return err;
}

/** A pool of engine worker threads; see the module comment. */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextTaskId = 1;
  private disposed = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** The most workers alive at once; raising it starts queued tasks at once. */
  get size(): number {
    return this.options.size;
  }

  set size(value: number) {
    this.options.size = Math.max(1, Math.floor(value));
    this.dispatch();
  }

  /** Workers currently alive. */
  get workerCount(): number {
    return this.slots.length;
  }

  /** True when no task waits and none runs, abandoned ones included. */
  get idle(): boolean {
    return this.queue.length === 0 && this.slots.every((s) => !s.current);
  }

  /** Queues a node run; its steps and previews arrive through `onProgress` while it runs. */
  run(request: Omit<WorkerTask, 'taskId'>, onProgress: StepListener): TaskHandle {
    let pending!: Pending;
    const result = new Promise<NodeResult>((resolve, reject) => {
      pending = {
        task: { ...request, taskId: this.nextTaskId++ },
        onProgress,
        resolve,
        reject,
        abandoned: false,
      };
    });
    if (this.disposed) pending.reject(engineDisposedError());
    else {
      this.queue.push(pending);
      this.dispatch();
    }
    return { result, abandon: () => this.abandon(pending) };
  }

  /**
   * Encodes a PNG file on a worker (imagePng.ts `encodeImagePng`, the same bytes), queued like a node;
   * `task` names the node it is for and carries its prompt's flag and folders.
   */
  encodePng(
    request: ImagePngRequest,
    task: Pick<WorkerTask, 'nodeId' | 'flag' | 'dirs'>,
  ): Promise<EncodedPng> {
    const encode = { ...task, classType: 'encodePng', inputs: {}, encode: request };
    return this.run(encode, () => undefined).result.then(({ outputs: [bytes, sha256] }) => ({
      bytes: bytes as Uint8Array,
      sha256: sha256 as string,
    }));
  }

  /**
   * Decodes an image file into a loading node's outputs on a worker (imageLoad.ts `loadImageOutputs`,
   * the same values), queued like a node; `task` names the node and carries its prompt's flag and folders.
   */
  decodeImage(
    request: ImageLoadRequest,
    task: Pick<WorkerTask, 'nodeId' | 'flag' | 'dirs'>,
  ): Promise<unknown[]> {
    const decode = { ...task, classType: 'decodeImage', inputs: {}, decode: request };
    return this.run(decode, () => undefined).result.then(({ outputs }) => outputs);
  }

  /**
   * Terminates every worker. Queued and running tasks fail with {@link engineDisposedError}, as does any
   * task run later (a running task that was abandoned already fails as interrupted).
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const p of this.queue.splice(0)) p.reject(engineDisposedError());
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private abandon(p: Pending): void {
    p.abandoned = true;
    const queued = this.queue.indexOf(p);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      p.reject(new InterruptedException());
      return;
    }
    const slot = this.slots.find((s) => s.current === p);
    if (!slot) return;
    const timer = setTimeout(() => {
      if (slot.current === p) void slot.worker.terminate();
    }, this.options.abandonGraceMs ?? 2000);
    timer.unref();
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.disposed) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot && this.slots.length < this.options.size) {
        try {
          slot = this.addWorker();
        } catch (e) {
          // No worker can start (say, neither the bundled entry nor tsx is there): the node fails.
          this.queue.shift()!.reject(e);
          continue;
        }
      }
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.current = p;
      slot.worker.ref();
      slot.worker.postMessage(p.task);
    }
  }

  private addWorker(): Slot {
    const slot: Slot = { worker: spawnWorker({ registryModule: this.options.registryModule }) };
    slot.worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
    slot.worker.on('error', (e) => {
      // The worker is dying: take it out of service before its task settles and the queue moves on.
      this.removeSlot(slot);
      this.finish(slot, (p) => p.reject(e));
    });
    slot.worker.on('exit', () => this.onExit(slot));
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const p = slot.current;
    if (!p || p.task.taskId !== reply.taskId) return;
    if (reply.type === 'progress') {
      if (!p.abandoned) p.onProgress(reply.value, reply.max, reply.preview);
    } else if (reply.type === 'done') {
      this.finish(slot, (q) => q.resolve({ outputs: reply.outputs, ui: reply.ui }));
    } else {
      this.finish(slot, (q) => q.reject(rebuildError(reply.error)));
    }
  }

  /** Settles the slot's task, frees the slot and starts the next queued task. */
  private finish(slot: Slot, settle: (p: Pending) => void): void {
    const p = slot.current;
    slot.current = undefined;
    if (p) settle(p);
    // An idle worker must not keep the process alive.
    if (this.slots.includes(slot)) slot.worker.unref();
    this.dispatch();
  }

  private removeSlot(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private onExit(slot: Slot): void {
    this.removeSlot(slot);
    const failure = () => (this.disposed ? engineDisposedError() : new Error('engine worker exited'));
    this.finish(slot, (p) => p.reject(p.abandoned ? new InterruptedException() : failure()));
  }
}
