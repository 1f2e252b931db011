/**
 * comfy.utils.bislerp: bilinear resizing where each pair of neighbouring pixels is combined by a
 * spherical interpolation of their channel vectors (direction slerped, length lerped), first along
 * width, then along height. The neighbour indices and ratios come from bilinearly resizing an index
 * ramp in float32 and truncating, quirks included, so they are computed the same way here.
 */
import { linearTaps } from './resampleTaps';
import type { Checkpoint, PixelGrid } from './resampleTorch';
import { sharedFloats } from './tensor';

const f32 = Math.fround;
/** `1 - 1e-5` and `1e-5 - 1` as float32, the thresholds torch compares the float32 dot product with. */
const NEAR_ONE = f32(1 - 1e-5);
const NEAR_MINUS_ONE = f32(1e-5 - 1);

/** Per output index: the two source indices and the ratio between them. */
interface SlerpTaps {
  readonly first: Int32Array;
  readonly second: Int32Array;
  readonly ratio: Float32Array;
}

/**
 * `generate_bilinear_data`: resizes the ramps `[0, 1, .., n-1]` and `[1, 2, .., n-1, n-1]` bilinearly
 * (channels-last float32 arithmetic), truncates them to indices and keeps the fraction of the first.
 */
function slerpTaps(oldLen: number, newLen: number): SlerpTaps {
  const taps = linearTaps(oldLen, newLen);
  const first = new Int32Array(newLen);
  const second = new Int32Array(newLen);
  const ratio = new Float32Array(newLen);
  const ramp2 = (i: number): number => Math.min(i + 1, oldLen - 1);
  for (let i = 0; i < newLen; i++) {
    const v1 = f32(f32(taps.i0[i] * taps.l0[i]) + f32(taps.i1[i] * taps.l1[i]));
    const v2 = f32(f32(ramp2(taps.i0[i]) * taps.l0[i]) + f32(ramp2(taps.i1[i]) * taps.l1[i]));
    ratio[i] = v1 - Math.floor(v1);
    first[i] = Math.trunc(v1);
    second[i] = Math.trunc(v2);
  }
  return { first, second, ratio };
}

/** Scratch vectors reused for every pixel so the inner loop allocates nothing. */
interface Scratch {
  a: Float32Array;
  b: Float32Array;
}

/** The float32 Euclidean norm of `c` values from `at`. */
function norm(src: Float32Array, at: number, c: number): number {
  let s = 0;
  for (let k = 0; k < c; k++) s = f32(s + f32(src[at + k] * src[at + k]));
  return f32(Math.sqrt(s));
}

/** The slerp of two channel vectors of `src` at ratio r, written to `dst` at `to`. */
function slerp(
  src: Float32Array,
  p1: number,
  p2: number,
  r: number,
  dst: Float32Array,
  to: number,
  c: number,
  s: Scratch,
): void {
  const n1 = norm(src, p1, c);
  const n2 = norm(src, p2, c);
  let dot = 0;
  for (let k = 0; k < c; k++) {
    s.a[k] = n1 === 0 ? 0 : src[p1 + k] / n1;
    s.b[k] = n2 === 0 ? 0 : src[p2 + k] / n2;
    dot = f32(dot + f32(s.a[k] * s.b[k]));
  }
  const q = f32(1 - r);
  if (dot > NEAR_ONE) {
    for (let k = 0; k < c; k++) dst[to + k] = src[p1 + k];
  } else if (dot < NEAR_MINUS_ONE) {
    for (let k = 0; k < c; k++) dst[to + k] = f32(src[p1 + k] * q) + f32(src[p2 + k] * r);
  } else {
    const omega = f32(Math.acos(dot));
    const so = f32(Math.sin(omega));
    const w1 = f32(f32(Math.sin(f32(q * omega))) / so);
    const w2 = f32(f32(Math.sin(f32(r * omega))) / so);
    const length = f32(f32(n1 * q) + f32(n2 * r));
    for (let k = 0; k < c; k++) dst[to + k] = f32(f32(w1 * s.a[k]) + f32(w2 * s.b[k])) * length;
  }
}

/** One slerp pass along width (`alongWidth`) or height, from `src` (h x w per element) to a new array. */
function slerpPass(
  src: Float32Array,
  shape: { count: number; height: number; width: number; channels: number },
  taps: SlerpTaps,
  alongWidth: boolean,
  checkpoint: Checkpoint,
): Float32Array {
  const { count, height, width, channels: c } = shape;
  const outH = alongWidth ? height : taps.first.length;
  const outW = alongWidth ? taps.first.length : width;
  const out = sharedFloats(count * outH * outW * c);
  const scratch: Scratch = { a: new Float32Array(c), b: new Float32Array(c) };
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < outH; y++) {
      if (y % 16 === 0) checkpoint();
      for (let x = 0; x < outW; x++) {
        const t = alongWidth ? x : y;
        const p1 = alongWidth
          ? (n * height + y) * width + taps.first[t]
          : (n * height + taps.first[t]) * width + x;
        const p2 = alongWidth
          ? (n * height + y) * width + taps.second[t]
          : (n * height + taps.second[t]) * width + x;
        slerp(src, p1 * c, p2 * c, taps.ratio[t], out, ((n * outH + y) * outW + x) * c, c, scratch);
      }
    }
  }
  return out;
}

/** comfy.utils.bislerp on a grid: a slerp pass along width, then one along height. */
export function resizeBislerp(
  grid: PixelGrid,
  outH: number,
  outW: number,
  checkpoint: Checkpoint = () => undefined,
): Float32Array {
  const wide = slerpPass(grid.data, grid, slerpTaps(grid.width, outW), true, checkpoint);
  return slerpPass(wide, { ...grid, width: outW }, slerpTaps(grid.height, outH), false, checkpoint);
}
