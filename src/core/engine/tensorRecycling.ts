/**
 * Which buffers of dropped cache entries the engine may hand back for reuse (tensor.ts). A buffer goes
 * back only when nothing can still see it: no entry left in the cache uses it, every tensor left in the
 * cache is on a buffer the engine's own thread allocated (a buffer that came back from a worker is a
 * second handle on memory that may be any other buffer's), and every output left is a tensor or a plain
 * value (anything else might hold a tensor). The engine asks only while nothing of its own runs: no
 * prompt, no node on the main thread, no task on a worker.
 */
import type { CacheEntry } from './executionCache';
import { allocatedOnThisThread, isImage, isMask } from './tensor';

/** The shared buffer of a tensor output, undefined for a value that is not a tensor. */
function bufferOf(value: unknown): SharedArrayBuffer | undefined | null {
  if (!isImage(value) && !isMask(value)) return undefined;
  const buffer = value.data?.buffer;
  return buffer instanceof SharedArrayBuffer ? buffer : null;
}

function isPlain(value: unknown): boolean {
  return (
    value === null || value === undefined || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)
  );
}

/**
 * The buffers of `dropped` entries' tensors that `kept` entries cannot reach, by the rules of the
 * module comment; none at all when a kept output could hide a reference.
 */
export function recyclableBuffers(
  dropped: Iterable<CacheEntry>,
  kept: Iterable<CacheEntry>,
): SharedArrayBuffer[] {
  const inUse = new Set<SharedArrayBuffer>();
  for (const entry of kept) {
    for (const value of entry.outputs) {
      const buffer = bufferOf(value);
      if (buffer === undefined && isPlain(value)) continue;
      if (!buffer || !allocatedOnThisThread(buffer)) return [];
      inUse.add(buffer);
    }
  }
  const free = new Set<SharedArrayBuffer>();
  for (const entry of dropped) {
    for (const value of entry.outputs) {
      const buffer = bufferOf(value);
      if (buffer && !inUse.has(buffer) && allocatedOnThisThread(buffer)) free.add(buffer);
    }
  }
  return [...free];
}
