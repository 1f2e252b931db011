/**
 * Allocation and small helpers for IMAGE and MASK tensors. Tensors are backed by SharedArrayBuffer so
 * that handing one to a worker thread copies nothing.
 *
 * Fresh memory costs more than its size suggests: the first write to each 4 KiB page of a new buffer
 * faults into the kernel, about 5 ms of a thread's time for a 1024² RGB image, more than inverting it.
 * So the engine hands back the buffers of outputs it has dropped and knows nobody holds
 * (tensorRecycling.ts), and the next tensor of the same size on this thread reuses one, zero-filled
 * again. A buffer this thread did not allocate is never taken back; what is held is bounded and let go
 * when no tensor has wanted it for a few seconds.
 */
import type { ImageTensor, MaskTensor } from './types';

/** The most bytes of dropped buffers held for reuse. */
const RECYCLE_LIMIT_BYTES = 256 * 2 ** 20;
/** Held buffers are let go (left to the garbage collector) after this long without a reuse. */
const RECYCLE_IDLE_MS = 5000;

/** The buffers this thread allocated, the only ones it may take back. */
const allocatedHere = new WeakSet<SharedArrayBuffer>();
/** Dropped buffers by byte length, for reuse. */
const held = new Map<number, SharedArrayBuffer[]>();
let heldBytes = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** A zero-filled float32 array of `length` elements on shared memory, reusing a dropped buffer if any. */
export function sharedFloats(length: number): Float32Array {
  const bytes = length * Float32Array.BYTES_PER_ELEMENT;
  const reused = held.get(bytes)?.pop();
  if (reused) {
    heldBytes -= bytes;
    return new Float32Array(reused).fill(0);
  }
  const buffer = new SharedArrayBuffer(bytes);
  allocatedHere.add(buffer);
  return new Float32Array(buffer);
}

/**
 * Takes back buffers for {@link sharedFloats} to reuse. The caller guarantees that nothing will read or
 * write them any more, on any thread; buffers this thread did not allocate are ignored.
 */
export function recycleSharedBuffers(buffers: Iterable<SharedArrayBuffer>): void {
  for (const buffer of buffers) {
    if (!allocatedHere.has(buffer) || heldBytes + buffer.byteLength > RECYCLE_LIMIT_BYTES) continue;
    const list = held.get(buffer.byteLength) ?? [];
    if (list.includes(buffer)) continue;
    list.push(buffer);
    held.set(buffer.byteLength, list);
    heldBytes += buffer.byteLength;
  }
  if (heldBytes === 0) return;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(releaseHeldBuffers, RECYCLE_IDLE_MS);
  idleTimer.unref();
}

/** True when this thread allocated `buffer` (so {@link recycleSharedBuffers} would take it). */
export function allocatedOnThisThread(buffer: SharedArrayBuffer): boolean {
  return allocatedHere.has(buffer);
}

/** Bytes of dropped buffers held for reuse now. */
export function heldBufferBytes(): number {
  return heldBytes;
}

/** Lets go of every held buffer. */
export function releaseHeldBuffers(): void {
  held.clear();
  heldBytes = 0;
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
