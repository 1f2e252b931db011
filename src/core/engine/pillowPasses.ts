/**
 * The two passes of Pillow's 8-bit resampler (`ImagingResampleHorizontal_8bpc` and
 * `ImagingResampleVertical_8bpc`) over fixed-point taps: each output value is a sum of pixels times
 * 22-bit integer weights, started at one half, shifted back and clipped to 8 bits. The fast forms hold
 * several sums in locals; each has its plain reference beside it, which it matches bit for bit.
 */
import { resampleColumnsSimd, resampleRowsSimd, simdPillowAvailable } from './pillowSimd';
import type { Checkpoint } from './resampleTorch';

/** Fixed-point fraction bits of Pillow's 8-bit coefficients (32 - 8 - 2). */
export const PRECISION_BITS = 22;
/** Half of one in fixed point, the rounding offset every sum starts from. */
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point taps of one resampling direction: output i reads `count[i]` pixels from `first[i]`. */
export interface FixedTaps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Coefficients, `ksize` per output index. */
  readonly weights: Int32Array;
  readonly ksize: number;
}

/** One 8-bit image of `channels` interleaved bands, as Pillow holds it during a resize. */
export interface Bytes {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** Pillow's `clip8`: a fixed-point sum back to 0..255. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * The horizontal pass over source rows `[rowFrom, rowTo)`. It runs the WebAssembly SIMD pass
 * (./pillowSimd.ts) where the runtime has it, else {@link resampleRowsJs}; both give the same bytes.
 */
export function resampleRows(
  src: Bytes,
  taps: FixedTaps,
  rowFrom: number,
  rowTo: number,
  checkpoint: Checkpoint,
): Bytes {
  if (simdPillowAvailable()) return resampleRowsSimd(src, taps, rowFrom, rowTo, checkpoint);
  return resampleRowsJs(src, taps, rowFrom, rowTo, checkpoint);
}

/** {@link resampleRows} in JavaScript: the fallback, and the reference of the SIMD pass. */
export function resampleRowsJs(
  src: Bytes,
  taps: FixedTaps,
  rowFrom: number,
  rowTo: number,
  checkpoint: Checkpoint,
): Bytes {
  const c = src.channels;
  const outW = taps.first.length;
  const out: Bytes = {
    data: new Uint8Array((rowTo - rowFrom) * outW * c),
    height: rowTo - rowFrom,
    width: outW,
    channels: c,
  };
  const pass = c === 3 ? horizontalRowRgb : horizontalRowReference;
  for (let y = rowFrom; y < rowTo; y++) {
    if ((y - rowFrom) % 16 === 0) checkpoint();
    pass(src, taps, y, out.data, (y - rowFrom) * outW * c);
  }
  return out;
}

/**
 * One row `y` of the horizontal pass into `dst` from `o`, every band at once as Pillow does: the
 * source carries three bytes of padding, so reading four bands of a narrower pixel stays in bounds,
 * and the extra sums are simply not stored. {@link horizontalRowRgb} must match it bit for bit.
 */
export function horizontalRowReference(
  src: Bytes,
  taps: FixedTaps,
  y: number,
  dst: Uint8Array,
  o: number,
): void {
  const { data: pixels, width, channels: c } = src;
  const { first, count, weights, ksize } = taps;
  for (let x = 0; x < first.length; x++) {
    const kb = x * ksize;
    let s0 = HALF;
    let s1 = HALF;
    let s2 = HALF;
    let s3 = HALF;
    for (let t = 0, p = (y * width + first[x]) * c; t < count[x]; t++, p += c) {
      const w = weights[kb + t];
      s0 += pixels[p] * w;
      s1 += pixels[p + 1] * w;
      s2 += pixels[p + 2] * w;
      s3 += pixels[p + 3] * w;
    }
    dst[o++] = clip8(s0);
    if (c > 1) dst[o++] = clip8(s1);
    if (c > 2) dst[o++] = clip8(s2);
    if (c > 3) dst[o++] = clip8(s3);
  }
}

/**
 * {@link horizontalRowReference} for three bands: three sums per output pixel in one loop over the
 * taps, each band's products added in the same order, with no unused fourth sum and no band tests.
 */
export function horizontalRowRgb(src: Bytes, taps: FixedTaps, y: number, dst: Uint8Array, o: number): void {
  const { data: pixels, width } = src;
  const { first, count, weights, ksize } = taps;
  for (let x = 0; x < first.length; x++) {
    const kb = x * ksize;
    let s0 = HALF;
    let s1 = HALF;
    let s2 = HALF;
    for (let t = 0, p = (y * width + first[x]) * 3, n = count[x]; t < n; t++, p += 3) {
      const w = weights[kb + t];
      s0 += pixels[p] * w;
      s1 += pixels[p + 1] * w;
      s2 += pixels[p + 2] * w;
    }
    dst[o] = clip8(s0);
    dst[o + 1] = clip8(s1);
    dst[o + 2] = clip8(s2);
    o += 3;
  }
}

/**
 * The vertical pass for output rows `[yFrom, yTo)` (all of them by default); `rowOffset` is the first
 * source row `src` holds. The result holds those rows only. It runs the WebAssembly SIMD pass
 * (./pillowSimd.ts) where the runtime has it, else {@link resampleColumnsJs}; both give the same bytes.
 */
export function resampleColumns(
  src: Bytes,
  taps: FixedTaps,
  rowOffset: number,
  checkpoint: Checkpoint,
  yFrom = 0,
  yTo = taps.first.length,
): Bytes {
  if (simdPillowAvailable()) return resampleColumnsSimd(src, taps, rowOffset, checkpoint, yFrom, yTo);
  return resampleColumnsJs(src, taps, rowOffset, checkpoint, yFrom, yTo);
}

/** {@link resampleColumns} in JavaScript: the fallback, and the reference of the SIMD pass. */
export function resampleColumnsJs(
  src: Bytes,
  taps: FixedTaps,
  rowOffset: number,
  checkpoint: Checkpoint,
  yFrom: number,
  yTo: number,
): Bytes {
  const rowLen = src.width * src.channels;
  const out: Bytes = {
    data: new Uint8Array((yTo - yFrom) * rowLen),
    height: yTo - yFrom,
    width: src.width,
    channels: src.channels,
  };
  for (let y = yFrom; y < yTo; y++) {
    if (y % 16 === 0) checkpoint();
    verticalRow(src.data, rowLen, taps, y, rowOffset, out.data, (y - yFrom) * rowLen);
  }
  return out;
}

/**
 * Output row `y` of the vertical pass into `dst` from `o`, eight values at a time with their
 * fixed-point sums in locals, the source rows taken in tap order. The sums are exact integers, as
 * Pillow's int accumulators are, so they equal {@link verticalRowReference}'s.
 */
export function verticalRow(
  pixels: Uint8Array,
  rowLen: number,
  taps: FixedTaps,
  y: number,
  rowOffset: number,
  dst: Uint8Array,
  o: number,
): void {
  const { first, count, weights, ksize } = taps;
  const base = (first[y] - rowOffset) * rowLen;
  const kb = y * ksize;
  const n = count[y];
  let i = 0;
  for (; i + 8 <= rowLen; i += 8) {
    let s0 = HALF;
    let s1 = HALF;
    let s2 = HALF;
    let s3 = HALF;
    let s4 = HALF;
    let s5 = HALF;
    let s6 = HALF;
    let s7 = HALF;
    for (let t = 0, p = base + i; t < n; t++, p += rowLen) {
      const w = weights[kb + t];
      s0 += pixels[p] * w;
      s1 += pixels[p + 1] * w;
      s2 += pixels[p + 2] * w;
      s3 += pixels[p + 3] * w;
      s4 += pixels[p + 4] * w;
      s5 += pixels[p + 5] * w;
      s6 += pixels[p + 6] * w;
      s7 += pixels[p + 7] * w;
    }
    dst[o + i] = clip8(s0);
    dst[o + i + 1] = clip8(s1);
    dst[o + i + 2] = clip8(s2);
    dst[o + i + 3] = clip8(s3);
    dst[o + i + 4] = clip8(s4);
    dst[o + i + 5] = clip8(s5);
    dst[o + i + 6] = clip8(s6);
    dst[o + i + 7] = clip8(s7);
  }
  for (; i < rowLen; i++) {
    let s = HALF;
    for (let t = 0, p = base + i; t < n; t++, p += rowLen) s += pixels[p] * weights[kb + t];
    dst[o + i] = clip8(s);
  }
}

/** Output row `y` of the vertical pass, one source row at a time over the whole row: the reference. */
export function verticalRowReference(
  pixels: Uint8Array,
  rowLen: number,
  taps: FixedTaps,
  y: number,
  rowOffset: number,
  dst: Uint8Array,
  o: number,
): void {
  const { first, count, weights, ksize } = taps;
  const acc = new Float64Array(rowLen).fill(HALF);
  for (let t = 0; t < count[y]; t++) {
    const w = weights[y * ksize + t];
    const from = (first[y] - rowOffset + t) * rowLen;
    for (let i = 0; i < rowLen; i++) acc[i] += pixels[from + i] * w;
  }
  for (let i = 0; i < rowLen; i++) dst[o + i] = clip8(acc[i]);
}
