/**
 * Where torch 1.13's CPU interpolation kernels read from: per output row or column, the source indices
 * and float32 weights of nearest-exact, bilinear and bicubic (align_corners=False), and the windows of
 * adaptive average pooling. Each is computed once per output index, rounding to float32 where torch
 * stores a float, so the kernels in resampleTorch.ts only gather and sum.
 */

const f32 = Math.fround;

/** torch's `area_pixel_compute_scale` with align_corners=False: 0 for a one-pixel output, else in/out. */
function pixelScale(inSize: number, outSize: number): number {
  return outSize > 1 ? f32(inSize / outSize) : 0;
}

/** torch's `area_pixel_compute_source_index`: the float32 source coordinate of an output pixel centre. */
function sourceIndex(scale: number, dst: number): number {
  // torch evaluates `scale * (dst + 0.5) - 0.5` in double (the 0.5 literals) and stores it as float.
  return f32(scale * (dst + 0.5) - 0.5);
}

/** The source index of each output index for nearest-exact. */
export function nearestExactIndices(inSize: number, outSize: number): Int32Array {
  const scale = f32(inSize / outSize);
  const idx = new Int32Array(outSize);
  // floorf() receives the double product converted to float, hence the fround before the floor.
  for (let i = 0; i < outSize; i++) idx[i] = Math.min(Math.floor(f32((i + 0.5) * scale)), inSize - 1);
  return idx;
}

/** The two source indices and weights of each output index for bilinear. */
export interface LinearTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly l0: Float32Array;
  readonly l1: Float32Array;
}

/** torch's `compute_source_index_and_lambda` for every output index. */
export function linearTaps(inSize: number, outSize: number): LinearTaps {
  const taps = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    l0: new Float32Array(outSize),
    l1: new Float32Array(outSize),
  };
  const scale = pixelScale(inSize, outSize);
  for (let i = 0; i < outSize; i++) {
    if (inSize === outSize) {
      taps.i0[i] = taps.i1[i] = i;
      taps.l0[i] = 1;
      continue;
    }
    const real = Math.max(0, sourceIndex(scale, i));
    const i0 = Math.trunc(real);
    taps.i0[i] = i0;
    taps.i1[i] = i0 < inSize - 1 ? i0 + 1 : i0;
    taps.l1[i] = real - i0;
    taps.l0[i] = 1 - taps.l1[i];
  }
  return taps;
}

/** `cubic_convolution1` with A = -0.75, for |x| <= 1, each step in float32. */
function cubicNear(x: number): number {
  return f32(f32(f32(f32(f32(1.25 * x) - 2.25) * x) * x) + 1);
}

/** `cubic_convolution2` with A = -0.75, for 1 <= |x| <= 2, each step in float32. */
function cubicFar(x: number): number {
  return f32(f32(f32(f32(f32(f32(-0.75 * x) + 3.75) * x) - 6) * x) + 3);
}

/** Four clamped source indices and float32 weights per output index, flattened as `[out * 4 + tap]`. */
export interface CubicTaps {
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

/** torch's bicubic taps: four neighbours around floor(src), clamped to the border, A = -0.75. */
export function cubicTaps(inSize: number, outSize: number): CubicTaps {
  const index = new Int32Array(outSize * 4);
  const weight = new Float32Array(outSize * 4);
  const scale = pixelScale(inSize, outSize);
  for (let i = 0; i < outSize; i++) {
    const real = sourceIndex(scale, i);
    const base = Math.floor(real);
    const t = f32(real - base);
    const t2 = f32(1 - t);
    weight[i * 4] = cubicFar(f32(t + 1));
    weight[i * 4 + 1] = cubicNear(t);
    weight[i * 4 + 2] = cubicNear(t2);
    weight[i * 4 + 3] = cubicFar(f32(t2 + 1));
    for (let j = 0; j < 4; j++) index[i * 4 + j] = Math.max(0, Math.min(base - 1 + j, inSize - 1));
  }
  return { index, weight };
}

/** adaptive_avg_pool2d's window of each output index: `[floor(i*in/out), ceil((i+1)*in/out))`. */
export function poolWindows(inSize: number, outSize: number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    // torch divides in float: `(float)(a * c) / b`.
    start[i] = Math.floor(f32(f32(i * inSize) / outSize));
    end[i] = Math.ceil(f32(f32((i + 1) * inSize) / outSize));
  }
  return { start, end };
}
