import assert from 'node:assert/strict';
import { accumulateRow, accumulateRowReference } from '../../../src/core/engine/convolve';
import { randomInt, seededRandom } from '../../fakes/seededRandom';

/** A normalised Gaussian row of 2r + 1 float32 taps, made a sharpening row (negative taps) at times. */
function randomWeights(rnd: () => number, r: number): Float32Array {
  const sigma = 0.3 + rnd() * 8;
  const w = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let x = -r; x <= r; x++) sum += w[x + r] = Math.exp(-(x * x) / (2 * sigma * sigma));
  const sharpen = rnd() < 0.3;
  for (let t = 0; t < w.length; t++) w[t] = sharpen ? -w[t] / sum : w[t] / sum;
  if (sharpen) w[r] += 1 + rnd() * 3;
  return w;
}

/** Floats mostly in 0..1, a few outside as blends and sharpening leave them. */
function randomFloats(rnd: () => number, n: number): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rnd() < 0.05 ? rnd() * 1.4 - 0.2 : rnd();
  return values;
}

describe('convolve', () => {
  it('accumulateRow gives the reference bits for random widths, channels, radii and sigmas', () => {
    const rnd = seededRandom(1313);
    for (let trial = 0; trial < 300; trial++) {
      const c = randomInt(rnd, 1, 4);
      const r = randomInt(rnd, 1, 31);
      const width = randomInt(rnd, 1, 90);
      const k = 2 * r + 1;
      const weights = randomWeights(rnd, r);
      const offset = randomInt(rnd, 0, 7);
      const src = randomFloats(rnd, offset + (width + 2 * r) * c);
      const start = rnd() < 0.5 ? new Float32Array(width * c) : randomFloats(rnd, width * c);
      const fast = start.slice();
      const reference = start.slice();
      accumulateRow(fast, src, offset, weights, 0, k, c);
      accumulateRowReference(reference, src, offset, weights, 0, k, c);
      const context = `trial ${trial}: width ${width}, channels ${c}, radius ${r}`;
      assert.deepEqual(new Uint32Array(fast.buffer), new Uint32Array(reference.buffer), context);
    }
  });

  it('accumulateRow reads the kernel row starting at its offset into the weights', () => {
    const weights = new Float32Array([9, 9, 9, 1, 2, 3]);
    const src = new Float32Array(18 + 2).fill(1);
    const acc = new Float32Array(18);
    accumulateRow(acc, src, 0, weights, 3, 3, 1);
    assert.deepEqual([...acc], new Array<number>(18).fill(6));
  });
});
