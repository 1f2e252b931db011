/**
 * One batch element of an IMAGE as the PNG file SaveImage and PreviewImage write: the bytes ComfyUI's
 * `np.clip(255. * x, 0, 255).astype(np.uint8)` gives, encoded with the prompt's text chunks, and the
 * file's SHA-256. It is pure CPU work on values alone, so the executor can run it on a worker thread
 * (NodeContext.encodePng) and get the same bytes as on its own.
 */
import { createHash } from 'node:crypto';
import { encodePng } from './pngCodec';
import type { EncodedPng, ImagePngRequest, ImageTensor } from './types';

/**
 * `np.clip(255. * x, 0, 255).astype(np.uint8)` on one batch element, as ComfyUI's image-saving nodes
 * turn floats into bytes: float32 product, then truncation.
 */
export function imageBytes(images: ImageTensor, b: number): Uint8Array {
  const size = images.height * images.width * images.channels;
  const src = images.data.subarray(b * size, (b + 1) * size);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const v = Math.fround(255 * src[i]);
    // NaN compares false both ways and lands on 0, as numpy's cast does on x86.
    out[i] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
  }
  return out;
}

/** Encodes one batch element as a 2-, 3- or 4-channel (LA, RGB, RGBA) PNG file; see the module comment. */
export function encodeImagePng({ images, index, texts, level }: ImagePngRequest): EncodedPng {
  const channels = images.channels as 2 | 3 | 4;
  const raster = { width: images.width, height: images.height, channels, data: imageBytes(images, index) };
  const bytes = encodePng(raster, texts, level);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
