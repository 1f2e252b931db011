/**
 * One output row of torch 1.13's area interpolation (adaptive_avg_pool2d, resampleTorch.ts), in two
 * forms: the plain reference, which sums each channel's window on its own, and the form the engine
 * runs, which walks each window once with every channel's sum in a local. Each channel's sum takes the
 * same values in the same order in both (rows top to bottom, pixels left to right, float32 after every
 * addition), so they give the same bits; property tests check it.
 */

const f32 = Math.fround;

/** adaptive_avg_pool2d's windows along one axis: output `i` averages `[start[i], end[i])`. */
export interface PoolWindows {
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** Where an area output row reads: its windows' first source row, their height and the row stride. */
export interface AreaRow {
  /** Index in the source data of the first value of the windows' top source row. */
  readonly top: number;
  /** Source rows in each window of this output row. */
  readonly kh: number;
  /** Values per source row (width * channels). */
  readonly stride: number;
}

/** One area output row, plain: per pixel and channel the float32 sum, then `sum / kh / kw`. */
export function areaRowReference(
  data: Float32Array,
  row: AreaRow,
  cols: PoolWindows,
  c: number,
  out: Float32Array,
  o: number,
): void {
  const { top, kh, stride } = row;
  const { start: x0, end: x1 } = cols;
  for (let x = 0; x < x0.length; x++) {
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

/** {@link areaRowReference}'s values, each window walked once for 1, 3 and 4 channels. */
export function areaRow(
  data: Float32Array,
  row: AreaRow,
  cols: PoolWindows,
  c: number,
  out: Float32Array,
  o: number,
): void {
  if (c === 3) areaRow3(data, row, cols, out, o);
  else if (c === 4) areaRow4(data, row, cols, out, o);
  else if (c === 1) areaRow1(data, row, cols, out, o);
  else areaRowReference(data, row, cols, c, out, o);
}

function areaRow1(data: Float32Array, row: AreaRow, cols: PoolWindows, out: Float32Array, o: number): void {
  const { top, kh, stride } = row;
  const { start: x0, end: x1 } = cols;
  for (let x = 0; x < x0.length; x++) {
    const kw = x1[x] - x0[x];
    let s = 0;
    for (let iy = 0, r = top + x0[x]; iy < kh; iy++, r += stride) {
      for (let p = r; p < r + kw; p++) s = f32(s + data[p]);
    }
    out[o + x] = f32(s / kh) / kw;
  }
}

function areaRow3(data: Float32Array, row: AreaRow, cols: PoolWindows, out: Float32Array, o: number): void {
  const { top, kh, stride } = row;
  const { start: x0, end: x1 } = cols;
  for (let x = 0; x < x0.length; x++, o += 3) {
    const kw = x1[x] - x0[x];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let iy = 0, r = top + x0[x] * 3; iy < kh; iy++, r += stride) {
      for (let p = r, end = r + kw * 3; p < end; p += 3) {
        s0 = f32(s0 + data[p]);
        s1 = f32(s1 + data[p + 1]);
        s2 = f32(s2 + data[p + 2]);
      }
    }
    out[o] = f32(s0 / kh) / kw;
    out[o + 1] = f32(s1 / kh) / kw;
    out[o + 2] = f32(s2 / kh) / kw;
  }
}

function areaRow4(data: Float32Array, row: AreaRow, cols: PoolWindows, out: Float32Array, o: number): void {
  const { top, kh, stride } = row;
  const { start: x0, end: x1 } = cols;
  for (let x = 0; x < x0.length; x++, o += 4) {
    const kw = x1[x] - x0[x];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let iy = 0, r = top + x0[x] * 4; iy < kh; iy++, r += stride) {
      for (let p = r, end = r + kw * 4; p < end; p += 4) {
        s0 = f32(s0 + data[p]);
        s1 = f32(s1 + data[p + 1]);
        s2 = f32(s2 + data[p + 2]);
        s3 = f32(s3 + data[p + 3]);
      }
    }
    out[o] = f32(s0 / kh) / kw;
    out[o + 1] = f32(s1 / kh) / kw;
    out[o + 2] = f32(s2 / kh) / kw;
    out[o + 3] = f32(s3 / kh) / kw;
  }
}
