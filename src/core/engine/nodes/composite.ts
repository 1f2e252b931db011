/**
 * Nodes that combine images: ImageBatch, ImageBlend, ImageCompositeMasked, JoinImageWithAlpha and
 * SplitImageWithAlpha, as ComfyUI 0.8.0 computes them. Arithmetic is rounded to float32 at each step in
 * torch's order, and the channel and batch quirks are kept: an RGBA source or image2 loses its alpha
 * onto an RGB destination, the other way round fails as it does in ComfyUI, and smaller batches repeat,
 * but for JoinImageWithAlpha, which stops at the smaller batch.
 */
import { defineNode } from '../defineNode';
import { commonUpscale, commonUpscaleMask, type Checkpoint } from '../resample';
import { createImage, createMask } from '../tensor';
import { NodeException, type ImageTensor, type MaskTensor, type NodeContext, type NodeImpl } from '../types';

const f32 = Math.fround;

/** A copy of `image` with its first `channels` channels, padding new ones with `fill`. */
function withChannels(image: ImageTensor, channels: number, fill: number): ImageTensor {
  const out = createImage(image.batch, image.height, image.width, channels);
  const keep = Math.min(channels, image.channels);
  for (let p = 0, s = 0, o = 0; p < image.batch * image.height * image.width; p++, s += image.channels) {
    for (let k = 0; k < channels; k++) out.data[o++] = k < keep ? image.data[s + k] : fill;
  }
  return out;
}

/**
 * node_helpers.image_alpha_fix: a source with more channels than the destination is cut down to it; a
 * destination with more channels gets one more channel of 1.0 (a ComfyUI quirk that makes the later
 * arithmetic fail for RGBA destinations, as it does there).
 */
export function imageAlphaFix(destination: ImageTensor, source: ImageTensor): [ImageTensor, ImageTensor] {
  if (destination.channels < source.channels)
    return [destination, withChannels(source, destination.channels, 0)];
  if (destination.channels > source.channels)
    return [withChannels(destination, destination.channels + 1, 1), source];
  return [destination, source];
}

/** torch's broadcasting error for two sizes that differ and neither is 1. */
function broadcastError(a: number, b: number, dim: number): NodeException {
  return new NodeException(
    'RuntimeError',
    `The size of tensor a (${a}) must match the size of tensor b (${b}) at non-singleton dimension ${dim}`,
  );
}

/** Blend modes as ImageBlend computes them, elementwise in float32. */
const blendModes: Record<string, (a: number, b: number) => number> = {
  normal: (_a, b) => b,
  multiply: (a, b) => f32(a * b),
  screen: (a, b) => f32(1 - f32(f32(1 - a) * f32(1 - b))),
  overlay: (a, b) => (a <= 0.5 ? f32(f32(2 * a) * b) : f32(1 - f32(f32(2 * f32(1 - a)) * f32(1 - b)))),
  soft_light: (a, b) =>
    b <= 0.5
      ? f32(a - f32(f32(f32(1 - f32(2 * b)) * a) * f32(1 - a)))
      : f32(a + f32(f32(f32(2 * b) - 1) * f32(softLightG(a) - a))),
  difference: (a, b) => f32(a - b),
};

/** The soft-light helper g(x): a cubic below 0.25, sqrt above. */
function softLightG(x: number): number {
  return x <= 0.25 ? f32(f32(f32(f32(f32(16 * x) - 12) * x) + 4) * x) : f32(Math.sqrt(x));
}

