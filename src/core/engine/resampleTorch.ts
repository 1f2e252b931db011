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
import { areaRow } from './areaRows';
import { forEachElementRows } from './rowBands';
import { bilinearRow, cubicHeightRow, cubicWidthRow } from './torchRows';
import { sharedFloats } from './tensor';
import { NodeException } from './types';

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
 * channels-last): four float32 corner weights, then `x00*w00 + x01*w01 + x10*w10 + x11*w11`
 * (torchRows.ts).
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
  const taps = linearTaps(width, outW);
  let o = from * outW * c;
  forEachElementRows(from, to, outH, (n, y0, y1) => {
    for (let y = y0; y < y1; y++, o += outW * c) {
      if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
      const r0 = (n * height + rt.i0[y]) * width;
      const r1 = (n * height + rt.i1[y]) * width;
      bilinearRow(data, { r0, r1, h0: rt.l0[y], h1: rt.l1[y] }, taps, c, out, o);
    }
  });
}

/** Output rows whose width-pass rows bicubic keeps at once: enough to stay in a core's cache. */
const CUBIC_CHUNK_ROWS = 32;

/**
 * The width-pass rows of source rows `[first, last]` of one grid element in `rows.tmp`, reusing those
 * the previous chunk left (the taps ascend, so a chunk starts at or after the previous one's start).
 */
interface WidthRows {
  tmp: Float32Array;
  first: number;
  last: number;
}

function widthRowsFor(
  grid: PixelGrid,
  n: number,
  ct: CubicTaps,
  rows: WidthRows,
  first: number,
  last: number,
) {
  const rowLen = (ct.index.length / 4) * grid.channels;
  const keep = rows.last >= first ? rows.last - first + 1 : 0;
  if (rows.tmp.length < (last - first + 1) * rowLen) {
    const grown = new Float32Array((last - first + 1) * rowLen);
    grown.set(rows.tmp.subarray((first - rows.first) * rowLen, (rows.last - rows.first + 1) * rowLen));
    rows.tmp = grown;
  } else if (keep > 0)
    rows.tmp.copyWithin(0, (first - rows.first) * rowLen, (rows.last - rows.first + 1) * rowLen);
  for (let y = first + keep; y <= last; y++)
    cubicWidthRow(
      grid.data,
      (n * grid.height + y) * grid.width,
      ct,
      grid.channels,
      rows.tmp,
      (y - first) * rowLen,
    );
  rows.first = first;
  rows.last = last;
}

/**
 * bicubic. torch's generic kernel sums over width inside and over height outside, so doing the width
 * sums of every source row the output rows read first (one pass) and then the height sums (a second
 * pass) is the same arithmetic, in a fraction of the time. The passes go a chunk of output rows at a
 * time, so that the width sums are read back from cache; each is computed once, as before.
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
    const rows: WidthRows = { tmp: new Float32Array(0), first: 0, last: -1 };
    for (let c0 = y0; c0 < y1; c0 += CUBIC_CHUNK_ROWS) {
      const c1 = Math.min(y1, c0 + CUBIC_CHUNK_ROWS);
      checkpoint();
      // The taps are clamped and ascend, so the chunk reads source rows [first, last].
      const first = index[c0 * 4];
      widthRowsFor(grid, n, ct, rows, first, index[(c1 - 1) * 4 + 3]);
      for (let y = c0, j = c0 * 4; y < c1; y++, j += 4) {
        const row = {
          q0: (index[j] - first) * rowLen,
          q1: (index[j + 1] - first) * rowLen,
          q2: (index[j + 2] - first) * rowLen,
          q3: (index[j + 3] - first) * rowLen,
          w0: weight[j],
          w1: weight[j + 1],
          w2: weight[j + 2],
          w3: weight[j + 3],
        };
        cubicHeightRow(rows.tmp, row, rowLen, out, (n * outH + y) * rowLen);
      }
    }
  });
}

/** area: the float32 mean of each adaptive-pool window, summed row by row, then `/ kh / kw` (areaRows.ts). */
function resizeArea(
  grid: PixelGrid,
  outH: number,
  outW: number,
  { out, from, to }: RowTarget,
  checkpoint: Checkpoint,
): void {
  const { data, height, width, channels: c } = grid;
  const rw = poolWindows(height, outH);
  const cols = poolWindows(width, outW);
  const stride = width * c;
  let o = from * outW * c;
  forEachElementRows(from, to, outH, (n, ya, yb) => {
    for (let y = ya; y < yb; y++, o += outW * c) {
      if (y % ROWS_PER_CHECKPOINT === 0) checkpoint();
      const row = { top: (n * height + rw.start[y]) * stride, kh: rw.end[y] - rw.start[y], stride };
      areaRow(data, row, cols, c, out, o);
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
