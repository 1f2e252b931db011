/**
 * The inner rows of torch 1.13's bilinear and bicubic `F.interpolate` (resampleTorch.ts), each in two
 * forms: the plain reference, one channel at a time in a loop, and the form the engine runs, which
 * works on whole pixels of one, three or four channels with every channel in locals. Each value in the
 * fast form is the reference's expression, the same float32 roundings in the same order, so the two
 * give the same bits (property tests check it); only the loops and loads differ.
 */
import type { CubicTaps, LinearTaps } from './resampleTaps';

const f32 = Math.fround;

/** Where a bilinear output row reads: the pixel offsets of its two source rows and their weights. */
export interface LinearRow {
  /** Pixel index of the first pixel of the upper and lower source rows. */
  readonly r0: number;
  readonly r1: number;
  /** The row's float32 weights of the upper and lower source rows. */
  readonly h0: number;
  readonly h1: number;
}

/**
 * One bilinear output row, plain: four float32 corner weights per pixel, then
 * `x00*w00 + x01*w01 + x10*w10 + x11*w11` per channel, into `out` from `o`.
 */
export function bilinearRowReference(
  data: Float32Array,
  row: LinearRow,
  taps: LinearTaps,
  c: number,
  out: Float32Array,
  o: number,
): void {
  const { r0, r1, h0, h1 } = row;
  const { i0, i1, l0, l1 } = taps;
  for (let x = 0; x < i0.length; x++) {
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

/** {@link bilinearRowReference}'s values, whole pixels at a time for 1, 3 and 4 channels. */
export function bilinearRow(
  data: Float32Array,
  row: LinearRow,
  taps: LinearTaps,
  c: number,
  out: Float32Array,
  o: number,
): void {
  if (c === 3) bilinearRow3(data, row, taps, out, o);
  else if (c === 4) bilinearRow4(data, row, taps, out, o);
  else if (c === 1) bilinearRow1(data, row, taps, out, o);
  else bilinearRowReference(data, row, taps, c, out, o);
}

function bilinearRow3(
  data: Float32Array,
  row: LinearRow,
  taps: LinearTaps,
  out: Float32Array,
  o: number,
): void {
  const { r0, r1, h0, h1 } = row;
  const { i0, i1, l0, l1 } = taps;
  for (let x = 0; x < i0.length; x++, o += 3) {
    const a0 = l0[x];
    const a1 = l1[x];
    const w00 = f32(h0 * a0);
    const w01 = f32(h0 * a1);
    const w10 = f32(h1 * a0);
    const w11 = f32(h1 * a1);
    const p00 = (r0 + i0[x]) * 3;
    const p01 = (r0 + i1[x]) * 3;
    const p10 = (r1 + i0[x]) * 3;
    const p11 = (r1 + i1[x]) * 3;
    const s0 = f32(f32(data[p00] * w00) + f32(data[p01] * w01));
    const s1 = f32(f32(data[p00 + 1] * w00) + f32(data[p01 + 1] * w01));
    const s2 = f32(f32(data[p00 + 2] * w00) + f32(data[p01 + 2] * w01));
    out[o] = f32(f32(s0 + f32(data[p10] * w10)) + f32(data[p11] * w11));
    out[o + 1] = f32(f32(s1 + f32(data[p10 + 1] * w10)) + f32(data[p11 + 1] * w11));
    out[o + 2] = f32(f32(s2 + f32(data[p10 + 2] * w10)) + f32(data[p11 + 2] * w11));
  }
}

function bilinearRow4(
  data: Float32Array,
  row: LinearRow,
  taps: LinearTaps,
  out: Float32Array,
  o: number,
): void {
  const { r0, r1, h0, h1 } = row;
  const { i0, i1, l0, l1 } = taps;
  for (let x = 0; x < i0.length; x++, o += 4) {
    const a0 = l0[x];
    const a1 = l1[x];
    const w00 = f32(h0 * a0);
    const w01 = f32(h0 * a1);
    const w10 = f32(h1 * a0);
    const w11 = f32(h1 * a1);
    const p00 = (r0 + i0[x]) * 4;
    const p01 = (r0 + i1[x]) * 4;
    const p10 = (r1 + i0[x]) * 4;
    const p11 = (r1 + i1[x]) * 4;
    const s0 = f32(f32(data[p00] * w00) + f32(data[p01] * w01));
    const s1 = f32(f32(data[p00 + 1] * w00) + f32(data[p01 + 1] * w01));
    const s2 = f32(f32(data[p00 + 2] * w00) + f32(data[p01 + 2] * w01));
    const s3 = f32(f32(data[p00 + 3] * w00) + f32(data[p01 + 3] * w01));
    out[o] = f32(f32(s0 + f32(data[p10] * w10)) + f32(data[p11] * w11));
    out[o + 1] = f32(f32(s1 + f32(data[p10 + 1] * w10)) + f32(data[p11 + 1] * w11));
    out[o + 2] = f32(f32(s2 + f32(data[p10 + 2] * w10)) + f32(data[p11 + 2] * w11));
    out[o + 3] = f32(f32(s3 + f32(data[p10 + 3] * w10)) + f32(data[p11 + 3] * w11));
  }
}

function bilinearRow1(
  data: Float32Array,
  row: LinearRow,
  taps: LinearTaps,
  out: Float32Array,
  o: number,
): void {
  const { r0, r1, h0, h1 } = row;
  const { i0, i1, l0, l1 } = taps;
  for (let x = 0; x < i0.length; x++) {
    const a0 = l0[x];
    const a1 = l1[x];
    const s = f32(f32(data[r0 + i0[x]] * f32(h0 * a0)) + f32(data[r0 + i1[x]] * f32(h0 * a1)));
    out[o + x] = f32(f32(s + f32(data[r1 + i0[x]] * f32(h1 * a0))) + f32(data[r1 + i1[x]] * f32(h1 * a1)));
  }
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

/**
 * Bicubic's width pass over one source row, plain: for each output column, the four-tap dot product of
 * its taps per channel. `row` is the pixel index of the row's first pixel; writes from `tmp[t]`.
 */
export function cubicWidthRowReference(
  data: Float32Array,
  row: number,
  ct: CubicTaps,
  c: number,
  tmp: Float32Array,
  t: number,
): void {
  const { index, weight } = ct;
  for (let j = 0; j < index.length; j += 4) {
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

/** {@link cubicWidthRowReference}'s values, whole pixels at a time for 3 and 4 channels. */
export function cubicWidthRow(
  data: Float32Array,
  row: number,
  ct: CubicTaps,
  c: number,
  tmp: Float32Array,
  t: number,
): void {
  if (c === 3) cubicWidthRow3(data, row, ct, tmp, t);
  else if (c === 4) cubicWidthRow4(data, row, ct, tmp, t);
  else cubicWidthRowReference(data, row, ct, c, tmp, t);
}

function cubicWidthRow3(data: Float32Array, row: number, ct: CubicTaps, tmp: Float32Array, t: number): void {
  const { index, weight } = ct;
  for (let j = 0; j < index.length; j += 4, t += 3) {
    const w0 = weight[j];
    const w1 = weight[j + 1];
    const w2 = weight[j + 2];
    const w3 = weight[j + 3];
    const p0 = (row + index[j]) * 3;
    const p1 = (row + index[j + 1]) * 3;
    const p2 = (row + index[j + 2]) * 3;
    const p3 = (row + index[j + 3]) * 3;
    const a0 = f32(f32(data[p0] * w0) + f32(data[p1] * w1));
    const a1 = f32(f32(data[p0 + 1] * w0) + f32(data[p1 + 1] * w1));
    const a2 = f32(f32(data[p0 + 2] * w0) + f32(data[p1 + 2] * w1));
    tmp[t] = f32(f32(a0 + f32(data[p2] * w2)) + f32(data[p3] * w3));
    tmp[t + 1] = f32(f32(a1 + f32(data[p2 + 1] * w2)) + f32(data[p3 + 1] * w3));
    tmp[t + 2] = f32(f32(a2 + f32(data[p2 + 2] * w2)) + f32(data[p3 + 2] * w3));
  }
}

function cubicWidthRow4(data: Float32Array, row: number, ct: CubicTaps, tmp: Float32Array, t: number): void {
  const { index, weight } = ct;
  for (let j = 0; j < index.length; j += 4, t += 4) {
    const w0 = weight[j];
    const w1 = weight[j + 1];
    const w2 = weight[j + 2];
    const w3 = weight[j + 3];
    const p0 = (row + index[j]) * 4;
    const p1 = (row + index[j + 1]) * 4;
    const p2 = (row + index[j + 2]) * 4;
    const p3 = (row + index[j + 3]) * 4;
    const a0 = f32(f32(data[p0] * w0) + f32(data[p1] * w1));
    const a1 = f32(f32(data[p0 + 1] * w0) + f32(data[p1 + 1] * w1));
    const a2 = f32(f32(data[p0 + 2] * w0) + f32(data[p1 + 2] * w1));
    const a3 = f32(f32(data[p0 + 3] * w0) + f32(data[p1 + 3] * w1));
    tmp[t] = f32(f32(a0 + f32(data[p2] * w2)) + f32(data[p3] * w3));
    tmp[t + 1] = f32(f32(a1 + f32(data[p2 + 1] * w2)) + f32(data[p3 + 1] * w3));
    tmp[t + 2] = f32(f32(a2 + f32(data[p2 + 2] * w2)) + f32(data[p3 + 2] * w3));
    tmp[t + 3] = f32(f32(a3 + f32(data[p2 + 3] * w2)) + f32(data[p3 + 3] * w3));
  }
}

/** Bicubic's height pass of one output row: offsets of its four width-pass rows in `tmp`, and weights. */
export interface CubicRow {
  readonly q0: number;
  readonly q1: number;
  readonly q2: number;
  readonly q3: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
}

/** Bicubic's height pass of one output row of `rowLen` values, plain, into `out` from `o`. */
export function cubicHeightRowReference(
  tmp: Float32Array,
  row: CubicRow,
  rowLen: number,
  out: Float32Array,
  o: number,
): void {
  const { q0, q1, q2, q3, w0, w1, w2, w3 } = row;
  for (let i = 0; i < rowLen; i++)
    out[o + i] = dot4(tmp[q0 + i], tmp[q1 + i], tmp[q2 + i], tmp[q3 + i], w0, w1, w2, w3);
}

/** {@link cubicHeightRowReference}'s values, four at a time. */
export function cubicHeightRow(
  tmp: Float32Array,
  row: CubicRow,
  rowLen: number,
  out: Float32Array,
  o: number,
): void {
  const { q0, q1, q2, q3, w0, w1, w2, w3 } = row;
  let i = 0;
  for (; i + 4 <= rowLen; i += 4) {
    const a0 = f32(f32(tmp[q0 + i] * w0) + f32(tmp[q1 + i] * w1));
    const a1 = f32(f32(tmp[q0 + i + 1] * w0) + f32(tmp[q1 + i + 1] * w1));
    const a2 = f32(f32(tmp[q0 + i + 2] * w0) + f32(tmp[q1 + i + 2] * w1));
    const a3 = f32(f32(tmp[q0 + i + 3] * w0) + f32(tmp[q1 + i + 3] * w1));
    out[o + i] = f32(f32(a0 + f32(tmp[q2 + i] * w2)) + f32(tmp[q3 + i] * w3));
    out[o + i + 1] = f32(f32(a1 + f32(tmp[q2 + i + 1] * w2)) + f32(tmp[q3 + i + 1] * w3));
    out[o + i + 2] = f32(f32(a2 + f32(tmp[q2 + i + 2] * w2)) + f32(tmp[q3 + i + 2] * w3));
    out[o + i + 3] = f32(f32(a3 + f32(tmp[q2 + i + 3] * w2)) + f32(tmp[q3 + i + 3] * w3));
  }
  for (; i < rowLen; i++)
    out[o + i] = dot4(tmp[q0 + i], tmp[q1 + i], tmp[q2 + i], tmp[q3 + i], w0, w1, w2, w3);
}
