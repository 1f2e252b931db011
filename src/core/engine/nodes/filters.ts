/**
 * ImageBlur and ImageSharpen as ComfyUI 0.8.0 computes them: a normalised Gaussian over a
 * `linspace(-1, 1, 2r + 1)` grid (so sigma is relative to the radius, not in pixels), reflect padding,
 * and for sharpening an unsharp mask folded into one kernel.
 *
 * The kernels are built with torch 1.13's float32 arithmetic step by step, including the order in which
 * its vectorised `sum` adds, because the normalising sum moves every weight by an ulp and SaveImage's
 * truncation to 8 bits turns such ulps into visible differences on smooth areas. With the exact kernel
 * and ../convolve.ts's exact accumulation, results are bit-identical to ComfyUI's up to
 * {@link EXACT_MAX_RADIUS}; above it a separable pass keeps large radii fast, within 1/255.
 */
import { checkReflectPad, convolve2dRows, separableConvolveRows } from '../convolve';
import { defineNode } from '../defineNode';
import { createImage } from '../tensor';
import type { BandPlan, ImageTensor, NodeContext, NodeImpl, RowBands } from '../types';

const f32 = Math.fround;

/**
 * The largest radius convolved tap by tap (bit-exact, cost (2r + 1)^2 per value); larger radii use two
 * 1-D passes (cost 2 (2r + 1)), at most one 8-bit level away from ComfyUI.
 */
export const EXACT_MAX_RADIUS = 8;

/**
 * The float32 values of `torch.linspace(-1, 1, k)`. torch computes the first half forwards from -1 and
 * the second half backwards from 1, in float32; whole blocks of 16 go through its vectorised fill, which
 * starts each 8-lane vector at the scalar value of its first element and adds multiples of the step.
 */
export function torchLinspace(k: number): Float32Array {
  const out = new Float32Array(k);
  const step = f32(2 / Math.max(1, k - 1));
  const half = Math.floor(k / 2);
  const at = (i: number): number => (i < half ? f32(-1 + f32(step * i)) : f32(1 - f32(step * (k - i - 1))));
  const vectorised = Math.floor(k / 16) * 16;
  for (let i = 0; i < k; i++) {
    const first = i - (i % 8);
    out[i] = i < vectorised ? f32(at(first) + f32((i - first) * step)) : at(i);
  }
  return out;
}

/** torch's `CeilLog2`, which gives 1 for x <= 2. */
function ceilLog2(x: number): number {
  return x <= 2 ? 1 : Math.ceil(Math.log2(x));
}

/**
 * torch's `multi_row_sum`: lane-wise float32 sums of `rows` consecutive rows of `width` floats, with a
 * cascade that moves the running sums up a level every 16 rows so long inputs lose less precision.
 */
function multiRowSum(values: Float32Array, rows: number, width: number): Float32Array {
  const levelPower = Math.max(4, Math.floor(ceilLog2(rows) / 4));
  const levelStep = 2 ** levelPower;
  const levels = [0, 1, 2, 3].map(() => new Float32Array(width));
  let i = 0;
  const addRow = (): void => {
    for (let l = 0; l < width; l++) levels[0][l] += values[i * width + l];
    i++;
  };
  while (i + levelStep <= rows) {
    for (let j = 0; j < levelStep; j++) addRow();
    for (let j = 1; j < 4; j++) {
      for (let l = 0; l < width; l++) {
        levels[j][l] += levels[j - 1][l];
        levels[j - 1][l] = 0;
      }
      if ((i & ((levelStep - 1) * 2 ** (j * levelPower))) !== 0) break;
    }
  }
  while (i < rows) addRow();
  for (let j = 1; j < 4; j++) for (let l = 0; l < width; l++) levels[0][l] += levels[j][l];
  return levels[0];
}

/**
 * The float32 result of `tensor.sum()` on a contiguous float32 tensor as torch 1.13's cascade sum
 * computes it with AVX2. From 8 values on, whole 8-float vectors are summed four at a time into four
 * vector accumulators, leftover vectors join the first and the four are added together; then the scalar
 * tail and finally the 8 lanes are added, in order, to a float that starts at 0. Shorter inputs take the
 * same four-way scheme on single floats.
 */
