import assert from 'node:assert/strict';
import { convolve2d } from '../../../src/core/engine/convolve';
import {
  blurImage,
  EXACT_MAX_RADIUS,
  filterNodes,
  gaussianKernel,
  sharpenImage,
  sharpenKernel,
  torchLinspace,
  torchSum,
} from '../../../src/core/engine/nodes/filters';
import { imageFrom } from '../../../src/core/engine/tensor';
import type { ImageTensor, NodeContext } from '../../../src/core/engine/types';
import { NodeException } from '../../../src/core/engine/types';

const ctx = { nodeId: '1', checkpoint: () => undefined, progress: () => undefined } as unknown as NodeContext;

function grey(height: number, width: number, values: number[]): ImageTensor {
  return imageFrom(Float32Array.from(values), 1, height, width, 1);
}

/** A deterministic non-trivial RGB image. */
function noise(height: number, width: number): ImageTensor {
  let s = 7;
  const data = new Float32Array(height * width * 3).map(() => {
    s = (s * 48271) % 2147483647;
    return (s % 256) / 255;
  });
  return imageFrom(data, 1, height, width, 3);
}

describe('filter nodes', () => {
  it('marks both nodes heavy so the executor may run them on a worker thread', () => {
    assert.deepEqual(filterNodes.map((n) => n.classType).sort(), ['ImageBlur', 'ImageSharpen']);
    assert.ok(filterNodes.every((n) => n.heavy === true));
  });

  it('torchLinspace is symmetric in float32 because torch fills the second half backwards from 1', () => {
    const xs = Array.from(torchLinspace(7));
    assert.equal(xs[1], Math.fround(-1 + Math.fround(2 / 6)));
    assert.deepEqual(
      xs,
      xs.map((_, i) => 0 - xs[6 - i]),
    );
    assert.deepEqual([xs[0], xs[3], xs[6]], [-1, 0, 1]);
  });

  it('torchSum adds the scalar tail before the vector lanes', () => {
    // Sequentially the eight ones add up to 8 first and 2^24 + 8 is exact; torch starts from the tail,
    // and each 1 added to 2^24 rounds away (ties to even).
    assert.equal(torchSum(Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 2 ** 24)), 2 ** 24);
  });

  it('gaussianKernel weighs taps by exp(-d^2 / 2 sigma^2) on a -1..1 grid and sums to 1', () => {
    const g = gaussianKernel(3, 1);
    const total = 1 + 4 * Math.exp(-0.5) + 4 * Math.exp(-1);
    assert.ok(Math.abs(g[4] - 1 / total) < 1e-7);
    assert.ok(Math.abs(g[1] - Math.exp(-0.5) / total) < 1e-7);
    assert.ok(Math.abs(g[0] - Math.exp(-1) / total) < 1e-7);
  });

  it('sharpenKernel raises the centre so that the kernel sums to 1', () => {
    const k = sharpenKernel(gaussianKernel(5, 1.5), 2);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.ok(k[12] > 1 && k[0] < 0);
  });

  it('convolve2d accumulates in float32, taps in row-major order', () => {
    // The first tap meets 2^24 and every later +1 rounds away; in double precision, or in another
    // order, the result would be 2^24 + 8.
    const image = grey(3, 3, [2 ** 24, 1, 1, 1, 1, 1, 1, 1, 1]);
    const out = new Float32Array(9);
    convolve2d(image, new Float32Array(9).fill(1), out, () => undefined);
    assert.equal(out[4], 2 ** 24);
  });

  it('ImageBlur reflects at the edges without repeating the edge pixel', () => {
    // With reflect padding the centre pixel of a 3x3 image is seen through all four corner taps of the
    // top-left output; zero or replicate padding would see it once.
    const out = blurImage(grey(3, 3, [0, 0, 0, 0, 1, 0, 0, 0, 0]), 1, 1, ctx);
    const corner = Math.exp(-1) / (1 + 4 * Math.exp(-0.5) + 4 * Math.exp(-1));
    assert.ok(Math.abs(out.data[0] - 4 * corner) < 1e-6);
  });

  it('ImageBlur keeps a flat image flat', () => {
    const out = blurImage(grey(4, 5, new Array(20).fill(0.6)), 2, 3, ctx);
    assert.equal(out.data.length, 4 * 5);
    assert.ok(out.data.every((v) => Math.abs(v - 0.6) < 1e-6));
  });

  it('ImageBlur fails like torch when the radius is not smaller than the image', () => {
    assert.throws(
      () => blurImage(grey(2, 5, new Array(10).fill(0)), 2, 1, ctx),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'RuntimeError',
    );
  });

  it('ImageBlur above the exact radius stays within 1e-5 of the tap-by-tap convolution', () => {
    const image = noise(24, 30);
    const radius = EXACT_MAX_RADIUS + 2;
    const exact = new Float32Array(image.data.length);
    convolve2d(image, gaussianKernel(radius * 2 + 1, 0.8), exact, () => undefined);
    const out = blurImage(image, radius, 0.8, ctx);
    assert.equal(out.data.length, exact.length);
    assert.ok(out.data.every((v, i) => Math.abs(v - exact[i]) < 1e-5));
  });

  it('ImageSharpen with alpha 0 returns the image unchanged', () => {
    const image = noise(6, 7);
    assert.deepEqual(Array.from(sharpenImage(image, 2, 1.5, 0, ctx).data), Array.from(image.data));
  });

  it('ImageSharpen pushes an edge apart and clamps the result to 0..1', () => {
    const row = [0.1, 0.1, 0.9, 0.9];
    const out = sharpenImage(grey(3, 4, [...row, ...row, ...row]), 1, 1, 1, ctx);
    const [a, b, c, d] = out.data;
    assert.deepEqual([b, c], [0, 1]);
    assert.ok(Math.abs(a - 0.1) < 1e-5 && Math.abs(d - 0.9) < 1e-5);
  });

  it('ImageSharpen above the exact radius stays within 1e-5 of the tap-by-tap convolution', () => {
    const image = noise(24, 30);
    const radius = EXACT_MAX_RADIUS + 1;
    const exact = new Float32Array(image.data.length);
    convolve2d(image, sharpenKernel(gaussianKernel(radius * 2 + 1, 1.2), 0.4), exact, () => undefined);
    const out = sharpenImage(image, radius, 1.2, 0.4, ctx);
    assert.equal(out.data.length, exact.length);
    assert.ok(out.data.every((v, i) => Math.abs(v - Math.min(1, Math.max(0, exact[i]))) < 1e-5));
  });
});
