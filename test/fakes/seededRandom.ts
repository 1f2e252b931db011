/**
 * Seeded pseudo-random numbers for property tests, so that a failing case can be replayed from the
 * seed its test prints or names.
 */

/** A generator of floats in [0, 1) from a 32-bit linear congruential sequence started at `seed`. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** An integer drawn uniformly from `lo..hi` (both included) with `rnd`. */
export function randomInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}