export function torchSum(values: Float32Array): number {
  const lanes = values.length >= 8 ? 8 : 1;
  const vectors = Math.floor(values.length / lanes);
  const rounds = Math.floor(vectors / 4);
  const acc = multiRowSum(values, rounds, 4 * lanes);
  for (let v = rounds * 4; v < vectors; v++) for (let l = 0; l < lanes; l++) acc[l] += values[v * lanes + l];
  for (let g = 1; g < 4; g++) for (let l = 0; l < lanes; l++) acc[l] += acc[g * lanes + l];
  let total = 0;
  for (let k = vectors * lanes; k < values.length; k++) total = f32(total + values[k]);
  for (let l = 0; l < lanes; l++) total = f32(total + acc[l]);
  return total;
}

/**
 * ComfyUI's `gaussian_kernel(k, sigma)`, a k x k row-major float32 kernel, every operation rounded to
 * float32 as torch does (Float32Array stores round; double results of single float32 operations round
 * to the same float32 as float32 arithmetic would).
 */
export function gaussianKernel(k: number, sigma: number): Float32Array {
  const xs = torchLinspace(k);
  // torch rounds the Python double 2 sigma^2 to float32 before dividing the float32 tensor by it.
  const denominator = f32(2 * sigma * sigma);
  const g = new Float32Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const d = f32(Math.sqrt(f32(f32(xs[i] * xs[i]) + f32(xs[j] * xs[j]))));
      g[i * k + j] = Math.exp(f32(-f32(d * d) / denominator));
    }
  }
  const sum = torchSum(g);
  for (let i = 0; i < g.length; i++) g[i] /= sum;
  return g;
}

/**
 * ImageSharpen's kernel from the Gaussian: scaled by `-(alpha * 10)` (rounded to float32), then the
 * centre tap raised by `1 - sum` so the kernel sums to about 1.
 */
export function sharpenKernel(gaussian: Float32Array, alpha: number): Float32Array {
  const kernel = new Float32Array(gaussian.length);
  const scale = f32(-(alpha * 10));
  for (let i = 0; i < kernel.length; i++) kernel[i] = gaussian[i] * scale;
  const centre = (kernel.length - 1) / 2;
  kernel[centre] = f32(f32(kernel[centre] - torchSum(kernel)) + 1);
  return kernel;
}

