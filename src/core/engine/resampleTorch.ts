/**
 * torch 1.13's `F.interpolate` on CPU float32, for the modes ComfyUI uses: nearest-exact, bilinear and
 * bicubic (align_corners=False, antialias=False) and area (which torch runs as adaptive_avg_pool2d).
 *
 * Each arithmetic step is rounded to float32 with Math.fround in the order torch's kernels evaluate it,
 * because SaveImage truncates `255 * x` and a value one ulp under an integer loses a whole level.
 * Against the ComfyUI 0.8.0 corpus nearest-exact and area are bit-exact; bilinear and bicubic still
 * land one ulp away in a few percent of values (seen as 1/255 steps after SaveImage), from an
 * arithmetic detail of the reference build not yet pinned down. Taps come from resampleTaps.ts.
 */
import { cubicTaps, linearTaps, nearestExactIndices, poolWindows, type CubicTaps } from './resampleTaps';
import { forEachElementRows } from './rowBands';
import { sharedFloats } from './tensor';
import { NodeException } from './types';

const f32 = Math.fround;

/**
 * `count` same-sized grids of height x width pixels, each pixel `channels` interleaved float32 values.
 * An IMAGE is one as it stands (count = batch); a MASK is one with a single channel.
 */
export interface PixelGrid {
  readonly data: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Called every few output rows so that a long resize can be interrupted. */
export type Checkpoint = () => void;

/** The `mode` values of `F.interpolate` this module implements. */
export type TorchMode = 'nearest-exact' | 'bilinear' | 'bicubic' | 'area';

/** Output rows between two checkpoints. */
const ROWS_PER_CHECKPOINT = 16;

/** Checks sizes as torch's upsample shape checks do, with the same message. */
export function checkInterpolateSizes(grid: PixelGrid, outH: number, outW: number): void {
  if (grid.height > 0 && grid.width > 0 && outH > 0 && outW > 0) return;
  throw new NodeException(
    'RuntimeError',
    `Input and output sizes should be greater than 0, but got input (H: ${grid.height}, W: ${grid.width}) ` +
      `output (H: ${outH}, W: ${outW})`,
  );
}

/** Where a resize writes: `out` (the whole output's layout) and the flat output rows `[from, to)`. */
interface RowTarget {
  readonly out: Float32Array;
  readonly from: number;
  readonly to: number;
}

/** nearest-exact: each output pixel copies the source pixel under its centre. */
function resizeNearestExact(
  grid: PixelGrid,
  outH: number,
  outW: number,
  { out, from, to }: RowTarget,
  checkpoint: Checkpoint,
): void {
  const { data, height, width, channels: c } = grid;
  const rows = nearestExactIndices(height, outH);
  const cols = nearestExactIndices(width, outW);
  const rowLen = outW * c;
  forEachElementRows(from, to, outH, (n, y0, y1) => {
    for (let y = y0, o = (n * outH + y0) * rowLen; y < y1; y++, o += rowLen) {
      if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
      // An upscale repeats source rows; copying the finished output row is cheaper than gathering.
      if (y > y0 && rows[y] === rows[y - 1]) {
        out.copyWithin(o, o - rowLen, o);
        continue;
      }
      const row = (n * height + rows[y]) * width;
      for (let x = 0, i = o; x < outW; x++) {
        const s = (row + cols[x]) * c;
        for (let k = 0; k < c; k++) out[i++] = data[s + k];
      }
    }
  });
}

/**
 * bilinear as torch 1.13's channels-last kernel computes it (ComfyUI's `movedim(-1, 1)` view is
 * channels-last): four float32 corner weights, then `x00*w00 + x01*w01 + x10*w10 + x11*w11`.
 */
function resizeBilinear(
  grid: PixelGrid,
  outH: number,
  outW: number,
  { out, from, to }: RowTarget,
  checkpoint: Checkpoint,
): void {
  const { data, height, width, channels: c } = grid;
  const rt = linearTaps(height, outH);
  const { i0, i1, l0, l1 } = linearTaps(width, outW);
  let o = from * outW * c;
  forEachElementRows(from, to, outH, (n, y0, y1) => {
    for (let y = y0; y < y1; y++) {
      if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
      const r0 = (n * height + rt.i0[y]) * width;
      const r1 = (n * height + rt.i1[y]) * width;
      const h0 = rt.l0[y];
      const h1 = rt.l1[y];
      for (let x = 0; x < outW; x++) {
        const w00 = f32(h0 * l0[x]);
        const w01 = f32(h0 * l1[x]);
        const w10 = f32(h1 * l0[x]);
        const w11 = f32(h1 * l1[x]);
        const p00 = (r0 + i0[x]) * c;
        const p01 = (r0 + i1[x]) * c;
        const p10 = (r1 + i0[x]) * c;
        const p11 = (r1 + i1[x]) * c;
        for (let k = 0; k < c; k++) {
          const a = f32(f32(data[p00 + k] * w00) + f32(data[p01 + k] * w01));
          out[o++] = f32(f32(a + f32(data[p10 + k] * w10)) + f32(data[p11 + k] * w11));
        }
      }
    }
  });
}

/** A four-tap float32 dot product in torch's order: `((t0*w0 + t1*w1) + t2*w2) + t3*w3`. */
function dot4(
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): number {
  const a = f32(f32(v0 * w0) + f32(v1 * w1));
  return f32(f32(a + f32(v2 * w2)) + f32(v3 * w3));
}

/** The width pass of bicubic for rows `[y0, y1)` of grid element n, into `tmp` ((y1 - y0) x outW). */
function cubicRows(
  grid: PixelGrid,
  n: number,
  ct: CubicTaps,
  rows: { y0: number; y1: number; tmp: Float32Array },
  checkpoint: Checkpoint,
): void {
  const { data, height, width, channels: c } = grid;
  const { index, weight } = ct;
  const { y0, y1, tmp } = rows;
  const outW = index.length / 4;
  let t = 0;
  for (let y = y0; y < y1; y++) {
    if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
    const row = (n * height + y) * width;
    for (let x = 0, j = 0; x < outW; x++, j += 4) {
      const w0 = weight[j];
      const w1 = weight[j + 1];
      const w2 = weight[j + 2];
      const w3 = weight[j + 3];
      const p0 = (row + index[j]) * c;
      const p1 = (row + index[j + 1]) * c;
      const p2 = (row + index[j + 2]) * c;
      const p3 = (row + index[j + 3]) * c;
      for (let k = 0; k < c; k++)
        tmp[t++] = dot4(data[p0 + k], data[p1 + k], data[p2 + k], data[p3 + k], w0, w1, w2, w3);
    }
  }
}

/**
 * bicubic. torch's generic kernel sums over width inside and over height outside, so doing the width
 * sums of every source row the output rows read first (one pass) and then the height sums (a second
 * pass) is the same arithmetic, in a fraction of the time.
 */
function resizeBicubic(
  grid: PixelGrid,
  outH: number,
  outW: number,
  { out, from, to }: RowTarget,
  checkpoint: Checkpoint,
): void {
  const rt = cubicTaps(grid.height, outH);
  const ct = cubicTaps(grid.width, outW);
  const rowLen = outW * grid.channels;
  const { index, weight } = rt;
  forEachElementRows(from, to, outH, (n, y0, y1) => {
    // The taps are clamped and ascend, so the band reads source rows [first, last].
    const first = index[y0 * 4];
    const last = index[(y1 - 1) * 4 + 3];
    const tmp = new Float32Array((last - first + 1) * rowLen);
    cubicRows(grid, n, ct, { y0: first, y1: last + 1, tmp }, checkpoint);
    for (let y = y0, j = y0 * 4; y < y1; y++, j += 4) {
      if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
      const w0 = weight[j];
      const w1 = weight[j + 1];
      const w2 = weight[j + 2];
      const w3 = weight[j + 3];
      const q0 = (index[j] - first) * rowLen;
      const q1 = (index[j + 1] - first) * rowLen;
      const q2 = (index[j + 2] - first) * rowLen;
      const q3 = (index[j + 3] - first) * rowLen;
      const o = (n * outH + y) * rowLen;
      for (let i = 0; i < rowLen; i++)
        out[o + i] = dot4(tmp[q0 + i], tmp[q1 + i], tmp[q2 + i], tmp[q3 + i], w0, w1, w2, w3);
    }
  });
}

/** area: the float32 mean of each adaptive-pool window, summed row by row, then `/ kh / kw`. */
function resizeArea(
  grid: PixelGrid,
  outH: number,
  outW: number,
  { out, from, to }: RowTarget,
  checkpoint: Checkpoint,
): void {
  const { data, height, width, channels: c } = grid;
  const rw = poolWindows(height, outH);
  const { start: x0, end: x1 } = poolWindows(width, outW);
  const stride = width * c;
  let o = from * outW * c;
  forEachElementRows(from, to, outH, (n, ya, yb) => {
    for (let y = ya; y < yb; y++) {
      if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
      const kh = rw.end[y] - rw.start[y];
      const top = (n * height + rw.start[y]) * width * c;
      for (let x = 0; x < outW; x++) {
        const kw = x1[x] - x0[x];
        for (let k = 0; k < c; k++) {
          // Summed in float32, row by row, as torch's channels-last pooling loop does.
          let sum = 0;
          for (let iy = 0, r = top + x0[x] * c + k; iy < kh; iy++, r += stride) {
            for (let ix = 0, p = r; ix < kw; ix++, p += c) sum = f32(sum + data[p]);
          }
          out[o++] = f32(sum / kh) / kw;
        }
      }
    }
  });
}

/**
 * {@link torchInterpolate} into `target.out` (the whole output, allocated by the caller) for the flat
 * output rows `[target.from, target.to)` only, each value computed as in the whole resize.
 */
export function torchInterpolateRows(
  grid: PixelGrid,
  outH: number,
  outW: number,
  mode: TorchMode,
  target: RowTarget,
  checkpoint: Checkpoint = () => undefined,
): void {
  checkInterpolateSizes(grid, outH, outW);
  const resize = {
    'nearest-exact': resizeNearestExact,
    bilinear: resizeBilinear,
    bicubic: resizeBicubic,
    area: resizeArea,
  }[mode];
  resize(grid, outH, outW, target, checkpoint);
}

/**
 * `F.interpolate(x, size=(outH, outW), mode)` on a grid, returning the resized values in the same
 * layout. Throws torch's RuntimeError for empty sizes.
 */
export function torchInterpolate(
  grid: PixelGrid,
  outH: number,
  outW: number,
  mode: TorchMode,
  checkpoint: Checkpoint = () => undefined,
): Float32Array {
  checkInterpolateSizes(grid, outH, outW);
  const out = sharedFloats(grid.count * outH * outW * grid.channels);
  torchInterpolateRows(grid, outH, outW, mode, { out, from: 0, to: grid.count * outH }, checkpoint);
  return out;
}
