/**
 * The entry of an engine worker thread (bundled as dist/engineWorker.js). It loads a node registry, the
 * built-in one unless the pool names a module, and runs heavy nodes on request. The context it gives a
 * node reads the prompt's shared interrupt flag at each checkpoint, so an interrupt or a failure
 * elsewhere stops the node's loop at its next checkpoint, and it posts progress back, at most every few
 * milliseconds, with every step that carries a preview the node published. Besides nodes it encodes
 * PNG files for the saving nodes and decodes them for the loading ones.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { PreviewStager } from './previewStager';
import { loadImageOutputs } from './imageLoad';
import { encodeImagePng } from './imagePng';
import { builtinNodes, type NodeRegistry } from './registry';
import {
  flagCheckpoint,
  InterruptedException,
  type ImageLoadRequest,
  type ImagePngRequest,
  type NodeContext,
  type NodeImpl,
} from './types';
import type { WorkerBand, WorkerInit, WorkerReply, WorkerTask, WorkerTaskError } from './workerPool';

/** Progress posts closer together than this are dropped, except the final one. */
const PROGRESS_INTERVAL_MS = 10;

function loadRegistry(init: WorkerInit | undefined): NodeRegistry {
  if (!init?.registryModule) return builtinNodes;
  const loaded = createRequire(__filename)(init.registryModule.path) as Record<string, unknown>;
  const found = loaded[init.registryModule.exportName];
  if (found instanceof Map) return found as NodeRegistry;
  if (Array.isArray(found)) return new Map((found as NodeImpl[]).map((n) => [n.classType, n]));
  throw new Error(`${init.registryModule.path} has no node registry named ${init.registryModule.exportName}`);
}

/** The stager of one task: steps go to the executor, quick plain ones dropped, ones with previews never. */
function stagerFor(task: WorkerTask, post: (reply: WorkerReply) => void): PreviewStager {
  let lastPost = 0;
  return new PreviewStager((value, max, preview) => {
    const now = performance.now();
    if (!preview && value < max && now - lastPost < PROGRESS_INTERVAL_MS) return;
    lastPost = now;
    post({ type: 'progress', taskId: task.taskId, value, max, ...(preview && { preview }) });
  });
}

function contextFor(task: WorkerTask, steps: PreviewStager): NodeContext {
  return {
    nodeId: task.nodeId,
    checkpoint: flagCheckpoint(task.flag),
    progress: (value, max) => steps.progress(value, max),
    preview: (image, maxSize) => steps.preview(image, maxSize),
    inputDir: task.dirs.inputDir,
    outputDir: task.dirs.outputDir,
    tempDir: task.dirs.tempDir,
    // Heavy nodes may use only checkpoint, progress and preview; the prompt is not copied to every worker.
    prompt: {},
  };
}

function errorOf(e: unknown, unknownClass = false): WorkerTaskError {
  const err = e instanceof Error ? e : new Error(String(e));
  const typed = (err as { exceptionType?: unknown }).exceptionType;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    exceptionType: typeof typed === 'string' ? typed : undefined,
    interrupted: err instanceof InterruptedException,
    unknownClass,
  };
}

/** Posts a reply, moving the buffers in `transfer` to the other thread instead of copying them. */
type Post = (reply: WorkerReply, transfer?: ArrayBuffer[]) => void;

async function runTask(registry: NodeRegistry, task: WorkerTask, post: Post) {
  if (task.encode) return runEncode(task.encode, task.taskId, post);
  if (task.decode) return runDecode(task.decode, task, post);
  const impl = registry.get(task.classType);
  if (!impl) {
    post({ type: 'failed', taskId: task.taskId, error: errorOf(new Error(task.classType), true) });
    return;
  }
  try {
    const steps = stagerFor(task, post);
    const ctx = contextFor(task, steps);
    if (task.band) return runBand(impl, task.band, ctx, task.taskId, post);
    const result = await impl.run(task.inputs, ctx);
    steps.flush();
    post({ type: 'done', taskId: task.taskId, outputs: result.outputs, ui: result.ui });
  } catch (e) {
    post({ type: 'failed', taskId: task.taskId, error: errorOf(e) });
  }
}

/** Encodes a PNG file; its bytes move to the executor's thread rather than being copied. */
function runEncode(request: ImagePngRequest, taskId: number, post: Post): void {
  try {
    const { bytes, sha256 } = encodeImagePng(request);
    // The encoder's buffer holds just the file, but a view of part of a larger one is copied out first.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const own = whole ? bytes : bytes.slice();
    post({ type: 'done', taskId, outputs: [own, sha256] }, [own.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: 'failed', taskId, error: errorOf(e) });
  }
}

/** Decodes an image file into a loading node's outputs, which are on shared memory: nothing is copied back. */
function runDecode(request: ImageLoadRequest, task: WorkerTask, post: Post): void {
  try {
    const outputs = loadImageOutputs(request, flagCheckpoint(task.flag));
    post({ type: 'done', taskId: task.taskId, outputs });
  } catch (e) {
    post({ type: 'failed', taskId: task.taskId, error: errorOf(e) });
  }
}

/** Fills one band of a node's rows; the outputs are the plan's, on shared memory, so none go back. */
function runBand(impl: NodeImpl, band: WorkerBand, ctx: NodeContext, taskId: number, post: Post): void {
  if (!impl.bands) throw new Error(`node class ${impl.classType} has no row bands`);
  impl.bands.runBand(band.args, band.outputs, band.from, band.to, () => ctx.checkpoint());
  post({ type: 'done', taskId, outputs: [] });
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('the engine worker must run in a worker thread');
  const registry = loadRegistry(workerData as WorkerInit | undefined);
  const post: Post = (reply, transfer) => {
    try {
      port.postMessage(reply, transfer);
    } catch (e) {
      // An output that cannot be cloned (a function, say) fails the node instead of the worker.
      port.postMessage({ type: 'failed', taskId: reply.taskId, error: errorOf(e) } satisfies WorkerReply);
    }
  };
  port.on('message', (task: WorkerTask) => void runTask(registry, task, post));
}

main();