/** The normalised 1-D Gaussian whose outer product with itself is, to rounding, {@link gaussianKernel}. */
function gaussianWeights(k: number, sigma: number): Float64Array {
  const xs = torchLinspace(k);
  const w = Float64Array.from(xs, (x) => Math.exp(-(x * x) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/**
 * What the bands of ImageBlur and ImageSharpen need: the image and either the exact k x k kernel or,
 * above {@link EXACT_MAX_RADIUS}, the 1-D weights and the sharpening terms (scale and centre extra;
 * for a blur, 1 and 0 are not applied).
 */
interface FilterArgs {
  image: ImageTensor;
  /** The k x k kernel convolved tap by tap, up to EXACT_MAX_RADIUS. */
  kernel?: Float32Array;
  /** The separable weights above it. */
  weights?: Float64Array;
  /** Sharpening above EXACT_MAX_RADIUS: the blur times `scale` plus the image times `extra`. */
  separableSharpen?: { scale: number; extra: number };
  /** Clamp to 0..1 after the convolution (ImageSharpen). */
  clamp: boolean;
}

/** The filter's output allocated and its arguments, after torch's reflect-pad check. */
function filterPlan(
  image: ImageTensor,
  radius: number,
  args: Omit<FilterArgs, 'image'>,
): BandPlan<FilterArgs> {
  checkReflectPad(image, radius);
  const out = createImage(image.batch, image.height, image.width, image.channels);
  const k = radius * 2 + 1;
  const taps = args.kernel ? k * k : 2 * k;
  return {
    outputs: [out],
    rows: image.batch * image.height,
    args: { ...args, image },
    size: image.data.length * taps,
  };
}

/** Output rows `[from, to)` of a blur or a sharpen. */
function filterRows(
  a: FilterArgs,
  out: Float32Array,
  from: number,
  to: number,
  checkpoint: () => void,
): void {
  const { image } = a;
  const rowLength = image.width * image.channels;
  if (a.kernel) convolve2dRows(image, a.kernel, out, from, to, checkpoint);
  else {
    const sharpen = a.separableSharpen;
    separableConvolveRows(image, a.weights!, from, to, checkpoint, (row, values) => {
      const at = row * rowLength;
      if (sharpen) {
        for (let i = 0; i < values.length; i++) {
          values[i] = sharpen.scale * values[i] + sharpen.extra * image.data[at + i];
        }
      }
      out.set(values, at);
    });
  }
  if (!a.clamp) return;
  for (let i = from * rowLength, end = to * rowLength; i < end; i++) {
    out[i] = out[i] < 0 ? 0 : out[i] > 1 ? 1 : out[i];
  }
}

/** ImageBlur's plan; none for radius 0, which returns the image itself. */
function blurPlan(image: ImageTensor, radius: number, sigma: number): BandPlan<FilterArgs> | undefined {
  if (radius === 0) return undefined;
  const k = radius * 2 + 1;
  if (radius <= EXACT_MAX_RADIUS)
    return filterPlan(image, radius, { kernel: gaussianKernel(k, sigma), clamp: false });
  return filterPlan(image, radius, { weights: gaussianWeights(k, sigma), clamp: false });
}

/**
 * ImageSharpen's plan; none for radius 0. Above {@link EXACT_MAX_RADIUS} the kernel is the scaled
 * Gaussian plus an extra weight on the centre, so the result is the separable blur scaled, plus the
 * image times that extra weight.
 */
function sharpenPlan(
  image: ImageTensor,
  radius: number,
  sigma: number,
  alpha: number,
): BandPlan<FilterArgs> | undefined {
  if (radius === 0) return undefined;
  const k = radius * 2 + 1;
  const gaussian = gaussianKernel(k, sigma);
  if (radius <= EXACT_MAX_RADIUS)
    return filterPlan(image, radius, { kernel: sharpenKernel(gaussian, alpha), clamp: true });
  const centre = (gaussian.length - 1) / 2;
  const scale = f32(-(alpha * 10));
  const extra = sharpenKernel(gaussian, alpha)[centre] - f32(gaussian[centre] * scale);
  return filterPlan(image, radius, {
    weights: gaussianWeights(k, sigma),
    separableSharpen: { scale, extra },
    clamp: true,
  });
}

/** Runs a filter plan whole; no plan returns the image itself. */
function runFilter(
  image: ImageTensor,
  plan: BandPlan<FilterArgs> | undefined,
  ctx: NodeContext,
): ImageTensor {
  if (!plan) return image;
  const out = plan.outputs[0] as ImageTensor;
  filterRows(plan.args, out.data, 0, plan.rows, () => ctx.checkpoint());
  return out;
}

/** ImageBlur: the image convolved with the normalised Gaussian of radius `radius`. */
export function blurImage(image: ImageTensor, radius: number, sigma: number, ctx: NodeContext): ImageTensor {
  return runFilter(image, blurPlan(image, radius, sigma), ctx);
}

/** ImageSharpen: the sharpening kernel applied, then a clamp to 0..1; alpha 0 is the identity. */
export function sharpenImage(
  image: ImageTensor,
  radius: number,
  sigma: number,
  alpha: number,
  ctx: NodeContext,
): ImageTensor {
  return runFilter(image, sharpenPlan(image, radius, sigma, alpha), ctx);
}

const filterBandRows: RowBands<FilterArgs>['runBand'] = (args, outputs, from, to, checkpoint) =>
  filterRows(args, (outputs[0] as ImageTensor).data, from, to, checkpoint);

const blurBands: RowBands<FilterArgs> = {
  plan: (inputs) => blurPlan(inputs.image as ImageTensor, Number(inputs.blur_radius), Number(inputs.sigma)),
  runBand: filterBandRows,
};

const sharpenBands: RowBands<FilterArgs> = {
  plan: (inputs) =>
    sharpenPlan(
      inputs.image as ImageTensor,
      Number(inputs.sharpen_radius),
      Number(inputs.sigma),
      Number(inputs.alpha),
    ),
  runBand: filterBandRows,
};

/** The filter family's node classes. */
export const filterNodes: NodeImpl[] = [
  defineNode('ImageBlur', {
    heavy: true,
    bands: blurBands as RowBands,
    run: (inputs, ctx) => ({
      outputs: [
        blurImage(inputs.image as ImageTensor, Number(inputs.blur_radius), Number(inputs.sigma), ctx),
      ],
    }),
  }),
  defineNode('ImageSharpen', {
    heavy: true,
    bands: sharpenBands as RowBands,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const radius = Number(inputs.sharpen_radius);
      return { outputs: [sharpenImage(image, radius, Number(inputs.sigma), Number(inputs.alpha), ctx)] };
    },
  }),
];
