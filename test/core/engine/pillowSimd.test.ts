import assert from 'node:assert/strict';
import { BILINEAR, lanczosTaps, pillowTaps } from '../../../src/core/engine/lanczos';
import { resampleColumnsJs, resampleRowsJs, type Bytes } from '../../../src/core/engine/pillowPasses';
import {
  resampleColumnsSimd,
  resampleRowsSimd,
  simdPillowAvailable,
} from '../../../src/core/engine/pillowSimd';
import { randomInt, seededRandom } from '../../fakes/seededRandom';

/**
 * Random bytes, a tenth of them 0 or 255 so that the lobes' overshoot meets both ends of the clip, and
 * the three spare bytes the horizontal pass may read past the last pixel.
 */
function randomBytes(rnd: () => number, height: number, width: number, channels: number): Bytes {
  const data = new Uint8Array(height * width * channels + 3);
  for (let i = 0; i < data.length; i++)
    data[i] = rnd() < 0.1 ? (rnd() < 0.5 ? 0 : 255) : randomInt(rnd, 0, 255);
  return { data, height, width, channels };
}

/** Rows [from, to) of `img`. */
function rowsOf(img: Bytes, from: number, to: number): Bytes {
  const rowLen = img.width * img.channels;
  return { ...img, data: img.data.slice(from * rowLen, to * rowLen), height: to - from };
}

describe('pillowSimd', () => {
  it('gives the JavaScript horizontal pass’s bytes for random sizes, scales, channels and rows', () => {
    const rnd = seededRandom(8080);
    for (let trial = 0; trial < 300; trial++) {
      const width = randomInt(rnd, 1, 80);
      const height = randomInt(rnd, 1, 40);
      const channels = randomInt(rnd, 1, 4);
      const src = randomBytes(rnd, height, width, channels);
      const outW = randomInt(rnd, Math.max(1, Math.floor(width / 10)), width * 8);
      const taps = rnd() < 0.8 ? lanczosTaps(width, outW) : pillowTaps(width, outW, BILINEAR);
      const rowFrom = randomInt(rnd, 0, height - 1);
      const rowTo = randomInt(rnd, rowFrom + 1, height);
      const simd = resampleRowsSimd(src, taps, rowFrom, rowTo, () => undefined);
      const js = resampleRowsJs(src, taps, rowFrom, rowTo, () => undefined);
      const context = `trial ${trial}: ${height}x${width}x${channels} -> ${outW}, rows ${rowFrom}..${rowTo}`;
      assert.deepEqual(simd, js, context);
    }
  });

  it('loads under Node, so resampleRows and resampleColumns run the SIMD passes', () => {
    assert.equal(simdPillowAvailable(), true);
  });

  it('gives the JavaScript vertical pass’s bytes for random sizes, scales, channels and bands', () => {
    const rnd = seededRandom(5150);
    for (let trial = 0; trial < 300; trial++) {
      const height = randomInt(rnd, 1, 60);
      const width = randomInt(rnd, 1, 40);
      const channels = randomInt(rnd, 1, 4);
      const img = randomBytes(rnd, height, width, channels);
      const outH = randomInt(rnd, Math.max(1, Math.floor(height / 10)), height * 8);
      const taps = rnd() < 0.8 ? lanczosTaps(height, outH) : pillowTaps(height, outH, BILINEAR);
      const yFrom = randomInt(rnd, 0, outH - 1);
      const yTo = randomInt(rnd, yFrom + 1, outH);
      // A band holds only the source rows its output rows read, as the row bands do.
      let lo = height;
      let hi = 0;
      for (let y = yFrom; y < yTo; y++) {
        lo = Math.min(lo, taps.first[y]);
        hi = Math.max(hi, taps.first[y] + taps.count[y]);
      }
      const src = rowsOf(img, lo, hi);
      const simd = resampleColumnsSimd(src, taps, lo, () => undefined, yFrom, yTo);
      const js = resampleColumnsJs(src, taps, lo, () => undefined, yFrom, yTo);
      const context = `trial ${trial}: ${height}x${width}x${channels} -> ${outH}, rows ${yFrom}..${yTo}`;
      assert.deepEqual(simd, js, context);
    }
  });

  it('clips sums past either end of 0..255 as Pillow does', () => {
    // A lanczos enlargement of a hard edge overshoots on both sides of it.
    const rowLen = 17;
    const data = new Uint8Array(8 * rowLen);
    data.fill(255, 4 * rowLen);
    const src: Bytes = { data, height: 8, width: rowLen, channels: 1 };
    const taps = lanczosTaps(8, 40);
    const simd = resampleColumnsSimd(src, taps, 0, () => undefined, 0, 40);
    assert.deepEqual(
      simd,
      resampleColumnsJs(src, taps, 0, () => undefined, 0, 40),
    );
    assert.ok(simd.data.includes(0) && simd.data.includes(255));
  });
});
