import assert from 'node:assert/strict';
import { cubicTaps, linearTaps } from '../../../src/core/engine/resampleTaps';
import { torchInterpolate } from '../../../src/core/engine/resampleTorch';
import {
  bilinearRow,
  bilinearRowReference,
  cubicHeightRow,
  cubicHeightRowReference,
  cubicWidthRow,
  cubicWidthRowReference,
} from '../../../src/core/engine/torchRows';
import { randomFloats, randomInt, seededRandom } from '../../fakes/seededRandom';

/** The bits of the floats, so that -0 and 0 or two NaNs of different payloads differ. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Bicubic as it ran before chunking: the width pass of every source row, then the height pass. */
function bicubicWhole(data: Float32Array, h: number, w: number, c: number, outH: number, outW: number) {
  const rt = cubicTaps(h, outH);
  const ct = cubicTaps(w, outW);
  const rowLen = outW * c;
  const tmp = new Float32Array(h * rowLen);
  for (let y = 0; y < h; y++) cubicWidthRowReference(data, y * w, ct, c, tmp, y * rowLen);
  const out = new Float32Array(outH * rowLen);
  for (let y = 0, j = 0; y < outH; y++, j += 4) {
    const { index, weight } = rt;
    const row = {
      q0: index[j] * rowLen,
      q1: index[j + 1] * rowLen,
      q2: index[j + 2] * rowLen,
      q3: index[j + 3] * rowLen,
      w0: weight[j],
      w1: weight[j + 1],
      w2: weight[j + 2],
      w3: weight[j + 3],
    };
    cubicHeightRowReference(tmp, row, rowLen, out, y * rowLen);
  }
  return out;
}

describe('torch bilinear and bicubic rows', () => {
  it('bilinearRow gives the reference bits for random sizes, channels and row weights', () => {
    const rnd = seededRandom(4242);
    for (let trial = 0; trial < 300; trial++) {
      const c = randomInt(rnd, 1, 5);
      const width = randomInt(rnd, 1, 80);
      const outW = randomInt(rnd, 1, 200);
      const data = randomFloats(rnd, 2 * width * c);
      const rt = linearTaps(randomInt(rnd, 1, 90), randomInt(rnd, 1, 200));
      const y = randomInt(rnd, 0, rt.l0.length - 1);
      const row = { r0: 0, r1: rnd() < 0.2 ? 0 : width, h0: rt.l0[y], h1: rt.l1[y] };
      const taps = linearTaps(width, outW);
      const offset = randomInt(rnd, 0, 5);
      const fast = new Float32Array(offset + outW * c);
      const reference = fast.slice();
      bilinearRow(data, row, taps, c, fast, offset);
      bilinearRowReference(data, row, taps, c, reference, offset);
      assert.deepEqual(bits(fast), bits(reference), `trial ${trial}: ${width} -> ${outW}, ${c} channels`);
    }
  });

  it('cubicWidthRow gives the reference bits for random sizes and channels', () => {
    const rnd = seededRandom(5151);
    for (let trial = 0; trial < 300; trial++) {
      const c = randomInt(rnd, 1, 5);
      const width = randomInt(rnd, 1, 80);
      const outW = randomInt(rnd, 1, 200);
      const rows = randomInt(rnd, 1, 3);
      const data = randomFloats(rnd, rows * width * c);
      const ct = cubicTaps(width, outW);
      const row = randomInt(rnd, 0, rows - 1) * width;
      const offset = randomInt(rnd, 0, 5);
      const fast = new Float32Array(offset + outW * c);
      const reference = fast.slice();
      cubicWidthRow(data, row, ct, c, fast, offset);
      cubicWidthRowReference(data, row, ct, c, reference, offset);
      assert.deepEqual(bits(fast), bits(reference), `trial ${trial}: ${width} -> ${outW}, ${c} channels`);
    }
  });

  it('cubicHeightRow gives the reference bits for random row lengths, offsets and taps', () => {
    const rnd = seededRandom(6161);
    for (let trial = 0; trial < 300; trial++) {
      const rowLen = randomInt(rnd, 1, 300);
      const tmp = randomFloats(rnd, 5 * rowLen);
      const { weight } = cubicTaps(randomInt(rnd, 1, 90), randomInt(rnd, 1, 200));
      const j = randomInt(rnd, 0, weight.length / 4 - 1) * 4;
      const q = () => randomInt(rnd, 0, 4) * rowLen;
      const row = {
        q0: q(),
        q1: q(),
        q2: q(),
        q3: q(),
        w0: weight[j],
        w1: weight[j + 1],
        w2: weight[j + 2],
        w3: weight[j + 3],
      };
      const offset = randomInt(rnd, 0, 5);
      const fast = new Float32Array(offset + rowLen);
      const reference = fast.slice();
      cubicHeightRow(tmp, row, rowLen, fast, offset);
      cubicHeightRowReference(tmp, row, rowLen, reference, offset);
      assert.deepEqual(bits(fast), bits(reference), `trial ${trial}: row of ${rowLen}`);
    }
  });

  it('bicubic in chunks of rows gives the bits of both passes over the whole image with the reference rows', () => {
    const rnd = seededRandom(7171);
    for (let trial = 0; trial < 150; trial++) {
      const c = randomInt(rnd, 1, 4);
      const [h, w] = [randomInt(rnd, 1, 90), randomInt(rnd, 1, 90)];
      const [outH, outW] = [randomInt(rnd, 1, 220), randomInt(rnd, 1, 220)];
      const data = randomFloats(rnd, h * w * c);
      const grid = { data, count: 1, height: h, width: w, channels: c };
      const chunked = torchInterpolate(grid, outH, outW, 'bicubic');
      const label = `trial ${trial}: ${h}x${w} -> ${outH}x${outW}, ${c} channels`;
      assert.deepEqual(bits(chunked), bits(bicubicWhole(data, h, w, c, outH, outW)), label);
    }
  });
});
