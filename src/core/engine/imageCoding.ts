/**
 * The hooks of a node's context that take a large image's encoding (saving nodes) or decoding (loading
 * nodes) to a worker thread, so that the engine's thread, which also serves HTTP and WebSocket clients
 * when the engine runs behind `serve`, stays free meanwhile; a small image is coded where the node runs,
 * since a hand-off costs more. Either way the values are those of imagePng.ts and imageLoad.ts.
 */
import { loadImageOutputs, pngDecodedValues } from './imageLoad';
import { encodeImagePng } from './imagePng';
import { MIN_SPLIT_SIZE } from './rowBands';
import { flagCheckpoint, type NodeContext } from './types';
import type { WorkerPool, WorkerTask } from './workerPool';

/** Images of fewer values than this are coded on the engine's thread. */
const MIN_WORKER_IMAGE_VALUES = MIN_SPLIT_SIZE;

/** Runs `work` and turns a throw into a rejection, as the worker's answer would be. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

/**
 * `encodePng` and `decodeImage` for the context of node `task.nodeId`; `pool` gives the engine's workers,
 * if it has any (asked only for a large image, since it may start them).
 */
export function imageCodingHooks(
  task: Pick<WorkerTask, 'nodeId' | 'flag' | 'dirs'>,
  pool: () => WorkerPool | undefined,
): Required<Pick<NodeContext, 'encodePng' | 'decodeImage'>> {
  const checkpoint = flagCheckpoint(task.flag);
  return {
    encodePng: (request) => {
      const { images } = request;
      const workers =
        images.height * images.width * images.channels < MIN_WORKER_IMAGE_VALUES ? undefined : pool();
      return workers ? workers.encodePng(request, task) : settled(() => encodeImagePng(request));
    },
    decodeImage: (request) => {
      const workers = pngDecodedValues(request.bytes) < MIN_WORKER_IMAGE_VALUES ? undefined : pool();
      return workers
        ? workers.decodeImage(request, task)
        : settled(() => loadImageOutputs(request, checkpoint));
    },
  };
}
