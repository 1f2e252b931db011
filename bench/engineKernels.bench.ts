/**
 * The engine's unrolled inner kernels against the plain reference each keeps beside it, in the same
 * run and on one thread: the 16-lane float32 convolution row (ImageBlur, ImageSharpen) and Pillow's
 * 8-bit horizontal (RGB) and vertical passes (lanczos, preview fitting), torch's area and bilinear
 * rows and bicubic width and height passes (ImageScale); and the whole tap-by-tap convolution, the
 * separable passes and Pillow's two passes in JavaScript against the same in WebAssembly SIMD
 * (src/core/engine/convolveSimd.ts, pillowSimd.ts), same bits. Prints each pair's median of five
 * rounds, the two alternating so that a change of load falls on both, and the ratio.
 */
import { loadavg } from 'node:os';
import {
  accumulateRow,
  accumulateRowReference,
  convolve2dRowsJs,
  separableConvolveRowsJs,
} from '../src/core/engine/convolve';
import { convolve2dRowsSimd, separableConvolveRowsSimd } from '../src/core/engine/convolveSimd';
import { lanczosTaps } from '../src/core/engine/lanczos';
import { gaussianKernel } from '../src/core/engine/nodes/filters';
import { resampleColumnsSimd, resampleRowsSimd } from '../src/core/engine/pillowSimd';
import type { Bytes } from '../src/core/engine/pillowPasses';
import {
  resampleColumnsJs,
  resampleRowsJs,
  horizontalRowReference,
  horizontalRowRgb,
  verticalRow,
  verticalRowReference,
} from '../src/core/engine/pillowPasses';
import { areaRow, areaRowReference } from '../src/core/engine/areaRows';
import { imageFrom } from '../src/core/engine/tensor';
import { cubicTaps, linearTaps, poolWindows } from '../src/core/engine/resampleTaps';
import {
  bilinearRow,
  bilinearRowReference,
  cubicHeightRow,
  cubicHeightRowReference,
  cubicWidthRow,
  cubicWidthRowReference,
} from '../src/core/engine/torchRows';
import { seededRandom } from '../test/fakes/seededRandom';

const SIDE = 1024;
const ROUNDS = 5;

/** One kernel pair: each function does a whole 1024² image's worth of calls. */
interface KernelPair {
  label: string;
  reference: () => void;
  fast: () => void;
}

/** 1024 output rows of an RGB 2-D convolution of radius `r`: (2r + 1) kernel rows each. */
function convolvePair(r: number): KernelPair {
  const rnd = seededRandom(r);
  const k = 2 * r + 1;
  const c = 3;
  const src = Float32Array.from({ length: (SIDE + 2 * r) * c * 4 }, rnd);
  const weights = Float32Array.from({ length: k }, () => rnd() / k);
  const acc = new Float32Array(SIDE * c);
  const rows = (accumulate: typeof accumulateRow) => () => {
    for (let y = 0; y < SIDE; y++) {
      for (let ky = 0; ky < k; ky++) accumulate(acc, src, (ky % 4) * (SIDE + 2 * r) * c, weights, 0, k, c);
    }
  };
  return { label: `convolve row r=${r}`, reference: rows(accumulateRowReference), fast: rows(accumulateRow) };
}

/** A whole 1024² RGB blur of radius `r` (ImageBlur's kernel), JavaScript against WebAssembly SIMD. */
function convolveSimdPair(r: number): KernelPair {
  const rnd = seededRandom(r);
  const image = imageFrom(Float32Array.from({ length: SIDE * SIDE * 3 }, rnd), 1, SIDE, SIDE, 3);
  const kernel = gaussianKernel(2 * r + 1, 2);
  const out = new Float32Array(image.data.length);
  const whole = (convolve: typeof convolve2dRowsJs) => () => convolve(image, kernel, out, 0, SIDE, () => {});
  return {
    label: `convolve2dRows r=${r}: JS / wasm SIMD`,
    reference: whole(convolve2dRowsJs),
    fast: whole(convolve2dRowsSimd),
  };
}

/** The separable passes of a whole 1024² RGB blur of radius `r` (ImageBlur above r=8), JS against SIMD. */
function separableSimdPair(r: number): KernelPair {
  const rnd = seededRandom(r);
  const image = imageFrom(Float32Array.from({ length: SIDE * SIDE * 3 }, rnd), 1, SIDE, SIDE, 3);
  const weights = Float64Array.from({ length: 2 * r + 1 }, () => rnd() / (2 * r + 1));
  const whole = (passes: typeof separableConvolveRowsJs) => () =>
    passes(
      image,
      weights,
      0,
      SIDE,
      () => {},
      () => {},
    );
  return {
    label: `separableConvolveRows r=${r}: JS / wasm SIMD`,
    reference: whole(separableConvolveRowsJs),
    fast: whole(separableConvolveRowsSimd),
  };
}

/** Random RGB bytes of `height` x `width`, with the three spare bytes the horizontal pass may read. */
function bytes(height: number, width: number): Bytes {
  const rnd = seededRandom(width);
  const data = Uint8Array.from({ length: height * width * 3 + 3 }, () => Math.floor(rnd() * 256));
  return { data, height, width, channels: 3 };
}

