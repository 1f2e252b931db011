/**
 * Depthwise convolution over a reflect-padded image, the kernel behind ImageBlur and ImageSharpen.
 *
 * ComfyUI reflect-pads the image by the radius and runs torch's depthwise `conv2d`, whose CPU kernels
 * (oneDNN's, or OpenBLAS's gemm after im2col) accumulate each output in float32, taps in row-major
 * order, one rounding per multiply-add. {@link convolve2d} does exactly that, which makes results
 * bit-identical to ComfyUI's. That matters because SaveImage truncates `255 * v`: a blurred ramp is, in
 * exact arithmetic, the ramp itself, so a one-ulp difference picks between two 8-bit values on every
 * such pixel. Its cost grows with the square of the kernel size, so for large radii
 * {@link separableConvolve} offers two 1-D passes in double precision, within about 1e-6 of torch.
 */
import { convolve2dRowsSimd, separableConvolveRowsSimd, simdConvolutionAvailable } from './convolveSimd';
import { reflect } from './reflect';
import { forEachElementRows } from './rowBands';
import type { ImageTensor } from './types';
import { NodeException } from './types';

/** How often (in rows) the passes call back to allow an interrupt. */
const CHECKPOINT_ROWS = 8;

/**
 * Throws torch's error for a reflect pad at least as wide as the image (`F.pad(..., 'reflect')` needs
 * the padding to be smaller than each padded dimension).
 */
export function checkReflectPad(image: ImageTensor, radius: number): void {
  if (radius < image.width && radius < image.height) return;
  const dim = radius < image.width ? 2 : 3;
  throw new NodeException(
    'RuntimeError',
    `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ` +
      `(${radius}, ${radius}) at dimension ${dim} of input [${image.batch}, ${image.channels}, ${image.height}, ${image.width}]`,
  );
}

/**
 * Rows `[y0 - r, y1 + r)` of batch element `b`, reflected at the image's edges and reflect-padded by `r`
 * on the left and right, channels interleaved: the padded image's rows that output rows `[y0, y1)` read.
 */
function reflectPadRows(image: ImageTensor, b: number, r: number, y0: number, y1: number): Float32Array {
  const { height, width, channels: c } = image;
  const paddedWidth = width + 2 * r;
  const out = new Float32Array((y1 - y0 + 2 * r) * paddedWidth * c);
  for (let y = y0 - r, o = 0; y < y1 + r; y++) {
    const srcRow = (b * height + reflect(y, height)) * width;
    for (let x = 0; x < paddedWidth; x++) {
      const s = (srcRow + reflect(x - r, width)) * c;
      for (let k = 0; k < c; k++) out[o++] = image.data[s + k];
    }
  }
  return out;
}

/**
 * Adds one kernel row to the float32 accumulators of one output row: `acc[i] += w[kx] * src[from + i +
 * kx * c]` for kx in order, rounding to float32 after every step. (The product of two float32 values
 * is exact in a double, so this is a fused multiply-add except for the rare double rounding of the sum.)
 * This is the plain form, kept as the reference {@link accumulateRow} must match bit for bit.
 */
export function accumulateRowReference(
  acc: Float32Array,
  src: Float32Array,
  from: number,
  weights: Float32Array,
  wFrom: number,
  k: number,
  c: number,
): void {
  accumulateTail(acc, 0, src, from, weights, wFrom, k, c);
}

/** {@link accumulateRowReference} for the outputs `[i0, acc.length)` only. */
function accumulateTail(
  acc: Float32Array,
  i0: number,
  src: Float32Array,
  from: number,
  weights: Float32Array,
  wFrom: number,
  k: number,
  c: number,
): void {
  const f32 = Math.fround;
  for (let i = i0; i < acc.length; i++) {
    let a = acc[i];
    for (let kx = 0, p = from + i; kx < k; kx++, p += c) a = f32(a + weights[wFrom + kx] * src[p]);
    acc[i] = a;
  }
}

/**
 * {@link accumulateRowReference}, 16 outputs at a time with their accumulators in locals, so each tap
 * loads its weight once and no accumulator goes through memory between taps. Every lane does the
 * reference's operations in the reference's order, so the results are the same bits; the last
 * `length % 16` outputs take the reference path.
 */
