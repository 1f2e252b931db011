/**
 * Allocation and small helpers for IMAGE and MASK tensors. Tensors are backed by SharedArrayBuffer so
 * that handing one to a worker thread copies nothing.
 */
import type { ImageTensor, MaskTensor } from './types';

/** A zero-filled float32 array of `length` elements on shared memory. */
export function sharedFloats(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** A new zero-filled IMAGE. */
export function createImage(batch: number, height: number, width: number, channels: number): ImageTensor {
  return {
    kind: 'IMAGE',
    batch,
    height,
    width,
    channels,
    data: sharedFloats(batch * height * width * channels),
  };
}

/** A new zero-filled MASK. */
export function createMask(batch: number, height: number, width: number): MaskTensor {
  return { kind: 'MASK', batch, height, width, data: sharedFloats(batch * height * width) };
}

/** Wraps existing data as an IMAGE after checking its length. */
export function imageFrom(
  data: Float32Array,
  batch: number,
  height: number,
  width: number,
  channels: number,
): ImageTensor {
  if (data.length !== batch * height * width * channels) {
    throw new RangeError(
      `image data has ${data.length} values, expected ${batch}x${height}x${width}x${channels}`,
    );
  }
  return { kind: 'IMAGE', batch, height, width, channels, data };
}

/** Wraps existing data as a MASK after checking its length. */
export function maskFrom(data: Float32Array, batch: number, height: number, width: number): MaskTensor {
  if (data.length !== batch * height * width) {
    throw new RangeError(`mask data has ${data.length} values, expected ${batch}x${height}x${width}`);
  }
  return { kind: 'MASK', batch, height, width, data };
}

/** True for an IMAGE tensor. */
export function isImage(v: unknown): v is ImageTensor {
  return typeof v === 'object' && v !== null && (v as ImageTensor).kind === 'IMAGE';
}

/** True for a MASK tensor. */
export function isMask(v: unknown): v is MaskTensor {
  return typeof v === 'object' && v !== null && (v as MaskTensor).kind === 'MASK';
}
