/**
 * PNG scanline filtering (spec section 9) and Adam7 de-interlacing: the pixel-level halves of the PNG
 * decoder and encoder in pngCodec.ts.
 */

/** The IHDR fields that shape the pixel data. */
export interface PngLayout {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** Samples per pixel: 1 (grey, palette), 2 (grey+alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** True for Adam7 interlacing. */
  interlaced: boolean;
}

/** A pass of the image: its first column and row and its column and row steps. */
type Pass = readonly [x0: number, y0: number, dx: number, dy: number];

const WHOLE: Pass = [0, 0, 1, 1];
const ADAM7: readonly Pass[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Turns the inflated IDAT stream into one unscaled sample per channel per pixel, row-major: a
 * Uint16Array for 16-bit images, else a Uint8Array (sub-byte samples unpacked, not scaled). Throws
 * RangeError when the stream is too short or holds an unknown filter type. `onRow` is called before
 * each scanline, so a caller can interrupt a long decode.
 */
export function unfilterImage(
  raw: Uint8Array,
  layout: PngLayout,
  onRow?: () => void,
): Uint8Array | Uint16Array {
  const { width, height, depth, channels } = layout;
  const out =
    depth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  let offset = 0;
  for (const pass of layout.interlaced ? ADAM7 : [WHOLE]) {
    const passWidth = Math.ceil((width - pass[0]) / pass[2]);
    const passHeight = Math.ceil((height - pass[1]) / pass[3]);
    if (passWidth <= 0 || passHeight <= 0) continue;
    offset = unfilterPass(raw, offset, { layout, out, pass, passWidth, passHeight }, onRow);
  }
  return out;
}

interface PassTarget {
  layout: PngLayout;
  out: Uint8Array | Uint16Array;
  pass: Pass;
  passWidth: number;
  passHeight: number;
}

/** Unfilters one (sub-)image starting at `offset` and scatters its samples; returns the end offset. */
function unfilterPass(raw: Uint8Array, offset: number, t: PassTarget, onRow?: () => void): number {
  const { channels, depth } = t.layout;
  const rowBytes = Math.ceil((t.passWidth * channels * depth) / 8);
  // Filters work on whole bytes: a pixel narrower than a byte counts as one byte.
  const bpp = Math.max(1, (channels * depth) >> 3);
  let prev = new Uint8Array(rowBytes);
  let cur = new Uint8Array(rowBytes);
  for (let y = 0; y < t.passHeight; y++) {
    onRow?.();
    if (offset + 1 + rowBytes > raw.length) throw new RangeError('image file is truncated');
    unfilterRow(raw[offset], raw.subarray(offset + 1, offset + 1 + rowBytes), prev, cur, bpp);
    offset += rowBytes + 1;
    scatterRow(cur, t, t.pass[1] + y * t.pass[3]);
    [prev, cur] = [cur, prev];
  }
  return offset;
}

function unfilterRow(type: number, src: Uint8Array, prev: Uint8Array, cur: Uint8Array, bpp: number): void {
  const n = src.length;
  switch (type) {
    case 0:
      cur.set(src);
      return;
    case 1:
      for (let i = 0; i < n; i++) cur[i] = src[i] + (i >= bpp ? cur[i - bpp] : 0);
      return;
    case 2:
      for (let i = 0; i < n; i++) cur[i] = src[i] + prev[i];
      return;
    case 3:
      for (let i = 0; i < n; i++) cur[i] = src[i] + (((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        cur[i] = src[i] + paeth(i >= bpp ? cur[i - bpp] : 0, prev[i], i >= bpp ? prev[i - bpp] : 0);
      }
      return;
    default:
      throw new RangeError(`unknown PNG filter type ${type}`);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Unpacks one unfiltered pass row into the full image at row `y`. */
function scatterRow(row: Uint8Array, t: PassTarget, y: number): void {
  const { width, channels, depth } = t.layout;
  const [x0, , dx] = t.pass;
  for (let px = 0; px < t.passWidth; px++) {
    const base = (y * width + x0 + px * dx) * channels;
    for (let c = 0; c < channels; c++) t.out[base + c] = readSample(row, px * channels + c, depth);
  }
}

function readSample(row: Uint8Array, index: number, depth: number): number {
  if (depth === 8) return row[index];
  if (depth === 16) return (row[index * 2] << 8) | row[index * 2 + 1];
  const bit = index * depth;
  return (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

/** Pillow's filter trial order: none, up, sub, Paeth (average only when optimising, which ComfyUI does not). */
const TRIAL_ORDER = [0, 2, 1, 4] as const;

/**
 * Filters `height` rows of `rowBytes` bytes for the encoder as Pillow's ZipEncode.c does: per row, the
 * first filter in {@link TRIAL_ORDER} with the smallest sum of absolute signed bytes, stopping early
 * once a sum is 0. Returns the rows each prefixed with its filter type byte.
 */
export function filterImage(
  data: Uint8Array,
  rowBytes: number,
  height: number,
  bpp: number,
  onRow?: () => void,
): Uint8Array {
  const out = new Uint8Array(height * (rowBytes + 1));
  const candidates = Array.from({ length: 5 }, () => new Uint8Array(rowBytes));
  let prev: Uint8Array = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    onRow?.();
    const cur = data.subarray(y * rowBytes, (y + 1) * rowBytes);
    let best = 0;
    let bestCost = Infinity;
    for (const type of TRIAL_ORDER) {
      const cost = filterRow(type, cur, prev, candidates[type], bpp);
      if (cost < bestCost) [best, bestCost] = [type, cost];
      if (bestCost === 0) break;
    }
    out[y * (rowBytes + 1)] = best;
    out.set(candidates[best], y * (rowBytes + 1) + 1);
    prev = cur;
  }
  return out;
}

/** Writes row `cur` filtered with `type` into `dst`; returns the sum of its bytes read as signed. */
function filterRow(type: number, cur: Uint8Array, prev: Uint8Array, dst: Uint8Array, bpp: number): number {
  let cost = 0;
  for (let i = 0; i < cur.length; i++) {
    const a = i >= bpp ? cur[i - bpp] : 0;
    const predictor =
      type === 0
        ? 0
        : type === 1
          ? a
          : type === 2
            ? prev[i]
            : paeth(a, prev[i], i >= bpp ? prev[i - bpp] : 0);
    const v = (cur[i] - predictor) & 0xff;
    dst[i] = v;
    cost += v < 128 ? v : 256 - v;
  }
  return cost;
}
