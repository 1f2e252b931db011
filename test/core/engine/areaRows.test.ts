import assert from 'node:assert/strict';
import { areaRow, areaRowReference } from '../../../src/core/engine/areaRows';
import { poolWindows } from '../../../src/core/engine/resampleTaps';
import { randomFloats, randomInt, seededRandom } from '../../fakes/seededRandom';

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
