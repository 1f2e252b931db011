/**
 * Seeded pseudo-random numbers for property tests, so that a failing case can be replayed from the
 * seed its test prints or names, and the random inputs the engine's kernel tests share.
 */
import type { Bytes } from '../../src/core/engine/pillowPasses';

/** A generator of floats in [0, 1) from a 32-bit linear congruential sequence started at `seed`. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** An integer drawn uniformly from `lo..hi` (both included) with `rnd`. */
export function randomInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/**
 * Floats mostly in 0..1, a few outside as blends and sharpening leave them, some -0, and now and then a
 * NaN: what a kernel may be given by earlier nodes.
 */
export function randomFloats(rnd: () => number, n: number): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rnd() < 0.05 ? rnd() * 1.4 - 0.2 : rnd() < 0.02 ? -0 : rnd();
  if (n > 0 && rnd() < 0.1) values[randomInt(rnd, 0, n - 1)] = NaN;
  return values;
}

/**
 * `height` x `width` x `channels` random 8-bit pixels, a tenth of them 0 or 255 so that overshoot meets
 * both ends of a clip, plus the three spare bytes Pillow's horizontal pass may read past the last pixel.
 */
export function randomBytes(rnd: () => number, height: number, width: number, channels: number): Bytes {
  const data = new Uint8Array(height * width * channels + 3);
  for (let i = 0; i < data.length; i++)
    data[i] = rnd() < 0.1 ? (rnd() < 0.5 ? 0 : 255) : randomInt(rnd, 0, 255);
  return { data, height, width, channels };
}