/** ImageBlend: image2 fitted to image1 (bicubic, centre crop) when shapes differ, then mixed. */
export function blendImages(
  image1: ImageTensor,
  image2: ImageTensor,
  factor: number,
  mode: string,
  checkpoint: Checkpoint,
): ImageTensor {
  const fn = blendModes[mode];
  if (!fn) throw new NodeException('ValueError', `Unsupported blend mode: ${mode}`);
  const [a, fitted] = imageAlphaFix(image1, image2);
  let b = fitted;
  if (a.batch !== b.batch || a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    b = commonUpscale(b, a.width, a.height, 'bicubic', 'center', checkpoint);
  }
  if (a.channels !== b.channels && b.channels !== 1) throw broadcastError(a.channels, b.channels, 3);
  if (a.batch !== b.batch && a.batch !== 1 && b.batch !== 1) throw broadcastError(a.batch, b.batch, 0);
  const batch = Math.max(a.batch, b.batch);
  const out = createImage(batch, a.height, a.width, a.channels);
  const keep = f32(1 - factor);
  const take = f32(factor);
  const pixels = a.height * a.width;
  for (let n = 0, o = 0; n < batch; n++) {
    checkpoint();
    const pa = (n % a.batch) * pixels * a.channels;
    const pb = (n % b.batch) * pixels * b.channels;
    for (let p = 0; p < pixels; p++) {
      for (let k = 0; k < a.channels; k++) {
        const x = a.data[pa + p * a.channels + k];
        const y = b.data[pb + p * b.channels + (b.channels === 1 ? 0 : k)];
        const v = f32(f32(x * keep) + f32(fn(x, y) * take));
        out.data[o++] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return out;
}

/** Where the source lands on the destination, already clipped to it. */
interface Placement {
  readonly left: number;
  readonly top: number;
  readonly rows: number;
  readonly cols: number;
}

/** composite()'s offsets: x and y clamped to the destination, the overlap clipped to both images. */
function placement(dst: ImageTensor, src: ImageTensor, x: number, y: number): Placement {
  // The node's inputs are at least 0, so the negative-offset branch of composite() never applies.
  const left = Math.min(Math.max(0, x), dst.width);
  const top = Math.min(Math.max(0, y), dst.height);
  return {
    left,
    top,
    rows: Math.min(src.height, dst.height - top),
    cols: Math.min(src.width, dst.width - left),
  };
}

/**
 * ImageCompositeMasked (comfy_extras.nodes_mask `composite` with multiplier 1): the source, optionally
 * resized bilinearly to the destination, pasted at (x, y) through a mask resized bilinearly to the
 * source, `mask * source + (1 - mask) * destination`. Source and mask batches repeat to the
 * destination's.
 */
export function compositeMasked(
  destination: ImageTensor,
  source: ImageTensor,
  at: { x: number; y: number; resizeSource: boolean },
  mask: MaskTensor | undefined,
  checkpoint: Checkpoint,
): ImageTensor {
  const [dst, cut] = imageAlphaFix(destination, source);
  let src = cut;
  if (dst.channels !== src.channels && src.channels !== 1)
    throw broadcastError(src.channels, dst.channels, 1);
  if (at.resizeSource) src = commonUpscale(src, dst.width, dst.height, 'bilinear', 'disabled', checkpoint);
  const m = mask && commonUpscaleMask(mask, src.width, src.height, 'bilinear', 'disabled', checkpoint);
  const place = placement(dst, src, at.x, at.y);
  const out = createImage(dst.batch, dst.height, dst.width, dst.channels);
  out.data.set(dst.data);
  const c = dst.channels;
  for (let n = 0; n < dst.batch; n++) {
    checkpoint();
    for (let r = 0; r < place.rows; r++) {
      const srcRow = ((n % src.batch) * src.height + r) * src.width;
      const maskRow = m ? ((n % m.batch) * m.height + r) * m.width : 0;
      const dstRow = (n * dst.height + place.top + r) * dst.width + place.left;
      for (let col = 0; col < place.cols; col++) {
        const w = m ? m.data[maskRow + col] : 1;
        const inv = f32(1 - w);
        const s = (srcRow + col) * src.channels;
        for (let k = 0, o = (dstRow + col) * c; k < c; k++, o++) {
          const sv = src.data[s + (src.channels === 1 ? 0 : k)];
          out.data[o] = f32(w * sv) + f32(inv * out.data[o]);
        }
      }
    }
  }
  return out;
}

/**
 * JoinImageWithAlpha: RGB plus `1 - mask` (resized bilinearly to the image) as a fourth channel. Image
 * n takes mask n, for as many images as the smaller batch holds: ComfyUI 0.8.0 neither repeats nor
 * broadcasts either batch here (a batch of 3 images with one mask gives 1 image); the repeating came
 * in later ComfyUI versions.
 */
export function joinImageWithAlpha(
  image: ImageTensor,
  alpha: MaskTensor,
  checkpoint: Checkpoint,
): ImageTensor {
  const batch = Math.min(image.batch, alpha.batch);
  const resized = commonUpscaleMask(alpha, image.width, image.height, 'bilinear', 'disabled', checkpoint);
  const colour = Math.min(image.channels, 3);
  const out = createImage(batch, image.height, image.width, colour + 1);
  const pixels = image.height * image.width;
  for (let p = 0, o = 0; p < batch * pixels; p++) {
    for (let k = 0; k < colour; k++) out.data[o++] = image.data[p * image.channels + k];
    out.data[o++] = 1 - resized.data[p];
  }
  return out;
}

/** SplitImageWithAlpha: the first three channels, and `1 - alpha` as a mask (0 without alpha). */
export function splitImageWithAlpha(image: ImageTensor): [ImageTensor, MaskTensor] {
  const colour = withChannels(image, Math.min(image.channels, 3), 0);
  const mask = createMask(image.batch, image.height, image.width);
  if (image.channels > 3) {
    for (let p = 0; p < mask.data.length; p++) mask.data[p] = 1 - image.data[p * image.channels + 3];
  }
  return [colour, mask];
}

/**
 * ImageBatch: image2 appended to image1. A channel count one short is padded with 1.0, and image2 is
 * resized (bilinear, centre crop) to image1's size when they differ.
 */
export function batchImages(image1: ImageTensor, image2: ImageTensor, checkpoint: Checkpoint): ImageTensor {
  let a = image1;
  let b = image2;
  if (a.channels > b.channels) b = withChannels(b, b.channels + 1, 1);
  else if (a.channels < b.channels) a = withChannels(a, a.channels + 1, 1);
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    b = commonUpscale(b, a.width, a.height, 'bilinear', 'center', checkpoint);
  }
  if (a.channels !== b.channels) {
    throw new NodeException(
      'RuntimeError',
      `Sizes of tensors must match except in dimension 0. Expected size ${a.channels} but got size ${b.channels} for tensor number 1 in the list.`,
    );
  }
  const out = createImage(a.batch + b.batch, a.height, a.width, a.channels);
  out.data.set(a.data);
  out.data.set(b.data, a.data.length);
  return out;
}

/** The node's checkpoint as a plain callback for the kernels. */
const checkpointOf =
  (ctx: NodeContext): Checkpoint =>
  () =>
    ctx.checkpoint();

/** The composite family's node classes. */
export const compositeNodes: NodeImpl[] = [
  defineNode('ImageBatch', {
    heavy: true,
    run: (inputs, ctx) => ({
      outputs: [batchImages(inputs.image1 as ImageTensor, inputs.image2 as ImageTensor, checkpointOf(ctx))],
    }),
  }),
  defineNode('ImageBlend', {
    heavy: true,
    run: (inputs, ctx) => {
      const [a, b] = [inputs.image1 as ImageTensor, inputs.image2 as ImageTensor];
      const blended = blendImages(
        a,
        b,
        Number(inputs.blend_factor),
        String(inputs.blend_mode),
        checkpointOf(ctx),
      );
      return { outputs: [blended] };
    },
  }),
  defineNode('ImageCompositeMasked', {
    heavy: true,
    run: (inputs, ctx) => {
      const at = { x: Number(inputs.x), y: Number(inputs.y), resizeSource: Boolean(inputs.resize_source) };
      const mask = inputs.mask as MaskTensor | undefined;
      const dst = inputs.destination as ImageTensor;
      return { outputs: [compositeMasked(dst, inputs.source as ImageTensor, at, mask, checkpointOf(ctx))] };
    },
  }),
  defineNode('JoinImageWithAlpha', {
    heavy: true,
    run: (inputs, ctx) => ({
      outputs: [
        joinImageWithAlpha(inputs.image as ImageTensor, inputs.alpha as MaskTensor, checkpointOf(ctx)),
      ],
    }),
  }),
  defineNode('SplitImageWithAlpha', {
    heavy: true,
    run: (inputs) => ({ outputs: splitImageWithAlpha(inputs.image as ImageTensor) }),
  }),
];
