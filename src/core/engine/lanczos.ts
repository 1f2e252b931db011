/**
 * ComfyUI's lanczos upscale, which leaves torch: each image is truncated to 8 bits
 * (`np.clip(255. * x, 0, 255).astype(np.uint8)`), resized by Pillow 9.4 with `Image.LANCZOS`, and read
 * back as `v / 255`. This emulates Pillow's 8-bit resampler exactly: the same double-precision filter
 * weights, turned into 22-bit fixed-point integers, a horizontal pass then a vertical pass, each
 * rounding and clipping to 8 bits. Images with alpha are premultiplied first and unpremultiplied after,
 * as `Image.resize` does for RGBA and LA.
 */
import type { Bytes, FixedTaps } from './pillowPasses';
import { PRECISION_BITS, resampleColumns, resampleRows } from './pillowPasses';
import { bytesToUnitSimd, simdPillowAvailable, unitToBytesSimd } from './pillowSimd';
import type { Checkpoint, PixelGrid } from './resampleTorch';
import { forEachElementRows } from './rowBands';
import { sharedFloats } from './tensor';
import { NodeException } from './types';

/** sin(pi x) / (pi x). */
function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's truncated-sinc lanczos filter. */
function lanczosFilter(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** One of Pillow's resampling filters: its kernel and its support in source pixels before widening. */
export interface PillowFilter {
  readonly support: number;
  kernel(x: number): number;
}

/** Pillow's LANCZOS (lanczos-3). */
const LANCZOS: PillowFilter = { support: 3, kernel: lanczosFilter };

/** Pillow's BILINEAR: the triangle filter of support 1. */
export const BILINEAR: PillowFilter = {
  support: 1,
  kernel: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0),
};

/** {@link pillowTaps} of Pillow's LANCZOS filter. */
export function lanczosTaps(inSize: number, outSize: number): FixedTaps {
  return pillowTaps(inSize, outSize, LANCZOS);
}

/** Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`, for a box of the whole input. */
export function pillowTaps(inSize: number, outSize: number, filter: PillowFilter): FixedTaps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const inverse = 1 / filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < n; x++) {
      k[x] = filter.kernel((x + xmin - center + 0.5) * inverse);
      sum += k[x];
    }
    for (let x = 0; x < n; x++) {
      const w = sum !== 0 ? k[x] / sum : k[x];
      // C's (int) cast truncates toward zero after the half is added away from zero.
      weights[i * ksize + x] = Math.trunc(
        w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS),
      );
    }
    first[i] = xmin;
    count[i] = n;
  }
  return { first, count, weights, ksize };
}

/** Pillow's ImagingResampleInner: horizontal pass on the rows the vertical pass needs, then vertical. */
function resampleBytes(
  src: Bytes,
  outH: number,
  outW: number,
  checkpoint: Checkpoint,
  filter: PillowFilter = LANCZOS,
): Bytes {
  const vertical = pillowTaps(src.height, outH, filter);
  let img = src;
  let rowOffset = 0;
  if (outW !== src.width) {
    const rowFrom = vertical.first[0];
    const rowTo = vertical.first[outH - 1] + vertical.count[outH - 1];
    img = resampleRows(src, pillowTaps(src.width, outW, filter), rowFrom, rowTo, checkpoint);
    rowOffset = rowFrom;
  }
  return outH !== src.height ? resampleColumns(img, vertical, rowOffset, checkpoint) : img;
}

/** Pillow's RGBA -> RGBa (and LA -> La): colour bands times alpha / 255, rounded its integer way. */
function premultiply(img: Bytes): void {
  const { data, channels: c } = img;
  for (let p = 0, end = img.height * img.width * c; p < end; p += c) {
    const alpha = data[p + c - 1];
    for (let k = 0; k < c - 1; k++) {
      const t = data[p + k] * alpha + 128;
      data[p + k] = ((t >> 8) + t) >> 8;
    }
  }
}

/** Pillow's RGBa -> RGBA: colour bands times 255 / alpha, truncated and clipped; alpha 0 and 255 kept. */
function unpremultiply(img: Bytes): void {
  const { data, channels: c } = img;
  for (let p = 0, end = img.height * img.width * c; p < end; p += c) {
    const alpha = data[p + c - 1];
    if (alpha === 0 || alpha === 255) continue;
    for (let k = 0; k < c - 1; k++) data[p + k] = Math.min(255, Math.floor((255 * data[p + k]) / alpha));
  }
}

/**
 * `np.clip(255. * x, 0, 255).astype(np.uint8)` of rows `[y0, y1)` of one grid element (all rows by
 * default): float32 product, then truncation.
 */
function toBytes(grid: PixelGrid, n: number, y0 = 0, y1 = grid.height): Bytes {
  const rowLen = grid.width * grid.channels;
  const size = (y1 - y0) * rowLen;
  // Three spare bytes let the horizontal pass read four bands of the last pixel.
  const data = new Uint8Array(size + 3);
  const from = (n * grid.height + y0) * rowLen;
  if (simdPillowAvailable()) unitToBytesSimd(grid.data, from, data, size);
  else unitToBytesJs(grid.data, from, data, size);
  return { data, height: y1 - y0, width: grid.width, channels: grid.channels };
}

