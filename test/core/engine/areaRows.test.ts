import assert from 'node:assert/strict';
import { areaRow, areaRowReference } from '../../../src/core/engine/areaRows';
import { poolWindows } from '../../../src/core/engine/resampleTaps';
import { randomInt, seededRandom } from '../../fakes/seededRandom';

/** Floats mostly in 0..1, a few outside, -0 and now and then a NaN, as earlier nodes may leave them. */
function randomFloats(rnd: () => number, n: number): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rnd() < 0.05 ? rnd() * 1.4 - 0.2 : rnd() < 0.02 ? -0 : rnd();
  if (n > 0 && rnd() < 0.1) values[randomInt(rnd, 0, n - 1)] = NaN;
  return values;
}

describe('area rows', () => {
  it('areaRow gives the reference bits for random sizes, channels and window heights', () => {
    const rnd = seededRandom(8181);
    for (let trial = 0; trial < 400; trial++) {
      const c = randomInt(rnd, 1, 5);
      const width = randomInt(rnd, 1, 120);
      const outW = randomInt(rnd, 1, Math.min(width * 2, 150));
      const height = randomInt(rnd, 1, 12);
      const data = randomFloats(rnd, height * width * c);
      const rows = poolWindows(height, randomInt(rnd, 1, height * 2));
      const y = randomInt(rnd, 0, rows.start.length - 1);
      const row = { top: rows.start[y] * width * c, kh: rows.end[y] - rows.start[y], stride: width * c };
      const cols = poolWindows(width, outW);
      const offset = randomInt(rnd, 0, 5);
      const fast = new Float32Array(offset + outW * c);
      const reference = fast.slice();
      areaRow(data, row, cols, c, fast, offset);
      areaRowReference(data, row, cols, c, reference, offset);
      const label = `trial ${trial}: ${height}x${width} -> row ${y} of ${rows.start.length} x ${outW}, ${c} channels`;
      assert.deepEqual(new Uint32Array(fast.buffer), new Uint32Array(reference.buffer), label);
    }
  });
});
