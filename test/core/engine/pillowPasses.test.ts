import assert from 'node:assert/strict';
import { BILINEAR, lanczosTaps, pillowTaps } from '../../../src/core/engine/lanczos';
import {
  horizontalRowReference,
  horizontalRowRgb,
  verticalRow,
  verticalRowReference,
} from '../../../src/core/engine/pillowPasses';
import { randomBytes, randomInt, seededRandom } from '../../fakes/seededRandom';

/** Taps from `inSize` to a random output size (down to a tenth, up to eight times), lanczos or bilinear. */
function randomTaps(rnd: () => number, inSize: number) {
  const outSize = randomInt(rnd, Math.max(1, Math.floor(inSize / 10)), inSize * 8);
  return rnd() < 0.8 ? lanczosTaps(inSize, outSize) : pillowTaps(inSize, outSize, BILINEAR);
}

describe('pillowPasses', () => {
  it('the RGB horizontal pass gives the reference bytes for random sizes and scales', () => {
    const rnd = seededRandom(4242);
    for (let trial = 0; trial < 300; trial++) {
      const width = randomInt(rnd, 1, 120);
      const height = randomInt(rnd, 1, 3);
      const src = randomBytes(rnd, height, width, 3);
      const taps = randomTaps(rnd, width);
      const y = randomInt(rnd, 0, height - 1);
      const fast = new Uint8Array(taps.first.length * 3);
      const reference = new Uint8Array(taps.first.length * 3);
      horizontalRowRgb(src, taps, y, fast, 0);
      horizontalRowReference(src, taps, y, reference, 0);
      assert.deepEqual(fast, reference, `trial ${trial}: width ${width} -> ${taps.first.length}`);
    }
  });

  it('the vertical pass gives the reference bytes for random sizes, scales and row lengths', () => {
    const rnd = seededRandom(2424);
    for (let trial = 0; trial < 300; trial++) {
      const height = randomInt(rnd, 1, 60);
      const rowLen = randomInt(rnd, 1, 4) * randomInt(rnd, 1, 30);
      const src = randomBytes(rnd, height, rowLen, 1);
      const taps = randomTaps(rnd, height);
      const y = randomInt(rnd, 0, taps.first.length - 1);
      const fast = new Uint8Array(rowLen);
      const reference = new Uint8Array(rowLen);
      verticalRow(src.data, rowLen, taps, y, 0, fast, 0);
      verticalRowReference(src.data, rowLen, taps, y, 0, reference, 0);
      assert.deepEqual(
        fast,
        reference,
        `trial ${trial}: height ${height} -> ${taps.first.length}, row ${rowLen}`,
      );
    }
  });

  it('the vertical pass reads its source rows relative to the first row the band holds', () => {
    const taps = pillowTaps(4, 4, BILINEAR);
    const pixels = new Uint8Array([10, 20, 30, 40, 50, 60]);
    const dst = new Uint8Array(2);
    verticalRow(pixels, 2, taps, 2, 1, dst, 0);
    assert.deepEqual([...dst], [30, 40]);
  });
});
