import assert from 'node:assert/strict';
import { convolve2dRowsJs, separableConvolveRowsJs } from '../../../src/core/engine/convolve';
import {
  convolve2dRowsSimd,
  separableConvolveRowsSimd,
  simdConvolutionAvailable,
} from '../../../src/core/engine/convolveSimd';
import { gaussianKernel, sharpenKernel } from '../../../src/core/engine/nodes/filters';
import { imageFrom } from '../../../src/core/engine/tensor';
import type { ImageTensor } from '../../../src/core/engine/types';
import { randomInt, seededRandom } from '../../fakes/seededRandom';

/** Values that test the roundings' corners: signed zeros, NaN, infinities, subnormals, huge values. */
const SPECIAL = [-0, 0, NaN, Infinity, -Infinity, 1e-40, -3e-42, 3e38, -1, 2 ** 24, 1 - 2 ** -24];

/** Floats mostly in 0..1, some outside as blends and sharpening leave them, and `specials` of SPECIAL. */
function randomImage(
  rnd: () => number,
  batch: number,
  height: number,
  width: number,
  c: number,
  specials: number,
) {
  const data = new Float32Array(batch * height * width * c);
  for (let i = 0; i < data.length; i++) data[i] = rnd() < 0.05 ? rnd() * 1.4 - 0.2 : rnd();
  for (let s = 0; s < specials; s++)
    data[randomInt(rnd, 0, data.length - 1)] = SPECIAL[randomInt(rnd, 0, SPECIAL.length - 1)];
  return imageFrom(data, batch, height, width, c);
}

/** A blur or sharpen kernel as the nodes build them, or random weights of either sign. */
function randomKernel(rnd: () => number, r: number): Float32Array {
  const k = 2 * r + 1;
  const sigma = 0.1 + rnd() * 10;
  const pick = rnd();
  if (pick < 0.4) return gaussianKernel(k, sigma);
  if (pick < 0.8) return sharpenKernel(gaussianKernel(k, sigma), rnd() * 5);
  return Float32Array.from({ length: k * k }, () => (rnd() - 0.4) / k);
}

/** Both kernels' output rows [from, to) of `image`, into arrays that start with the same noise. */
function bothKernels(image: ImageTensor, kernel: Float32Array, from: number, to: number) {
  const simd = new Float32Array(image.data.length).fill(0.25);
  const js = simd.slice();
  convolve2dRowsSimd(image, kernel, simd, from, to, () => undefined);
  convolve2dRowsJs(image, kernel, js, from, to, () => undefined);
  return { simd: new Uint32Array(simd.buffer), js: new Uint32Array(js.buffer) };
}

/** A normalised 1-D Gaussian of 2r + 1 doubles, or random weights of either sign. */
function randomWeights(rnd: () => number, r: number): Float64Array {
  const sigma = 0.3 + rnd() * 12;
  const w = Float64Array.from({ length: 2 * r + 1 }, (_, t) =>
    Math.exp(-((t - r) ** 2) / (2 * sigma * sigma)),
  );
  const sum = w.reduce((a, b) => a + b, 0);
  return rnd() < 0.7 ? w.map((v) => v / sum) : w.map(() => rnd() - 0.3);
}

/** The rows each separable pass emits for rows [from, to) of `image`, as row index and the bits of its values. */
function bothSeparable(image: ImageTensor, weights: Float64Array, from: number, to: number) {
  const collect = (run: typeof separableConvolveRowsJs) => {
    const rows: [number, number[]][] = [];
    run(
      image,
      weights,
      from,
      to,
      () => undefined,
      (row, values) => {
        rows.push([row, Array.from(new Uint32Array(Float64Array.from(values).buffer))]);
      },
    );
    return rows;
  };
  return { simd: collect(separableConvolveRowsSimd), js: collect(separableConvolveRowsJs) };
}