/**
 * `dst[i] = np.clip(255. * src[from + i], 0, 255).astype(np.uint8)` for i in `[0, n)`: the float32
 * product, then truncation; the reference of the SIMD form (./pillowSimd.ts) and its fallback.
 */
export function unitToBytesJs(src: Float32Array, from: number, dst: Uint8Array, n: number): void {
  for (let i = 0, s = from; i < n; i++, s++) {
    const v = Math.fround(255 * src[s]);
    // NaN fails both tests and becomes 0, as numpy's cast does on x86.
    dst[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
}

/**
 * `out[at + i] = bytes[i] / 255` for every byte, rounded to float32: the way back from Pillow; the
 * reference of the SIMD form (./pillowSimd.ts) and its fallback.
 */
export function bytesToUnitJs(bytes: Uint8Array, out: Float32Array, at: number): void {
  for (let i = 0, o = at; i < bytes.length; i++) out[o++] = bytes[i] / 255;
}

/** Checks what `Image.fromarray` and `Image.resize` would refuse, with Python's exception types. */
export function checkLanczos(grid: PixelGrid, outH: number, outW: number): void {
  if (grid.channels < 1 || grid.channels > 4) {
    throw new NodeException('TypeError', `Cannot handle this data type: (1, 1, ${grid.channels}), |u1`);
  }
  if (outH < 1 || outW < 1) throw new NodeException('ValueError', 'height and width must be > 0');
}

/**
 * comfy.utils.lanczos on a grid: every element through 8 bits and Pillow's LANCZOS resize, back as
 * float32 `v / 255`. One channel is resized as mode L, two as LA, three as RGB and four as RGBA.
 */
export function resizeLanczos(
  grid: PixelGrid,
  outH: number,
  outW: number,
  checkpoint: Checkpoint = () => undefined,
): Float32Array {
  checkLanczos(grid, outH, outW);
  const out = sharedFloats(grid.count * outH * outW * grid.channels);
  resizeLanczosRows(grid, outH, outW, { out, from: 0, to: grid.count * outH }, checkpoint);
  return out;
}

/**
 * {@link resizeLanczos} into `target.out` for the flat output rows `[target.from, target.to)` only:
 * the source rows those rows read go through 8 bits and the horizontal pass, then the vertical pass
 * makes the band's rows, each value as in the whole resize.
 */
export function resizeLanczosRows(
  grid: PixelGrid,
  outH: number,
  outW: number,
  target: { out: Float32Array; from: number; to: number },
  checkpoint: Checkpoint = () => undefined,
): void {
  checkLanczos(grid, outH, outW);
  const { out } = target;
  const rowLen = outW * grid.channels;
  const alpha = grid.channels === 2 || grid.channels === 4;
  const vertical = pillowTaps(grid.height, outH, LANCZOS);
  forEachElementRows(target.from, target.to, outH, (n, y0, y1) => {
    let img: Bytes;
    if (outH === grid.height && outW === grid.width) {
      // Image.resize returns a plain copy, without the premultiply round trip, when the size is unchanged.
      img = toBytes(grid, n, y0, y1);
    } else {
      const sameHeight = outH === grid.height;
      const rowFrom = sameHeight ? y0 : vertical.first[y0];
      const rowTo = sameHeight ? y1 : vertical.first[y1 - 1] + vertical.count[y1 - 1];
      img = toBytes(grid, n, rowFrom, rowTo);
      if (alpha) premultiply(img);
      if (outW !== grid.width) {
        img = resampleRows(img, pillowTaps(grid.width, outW, LANCZOS), 0, img.height, checkpoint);
      }
      if (!sameHeight) img = resampleColumns(img, vertical, rowFrom, checkpoint, y0, y1);
      if (alpha) unpremultiply(img);
    }
    const bytes = img.data.subarray(0, (y1 - y0) * rowLen);
    if (simdPillowAvailable()) bytesToUnitSimd(bytes, out, (n * outH + y0) * rowLen);
    else bytesToUnitJs(bytes, out, (n * outH + y0) * rowLen);
  });
}

/**
 * Pillow's `Image.resize(size, filter)` of an 8-bit RGB (3 bands) or RGBA (4 bands) image, alpha
 * premultiplied around the resampling as Pillow does. Returns `outH * outW * channels` bytes.
 */
export function resizePillow8(
  pixels: Uint8Array,
  size: { width: number; height: number; channels: 3 | 4 },
  outH: number,
  outW: number,
  filter: PillowFilter,
): Uint8Array {
  if (outH === size.height && outW === size.width) return pixels.slice();
  // Three spare bytes let the horizontal pass read four bands of the last pixel.
  const data = new Uint8Array(pixels.length + 3);
  data.set(pixels);
  let img: Bytes = { data, height: size.height, width: size.width, channels: size.channels };
  if (size.channels === 4) premultiply(img);
  img = resampleBytes(img, outH, outW, () => undefined, filter);
  if (size.channels === 4) unpremultiply(img);
  return img.data.subarray(0, outH * outW * size.channels);
}