/** Lanczos 2× of a 1024² RGB image, one pass at a time. */
function pillowPairs(): KernelPair[] {
  const taps = lanczosTaps(SIDE, 2 * SIDE);
  const src = bytes(SIDE, SIDE);
  const dst = new Uint8Array(2 * SIDE * 3 * 2);
  const horizontal = (pass: typeof horizontalRowRgb) => () => {
    for (let y = 0; y < SIDE; y++) pass(src, taps, y, dst, 0);
  };
  const rowLen = 2 * SIDE * 3;
  const wideImage = bytes(SIDE, 2 * SIDE);
  const wide = wideImage.data;
  const vertical = (pass: typeof verticalRow) => () => {
    for (let y = 0; y < 2 * SIDE; y++) pass(wide, rowLen, taps, y, 0, dst, 0);
  };
  return [
    {
      label: 'lanczos 2× horizontal RGB',
      reference: horizontal(horizontalRowReference),
      fast: horizontal(horizontalRowRgb),
    },
    { label: 'lanczos 2× vertical', reference: vertical(verticalRowReference), fast: vertical(verticalRow) },
    {
      label: 'lanczos 2× horizontal RGB: JS / wasm SIMD',
      reference: () => resampleRowsJs(src, taps, 0, SIDE, () => {}),
      fast: () => resampleRowsSimd(src, taps, 0, SIDE, () => {}),
    },
    {
      label: 'lanczos 2× vertical: JS / wasm SIMD',
      reference: () => resampleColumnsJs(wideImage, taps, 0, () => {}, 0, 2 * SIDE),
      fast: () => resampleColumnsSimd(wideImage, taps, 0, () => {}, 0, 2 * SIDE),
    },
  ];
}

/** torch's bilinear and bicubic 2× of a 1024² RGB image, by their row kernels. */
function torchPairs(): KernelPair[] {
  const c = 3;
  const out2 = 2 * SIDE;
  const rnd = seededRandom(out2);
  const src = Float32Array.from({ length: SIDE * SIDE * c }, rnd);
  const rowTaps = linearTaps(SIDE, out2);
  const colTaps = linearTaps(SIDE, out2);
  const rowLen = out2 * c;
  const dst = new Float32Array(rowLen * 4);
  const bilinear = (row: typeof bilinearRow) => () => {
    for (let y = 0; y < out2; y++) {
      const place = {
        r0: rowTaps.i0[y] * SIDE,
        r1: rowTaps.i1[y] * SIDE,
        h0: rowTaps.l0[y],
        h1: rowTaps.l1[y],
      };
      row(src, place, colTaps, c, dst, (y % 4) * rowLen);
    }
  };
  const ct = cubicTaps(SIDE, out2);
  const tmp = new Float32Array(rowLen * 8);
  const width = (pass: typeof cubicWidthRow) => () => {
    for (let y = 0; y < SIDE; y++) pass(src, y * SIDE, ct, c, tmp, (y % 8) * rowLen);
  };
  const { weight } = cubicTaps(SIDE, out2);
  const height = (pass: typeof cubicHeightRow) => () => {
    for (let y = 0, j = 0; y < out2; y++, j += 4) {
      const q = (k: number) => ((y + k) % 8) * rowLen;
      const row = {
        q0: q(0),
        q1: q(1),
        q2: q(2),
        q3: q(3),
        w0: weight[j],
        w1: weight[j + 1],
        w2: weight[j + 2],
        w3: weight[j + 3],
      };
      pass(tmp, row, rowLen, dst, (y % 4) * rowLen);
    }
  };
  const half = SIDE / 2;
  const cols = poolWindows(SIDE, half);
  const rows = poolWindows(SIDE, half);
  const area = (row: typeof areaRow) => () => {
    for (let y = 0; y < half; y++) {
      const place = { top: rows.start[y] * SIDE * c, kh: rows.end[y] - rows.start[y], stride: SIDE * c };
      row(src, place, cols, c, dst, (y % 4) * half * c);
    }
  };
  return [
    { label: 'area 0.5× row RGB', reference: area(areaRowReference), fast: area(areaRow) },
    { label: 'bilinear 2× row RGB', reference: bilinear(bilinearRowReference), fast: bilinear(bilinearRow) },
    {
      label: 'bicubic 2× width pass RGB',
      reference: width(cubicWidthRowReference),
      fast: width(cubicWidthRow),
    },
    {
      label: 'bicubic 2× height pass',
      reference: height(cubicHeightRowReference),
      fast: height(cubicHeightRow),
    },
  ];
}

function millis(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** Prints reference and fast times of each kernel pair and their ratio. */
export function runEngineKernelsBench(): Promise<void> {
  console.log(`engine kernels, one thread, 1024² RGB (load ${loadavg()[0].toFixed(2)})`);
  console.log('| kernel | reference | fast | reference / fast |');
  console.log('|---|---|---|---|');
  const pairs = [
    convolvePair(2),
    convolvePair(5),
    convolveSimdPair(3),
    convolveSimdPair(5),
    separableSimdPair(31),
    ...pillowPairs(),
    ...torchPairs(),
  ];
  for (const pair of pairs) {
    const reference: number[] = [];
    const fast: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      reference.push(millis(pair.reference));
      fast.push(millis(pair.fast));
    }
    const [a, b] = [median(reference), median(fast)];
    console.log(`| ${pair.label} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(a / b).toFixed(2)} |`);
  }
  return Promise.resolve();
}
