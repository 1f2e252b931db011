/**
 * SaveImageWebsocket, the output node ComfyUI ships in custom_nodes/websocket_image_save.py: it writes no
 * file and sends each image of the batch to the submitting client as a full-size PNG preview instead, one
 * progress step per image (step `b` of `batch`, the preview riding on it as ComfyUI's progress hook
 * carries it). Its UI output is empty, so it sends no `executed` and leaves no history outputs.
 *
 * It is heavy: PNG encoding is pure CPU work, so it runs on a worker thread, and its previews are
 * posted back from there.
 */
import { randomUUID } from 'node:crypto';
import { defineNode } from '../defineNode';
import { imageBytes } from '../imagePng';
import { encodePng } from '../pngCodec';
import { isImage } from '../tensor';
import { NodeException, type ImageTensor, type NodeContext, type NodeImpl, type NodeResult } from '../types';

/** The zlib level of ComfyUI's preview PNGs (server.py saves them with `compress_level=1`). */
const PREVIEW_COMPRESS_LEVEL = 1;

/** What `Image.fromarray` accepts of a batch element: 2 (LA), 3 (RGB) or 4 (RGBA) channels. */
function sendableImages(images: unknown): ImageTensor {
  if (!isImage(images)) throw new NodeException('TypeError', 'images must be an IMAGE');
  // An empty batch sends nothing and is no error: ComfyUI's loop simply does not run.
  if (images.batch > 0 && (images.channels < 2 || images.channels > 4)) {
    throw new NodeException('TypeError', `Cannot handle this data type: (1, 1, ${images.channels}), |u1`);
  }
  return images;
}

/** SaveImageWebsocket.save_images: one PNG preview per batch element, each with its progress step. */
function sendImages(inputs: Record<string, unknown>, ctx: NodeContext): NodeResult {
  const images = sendableImages(inputs.images);
  const channels = images.channels as 2 | 3 | 4;
  for (let b = 0; b < images.batch; b++) {
    // ComfyUI's progress hook checks for an interrupt on every step.
    ctx.checkpoint();
    const raster = { width: images.width, height: images.height, channels, data: imageBytes(images, b) };
    ctx.preview({ format: 'PNG', bytes: encodePng(raster, [], PREVIEW_COMPRESS_LEVEL) });
    ctx.progress(b, images.batch);
  }
  return { outputs: [] };
}

/** The websocket output node. */
export const websocketImageNodes: NodeImpl[] = [
  defineNode('SaveImageWebsocket', {
    heavy: true,
    run: sendImages,
    // ComfyUI's IS_CHANGED returns time.time(): the node is never served from the cache.
    fingerprint: () => randomUUID(),
  }),
];