export function accumulateRow(
  acc: Float32Array,
  src: Float32Array,
  from: number,
  weights: Float32Array,
  wFrom: number,
  k: number,
  c: number,
): void {
  const f32 = Math.fround;
  const n = acc.length;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    let a0 = acc[i];
    let a1 = acc[i + 1];
    let a2 = acc[i + 2];
    let a3 = acc[i + 3];
    let a4 = acc[i + 4];
    let a5 = acc[i + 5];
    let a6 = acc[i + 6];
    let a7 = acc[i + 7];
    let a8 = acc[i + 8];
    let a9 = acc[i + 9];
    let a10 = acc[i + 10];
    let a11 = acc[i + 11];
    let a12 = acc[i + 12];
    let a13 = acc[i + 13];
    let a14 = acc[i + 14];
    let a15 = acc[i + 15];
    for (let kx = 0, p = from + i; kx < k; kx++, p += c) {
      const w = weights[wFrom + kx];
      a0 = f32(a0 + w * src[p]);
      a1 = f32(a1 + w * src[p + 1]);
      a2 = f32(a2 + w * src[p + 2]);
      a3 = f32(a3 + w * src[p + 3]);
      a4 = f32(a4 + w * src[p + 4]);
      a5 = f32(a5 + w * src[p + 5]);
      a6 = f32(a6 + w * src[p + 6]);
      a7 = f32(a7 + w * src[p + 7]);
      a8 = f32(a8 + w * src[p + 8]);
      a9 = f32(a9 + w * src[p + 9]);
      a10 = f32(a10 + w * src[p + 10]);
      a11 = f32(a11 + w * src[p + 11]);
      a12 = f32(a12 + w * src[p + 12]);
      a13 = f32(a13 + w * src[p + 13]);
      a14 = f32(a14 + w * src[p + 14]);
      a15 = f32(a15 + w * src[p + 15]);
    }
    acc[i] = a0;
    acc[i + 1] = a1;
    acc[i + 2] = a2;
    acc[i + 3] = a3;
    acc[i + 4] = a4;
    acc[i + 5] = a5;
    acc[i + 6] = a6;
    acc[i + 7] = a7;
    acc[i + 8] = a8;
    acc[i + 9] = a9;
    acc[i + 10] = a10;
    acc[i + 11] = a11;
    acc[i + 12] = a12;
    acc[i + 13] = a13;
    acc[i + 14] = a14;
    acc[i + 15] = a15;
  }
  accumulateTail(acc, i, src, from, weights, wFrom, k, c);
}

/**
 * Convolves every channel of every batch element with the k x k `kernel` (row-major, k = 2r + 1, r
 * smaller than both image dimensions, see {@link checkReflectPad}) over the reflect-padded image, with
 * torch's float32 accumulation. Writes into `out`, which has the image's shape.
 */
export function convolve2d(
  image: ImageTensor,
  kernel: Float32Array,
  out: Float32Array,
  checkpoint: () => void,
): void {
  convolve2dRows(image, kernel, out, 0, image.batch * image.height, checkpoint);
}

/**
 * {@link convolve2d} for the flat output rows `[from, to)` (batch element times height plus row) only;
 * every value is computed exactly as in the whole convolution. It runs the WebAssembly SIMD kernel
 * (./convolveSimd.ts) where the runtime has one, else {@link convolve2dRowsJs}; both give the same bits.
 */
export function convolve2dRows(
  image: ImageTensor,
  kernel: Float32Array,
  out: Float32Array,
  from: number,
  to: number,
  checkpoint: () => void,
): void {
  if (simdConvolutionAvailable()) convolve2dRowsSimd(image, kernel, out, from, to, checkpoint);
  else convolve2dRowsJs(image, kernel, out, from, to, checkpoint);
}

/**
 * {@link convolve2dRows} in JavaScript: the fallback where WebAssembly SIMD is missing, and the
 * reference the SIMD kernel is tested against bit for bit.
 */