describe('convolveSimd', () => {
  it('loads under Node, so convolve2dRows runs the SIMD kernel', () => {
    assert.equal(simdConvolutionAvailable(), true);
  });

  it('gives the JavaScript kernel’s bits for random sizes, channels, radii, kernels, bands and batches', () => {
    const rnd = seededRandom(4242);
    for (let trial = 0; trial < 400; trial++) {
      const c = [1, 3, 4, 2][randomInt(rnd, 0, 3)];
      const height = randomInt(rnd, 2, 40);
      const width = randomInt(rnd, 2, 70);
      const batch = randomInt(rnd, 1, 3);
      const r = randomInt(rnd, 1, Math.min(12, height - 1, width - 1));
      const image = randomImage(rnd, batch, height, width, c, trial % 3 === 0 ? randomInt(rnd, 1, 6) : 0);
      const rows = batch * height;
      const from = rnd() < 0.5 ? 0 : randomInt(rnd, 0, rows - 1);
      const to = rnd() < 0.5 ? rows : randomInt(rnd, from + 1, rows);
      const { simd, js } = bothKernels(image, randomKernel(rnd, r), from, to);
      const context = `trial ${trial}: ${batch}x${height}x${width}x${c}, radius ${r}, rows ${from}..${to}`;
      assert.deepEqual(simd, js, context);
    }
  });

  it('gives the JavaScript kernel’s bits on images taller than the rows it pads at once', () => {
    const rnd = seededRandom(77);
    for (const [height, width, r] of [
      [150, 9, 3],
      [65, 33, 8],
      [200, 4, 1],
    ]) {
      const image = randomImage(rnd, 2, height, width, 3, 4);
      const { simd, js } = bothKernels(image, randomKernel(rnd, r), 0, 2 * height);
      assert.deepEqual(simd, js, `${height}x${width}, radius ${r}`);
    }
  });

  it('gives the separable JavaScript passes’ bits for random sizes, channels, radii, weights, bands and batches', () => {
    const rnd = seededRandom(3131);
    for (let trial = 0; trial < 250; trial++) {
      const c = [1, 3, 4, 2][randomInt(rnd, 0, 3)];
      const height = randomInt(rnd, 2, 80);
      const width = randomInt(rnd, 2, 80);
      const batch = randomInt(rnd, 1, 3);
      const r = randomInt(rnd, 1, Math.min(31, height - 1, width - 1));
      const image = randomImage(rnd, batch, height, width, c, trial % 3 === 0 ? randomInt(rnd, 1, 6) : 0);
      const rows = batch * height;
      const from = rnd() < 0.5 ? 0 : randomInt(rnd, 0, rows - 1);
      const to = rnd() < 0.5 ? rows : randomInt(rnd, from + 1, rows);
      const { simd, js } = bothSeparable(image, randomWeights(rnd, r), from, to);
      const context = `trial ${trial}: ${batch}x${height}x${width}x${c}, radius ${r}, rows ${from}..${to}`;
      assert.deepEqual(simd, js, context);
    }
  });

  it('gives the separable passes’ bits on images far taller than the rows it keeps of the horizontal pass', () => {
    const rnd = seededRandom(99);
    for (const [height, width, r] of [
      [300, 5, 2],
      [130, 40, 31],
    ]) {
      const image = randomImage(rnd, 2, height, width, 3, 4);
      const { simd, js } = bothSeparable(image, randomWeights(rnd, r), 0, 2 * height);
      assert.deepEqual(simd, js, `${height}x${width}, radius ${r}`);
    }
  });

  it('rounds to float32 after every tap, in row-major order', () => {
    // The first tap meets 2^24 and every later +1 rounds away; in double precision, or in another
    // order, the centre would be 2^24 + 8. The 16-wide row takes the vector path.
    const data = new Float32Array(3 * 18).fill(1);
    data[1] = 2 ** 24;
    const out = new Float32Array(data.length);
    convolve2dRowsSimd(imageFrom(data, 1, 3, 18, 1), new Float32Array(9).fill(1), out, 0, 3, () => undefined);
    assert.equal(out[18 + 1], 2 ** 24);
  });

  it('calls back between its calls into the kernel, so an interrupt stops it', () => {
    const image = randomImage(seededRandom(5), 1, 40, 20, 3, 0);
    let calls = 0;
    const stop = () => {
      if (++calls === 2) throw new Error('interrupted');
    };
    assert.throws(
      () => convolve2dRowsSimd(image, gaussianKernel(5, 1), new Float32Array(2400), 0, 40, stop),
      /interrupted/,
    );
    assert.equal(calls, 2);
  });
});
