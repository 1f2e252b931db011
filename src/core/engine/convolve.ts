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

/** The index `i` reflected into 0..n-1 without repeating the edge (torch 'reflect'); |overshoot| < n. */
function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

/** One batch element reflect-padded by `r` on every side, channels interleaved. */
function reflectPad(image: ImageTensor, b: number, r: number): Float32Array {
  const { height, width, channels: c } = image;
  const paddedWidth = width + 2 * r;
  const out = new Float32Array((height + 2 * r) * paddedWidth * c);
  for (let y = 0; y < height + 2 * r; y++) {
    const srcRow = (b * height + reflect(y - r, height)) * width;
    for (let x = 0; x < paddedWidth; x++) {
      const s = (srcRow + reflect(x - r, width)) * c;
      for (let k = 0; k < c; k++) out[(y * paddedWidth + x) * c + k] = image.data[s + k];
    }
  }
  return out;
}

/**
 * Adds one kernel row to the float32 accumulators of one output row: `acc[i] += w[kx] * src[from + i +
 * kx * c]` for kx in order, rounding to float32 after every step. (The product of two float32 values
 * is exact in a double, so this is a fused multiply-add except for the rare double rounding of the sum.)
 * Four outputs at a time are kept in registers, which roughly halves the time against a store per tap.
 */
function accumulateRow(
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
  for (; i + 4 <= n; i += 4) {
    let a0 = acc[i];
    let a1 = acc[i + 1];
    let a2 = acc[i + 2];
    let a3 = acc[i + 3];
    for (let kx = 0, p = from + i; kx < k; kx++, p += c) {
      const w = weights[wFrom + kx];
      a0 = f32(a0 + w * src[p]);
      a1 = f32(a1 + w * src[p + 1]);
      a2 = f32(a2 + w * src[p + 2]);
      a3 = f32(a3 + w * src[p + 3]);
    }
    acc[i] = a0;
    acc[i + 1] = a1;
    acc[i + 2] = a2;
    acc[i + 3] = a3;
  }
  for (; i < n; i++) {
    let a = acc[i];
    for (let kx = 0, p = from + i; kx < k; kx++, p += c) a = f32(a + weights[wFrom + kx] * src[p]);
    acc[i] = a;
  }
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
  const k = Math.round(Math.sqrt(kernel.length));
  const r = (k - 1) / 2;
  const { batch, height, width, channels: c } = image;
  const rowLength = width * c;
  const paddedRow = (width + 2 * r) * c;
  const acc = new Float32Array(rowLength);
  for (let b = 0; b < batch; b++) {
    const padded = reflectPad(image, b, r);
    for (let y = 0; y < height; y++) {
      if (y % CHECKPOINT_ROWS === 0) checkpoint();
      acc.fill(0);
      for (let ky = 0; ky < k; ky++) accumulateRow(acc, padded, (y + ky) * paddedRow, kernel, ky * k, k, c);
      out.set(acc, (b * height + y) * rowLength);
    }
  }
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
  const { batch, height, width, channels: c } = image;
  const rowLength = width * c;
  const r = (weights.length - 1) / 2;
  const result = new Float64Array(image.data.length);
  const horizontal = new Float64Array(height * rowLength);
  const padded = new Float64Array((width + 2 * r) * c);
  const acc = new Float64Array(rowLength);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < height; y++) {
      if (y % CHECKPOINT_ROWS === 0) checkpoint();
      padRow(image, b * height + y, r, padded);
      acc.fill(0);
      for (let t = 0; t < weights.length; t++) addScaled(acc, weights[t], padded, t * c);
      horizontal.set(acc, y * rowLength);
    }
    for (let y = 0; y < height; y++) {
      if (y % CHECKPOINT_ROWS === 0) checkpoint();
      acc.fill(0);
      for (let t = 0; t < weights.length; t++) {
        addScaled(acc, weights[t], horizontal, reflect(y - r + t, height) * rowLength);
      }
      result.set(acc, (b * height + y) * rowLength);
    }
  }
  return result;
}
