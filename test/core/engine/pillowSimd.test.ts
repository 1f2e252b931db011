import assert from 'node:assert/strict';
import {
  BILINEAR,
  bytesToUnitJs,
  lanczosTaps,
  pillowTaps,
  unitToBytesJs,
} from '../../../src/core/engine/lanczos';
import { resampleColumnsJs, resampleRowsJs, type Bytes } from '../../../src/core/engine/pillowPasses';
import {
  bytesToUnitSimd,
  resampleColumnsSimd,
  resampleRowsSimd,
  simdPillowAvailable,
  unitToBytesSimd,
} from '../../../src/core/engine/pillowSimd';
import { randomBytes, randomInt, seededRandom } from '../../fakes/seededRandom';

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

  it('reads every byte back as the JavaScript’s float32 of byte / 255, at any length and offset', () => {
    const rnd = seededRandom(255);
    for (const n of [0, 1, 15, 16, 17, 256, 70000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (n === 256 ? i : randomInt(rnd, 0, 255)));
      const simd = new Float32Array(n + 5).fill(7);
      const js = simd.slice();
      bytesToUnitSimd(bytes, simd, 3);
      bytesToUnitJs(bytes, js, 3);
      assert.deepEqual(new Uint32Array(simd.buffer), new Uint32Array(js.buffer), `length ${n}`);
    }
  });

  it('turns floats into bytes as the JavaScript does, NaN, infinities, -0 and out-of-range values included', () => {
    const rnd = seededRandom(256);
    const special = [NaN, Infinity, -Infinity, -0, 0, -1e-30, 1e-30, 1, 1.0000001, 0.99999994, 2, -3, 1e30];
    for (const n of [1, 15, 16, 17, 1000, 70001]) {
      const src = Float32Array.from({ length: n + 9 }, () =>
        rnd() < 0.2 ? special[randomInt(rnd, 0, special.length - 1)] : rnd() * 1.2 - 0.1,
      );
      // Every float32 k / 255 and its neighbours, where truncation meets a whole number.
      if (n === 1000) for (let k = 0; k < 256; k++) src.set([k / 255, Math.fround(k / 255) + 1e-9], 2 * k);
      const simd = new Uint8Array(n);
      const js = new Uint8Array(n);
      unitToBytesSimd(src, 9, simd, n);
      unitToBytesJs(src, 9, js, n);
      assert.deepEqual(simd, js, `length ${n}`);
    }
  });
});
