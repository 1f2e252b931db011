/**
 * The tap-by-tap convolution of ./convolve.ts in WebAssembly SIMD: the same value in every bit, several
 * times faster. Each lane of the kernel (./convolveSimd.wat) does the JavaScript kernel's operations on
 * one output in the same order, with the same roundings; why that holds is written there.
 *
 * The wasm comes from ./convolveSimdWasm.ts, generated and committed (scripts/wasmModules.ts), so it
 * loads the same under tsx, in dist/cli.js and in the engine's worker threads: nothing is read from disk.
 * Each thread compiles its own instance on first use and keeps it, with its memory, for later calls
 * (./simdModule.ts).
 */
import { convolveSimdWasm } from './convolveSimdWasm';
import { reflect } from './reflect';
import { align16, lazySimdModule, reserveMemory, type SimdMemory } from './simdModule';
import { forEachElementRows } from './rowBands';
import type { ImageTensor } from './types';

/** Output rows whose padded source rows are converted to doubles at once. */
const PAD_ROWS = 64;

/** Output rows per call into the kernel; the passes call back to allow an interrupt between calls. */
const CALL_ROWS = 8;

/** The exports of convolveSimd.wat. */
interface ConvolveExports {
  memory: SimdMemory;
  weightedSum(dst: number, table: number, weights: number, taps: number, n: number): void;
  convolveRows(
    src: number,
    stride: number,
    weights: number,
    k: number,
    c: number,
    n: number,
    rows: number,
    dst: number,
  ): void;
}

const convolveModule = lazySimdModule<ConvolveExports>(convolveSimdWasm);

/** Whether this runtime runs the SIMD kernel (Node 20 and later always do); loads it on first call. */
export function simdConvolutionAvailable(): boolean {
  return convolveModule.available();
}

/**
 * Flat row `row` of `image` reflect-padded by `r` pixels on the left and right, channels interleaved,
 * as doubles into `into` from index `at`.
 */
function padRowInto(into: Float64Array, at: number, image: ImageTensor, row: number, r: number): void {
  const { width, channels: c, data } = image;
  const start = row * width;
  // The inside of the row is a plain copy; only the r pixels at either end reflect.
  into.set(data.subarray(start * c, (start + width) * c), at + r * c);
  for (let x = 0; x < r; x++) {
    const left = (start + reflect(x - r, width)) * c;
    const right = (start + reflect(width + x, width)) * c;
    for (let k = 0; k < c; k++) {
      into[at + x * c + k] = data[left + k];
      into[at + (width + r + x) * c + k] = data[right + k];
    }
  }
}

/**
 * Rows `[y0 - r, y1 + r)` of batch element `b`, reflected at the image's edges and reflect-padded by `r`
 * on the left and right, as doubles into `into` from index `at`.
 */
function padRowsInto(
  into: Float64Array,
  at: number,
  image: ImageTensor,
  b: number,
  r: number,
  y0: number,
  y1: number,
): void {
  const { height, width, channels: c } = image;
  const paddedRow = (width + 2 * r) * c;
  for (let y = y0 - r, o = at; y < y1 + r; y++, o += paddedRow) {
    padRowInto(into, o, image, b * height + reflect(y, height), r);
  }
}

/**
 * ./convolve.ts's `convolve2dRows` on the SIMD kernel: the flat output rows `[from, to)` of the
 * convolution of `image` with the k x k `kernel`, into `out`. Throws where the kernel cannot load (see
 * {@link simdConvolutionAvailable}).
 */
export function convolve2dRowsSimd(
  image: ImageTensor,
  kernel: Float32Array,
  out: Float32Array,
  from: number,
  to: number,
  checkpoint: () => void,
): void {
  const wasm = convolveModule.exports();
  const k = Math.round(Math.sqrt(kernel.length));
  const r = (k - 1) / 2;
  const { height, width, channels: c } = image;
  const n = width * c;
  const stride = (width + 2 * r) * c * 8;
  const chunk = Math.min(PAD_ROWS, height);
  const padAt = align16(kernel.length * 8);
  const dstAt = padAt + align16((chunk + 2 * r) * stride);
  const buffer = reserveMemory(wasm.memory, dstAt + chunk * n * 4);
  const doubles = new Float64Array(buffer);
  const floats = new Float32Array(buffer);
  doubles.set(kernel, 0);
  forEachElementRows(from, to, height, (b, y0, y1) => {
    for (let ya = y0; ya < y1; ya += chunk) {
      const yb = Math.min(y1, ya + chunk);
      padRowsInto(doubles, padAt / 8, image, b, r, ya, yb);
      for (let y = ya; y < yb; y += CALL_ROWS) {
        checkpoint();
        const rows = Math.min(CALL_ROWS, yb - y);
        wasm.convolveRows(padAt + (y - ya) * stride, stride, 0, k, c, n, rows, dstAt + (y - ya) * n * 4);
      }
      out.set(floats.subarray(dstAt / 4, dstAt / 4 + (yb - ya) * n), (b * height + ya) * n);
    }
  });
}

/**
 * ./convolve.ts's `separableConvolveRows` on the SIMD kernel: the flat output rows `[from, to)` of the
 * two 1-D passes with `weights` (odd length 2r + 1), each row's doubles handed to `emit` in an array
 * reused for the next row. The horizontal pass of each source row runs once, when the first output row
 * that reads it comes, into a ring of 2r + 1 rows: an output row reads only the rows within r of it.
 */
export function separableConvolveRowsSimd(
  image: ImageTensor,
  weights: Float64Array,
  from: number,
  to: number,
  checkpoint: () => void,
  emit: (row: number, values: Float64Array) => void,
): void {
  const wasm = convolveModule.exports();
  const { height, width, channels: c } = image;
  const n = width * c;
  const taps = weights.length;
  const r = (taps - 1) / 2;
  const hTableAt = align16(taps * 8);
  const vTableAt = hTableAt + align16(taps * 4);
  const paddedAt = vTableAt + align16(taps * 4);
  const ringAt = paddedAt + align16((width + 2 * r) * c * 8);
  const resultAt = ringAt + taps * n * 8;
  const buffer = reserveMemory(wasm.memory, resultAt + n * 8);
  const doubles = new Float64Array(buffer);
  const table = new Int32Array(buffer);
  const result = new Float64Array(buffer, resultAt, n);
  doubles.set(weights, 0);
  for (let t = 0; t < taps; t++) table[hTableAt / 4 + t] = paddedAt + t * c * 8;
  const slot = (y: number): number => ringAt + (y % taps) * n * 8;
  forEachElementRows(from, to, height, (b, y0, y1) => {
    let next = Math.max(0, y0 - r);
    for (let y = y0; y < y1; y++) {
      for (const last = Math.min(height - 1, y + r); next <= last; next++) {
        if (next % CALL_ROWS === 0) checkpoint();
        padRowInto(doubles, paddedAt / 8, image, b * height + next, r);
        wasm.weightedSum(slot(next), hTableAt, 0, taps, n);
      }
      if (y % CALL_ROWS === 0) checkpoint();
      for (let t = 0; t < taps; t++) table[vTableAt / 4 + t] = slot(reflect(y - r + t, height));
      wasm.weightedSum(resultAt, vTableAt, 0, taps, n);
      emit(b * height + y, result);
    }
  });
}