export function convolve2dRowsJs(
  image: ImageTensor,
  kernel: Float32Array,
  out: Float32Array,
  from: number,
  to: number,
  checkpoint: () => void,
): void {
  const k = Math.round(Math.sqrt(kernel.length));
  const r = (k - 1) / 2;
  const { height, width, channels: c } = image;
  const rowLength = width * c;
  const paddedRow = (width + 2 * r) * c;
  const acc = new Float32Array(rowLength);
  forEachElementRows(from, to, height, (b, y0, y1) => {
    const padded = reflectPadRows(image, b, r, y0, y1);
    for (let y = y0; y < y1; y++) {
      if (y % CHECKPOINT_ROWS === 0) checkpoint();
      acc.fill(0);
      for (let ky = 0; ky < k; ky++) {
        accumulateRow(acc, padded, (y - y0 + ky) * paddedRow, kernel, ky * k, k, c);
      }
      out.set(acc, (b * height + y) * rowLength);
    }
  });
}

/** Reflect-pads row `y` of `image` (flat row index) by `r` pixels on both sides into `padded`. */
function padRow(image: ImageTensor, row: number, r: number, padded: Float64Array): void {
  const { width, channels: c } = image;
  for (let x = -r; x < width + r; x++) {
    const s = (row * width + reflect(x, width)) * c;
    for (let k = 0; k < c; k++) padded[(x + r) * c + k] = image.data[s + k];
  }
}

/** `acc[i] += w * src[from + i]` over the whole of `acc`. */
function addScaled(acc: Float64Array, w: number, src: Float64Array, from: number): void {
  for (let i = 0; i < acc.length; i++) acc[i] += w * src[from + i];
}

/**
 * Convolves every channel of every batch element with `weights` along x, then along y, reflecting at
 * the edges, in double precision; the result (BHWC, like the input) equals a 2-D convolution with the
 * outer product of `weights`. `weights` has an odd length 2r + 1, r as for {@link convolve2d}.
 */
export function separableConvolve(
  image: ImageTensor,
  weights: Float64Array,
  checkpoint: () => void,
): Float64Array {
  const rowLength = image.width * image.channels;
  const result = new Float64Array(image.data.length);
  separableConvolveRows(image, weights, 0, image.batch * image.height, checkpoint, (row, values) =>
    result.set(values, row * rowLength),
  );
  return result;
}

/**
 * {@link separableConvolve} for the flat output rows `[from, to)`: each row's double-precision values
 * go to `emit` (the array is reused for the next row), computed exactly as in the whole convolution.
 * It runs the WebAssembly SIMD passes (./convolveSimd.ts) where the runtime has them, else
 * {@link separableConvolveRowsJs}; both give the same bits.
 */
export function separableConvolveRows(
  image: ImageTensor,
  weights: Float64Array,
  from: number,
  to: number,
  checkpoint: () => void,
  emit: (row: number, values: Float64Array) => void,
): void {
  if (simdConvolutionAvailable()) separableConvolveRowsSimd(image, weights, from, to, checkpoint, emit);
  else separableConvolveRowsJs(image, weights, from, to, checkpoint, emit);
}

/**
 * {@link separableConvolveRows} in JavaScript, the fallback and the reference: the horizontal pass runs
 * on the source rows those output rows read.
 */
export function separableConvolveRowsJs(
  image: ImageTensor,
  weights: Float64Array,
  from: number,
  to: number,
  checkpoint: () => void,
  emit: (row: number, values: Float64Array) => void,
): void {
  const { height, width, channels: c } = image;
  const rowLength = width * c;
  const r = (weights.length - 1) / 2;
  const padded = new Float64Array((width + 2 * r) * c);
  const acc = new Float64Array(rowLength);
  forEachElementRows(from, to, height, (b, y0, y1) => {
    // Reflection keeps every source row the band reads within [lo, hi].
    const lo = Math.max(0, y0 - r);
    const hi = Math.min(height - 1, y1 - 1 + r);
    const horizontal = new Float64Array((hi - lo + 1) * rowLength);
    for (let y = lo; y <= hi; y++) {
      if (y % CHECKPOINT_ROWS === 0) checkpoint();
      padRow(image, b * height + y, r, padded);
      acc.fill(0);
      for (let t = 0; t < weights.length; t++) addScaled(acc, weights[t], padded, t * c);
      horizontal.set(acc, (y - lo) * rowLength);
    }
    for (let y = y0; y < y1; y++) {
      if (y % CHECKPOINT_ROWS === 0) checkpoint();
      acc.fill(0);
      for (let t = 0; t < weights.length; t++) {
        addScaled(acc, weights[t], horizontal, (reflect(y - r + t, height) - lo) * rowLength);
      }
      emit(b * height + y, acc);
    }
  });
}
