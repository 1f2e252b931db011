/**
 * The upscaling nodes: ImageScale, ImageScaleBy and ImageScaleToTotalPixels, as ComfyUI 0.8.0 sizes
 * their targets (Python's round-half-even on doubles) before handing the image to common_upscale.
 */
import { defineNode } from '../defineNode';
import { commonUpscale, isUpscaleMethod, pyRound, type CropMethod, type UpscaleMethod } from '../resample';
import { NodeException, type ImageTensor, type NodeContext, type NodeImpl } from '../types';

/** The `upscale_method` input, checked. */
function methodOf(v: unknown): UpscaleMethod {
  if (!isUpscaleMethod(v)) throw new NodeException('ValueError', `unknown upscale_method ${String(v)}`);
  return v;
}

/** The `crop` input: anything but "center" crops nothing, as common_upscale treats it. */
function cropOf(v: unknown): CropMethod {
  return v === 'center' ? 'center' : 'disabled';
}

/**
 * ImageScale's target size. Both 0 keeps the image; one 0 follows the aspect ratio, rounded half to
 * even and at least 1 (70 wide from 64x48 gives 52.5, so 52 high).
 */
export function scaleTarget(
  image: { width: number; height: number },
  width: number,
  height: number,
): { width: number; height: number } | undefined {
  if (width === 0 && height === 0) return undefined;
  if (width === 0) return { width: Math.max(1, pyRound((image.width * height) / image.height)), height };
  if (height === 0) return { width, height: Math.max(1, pyRound((image.height * width) / image.width)) };
  return { width, height };
}

/** ImageScaleBy's target size: each side times the factor, rounded half to even (may be 0, then it fails). */
export function scaleByTarget(
  image: { width: number; height: number },
  scaleBy: number,
): { width: number; height: number } {
  return { width: pyRound(image.width * scaleBy), height: pyRound(image.height * scaleBy) };
}

/**
 * ImageScaleToTotalPixels' target size: the aspect-keeping size of `megapixels` * 1024 * 1024 pixels,
 * each side rounded half to even to a multiple of `steps`.
 */
export function totalPixelsTarget(
  image: { width: number; height: number },
  megapixels: number,
  steps: number,
): { width: number; height: number } {
  const total = megapixels * 1024 * 1024;
  const scaleBy = Math.sqrt(total / (image.width * image.height));
  return {
    width: pyRound((image.width * scaleBy) / steps) * steps,
    height: pyRound((image.height * scaleBy) / steps) * steps,
  };
}

/** Runs common_upscale with the node's checkpoint. */
function upscale(
  image: ImageTensor,
  size: { width: number; height: number },
  method: UpscaleMethod,
  crop: CropMethod,
  ctx: NodeContext,
): ImageTensor {
  return commonUpscale(image, size.width, size.height, method, crop, () => ctx.checkpoint());
}

/** The scale family's node classes. */
export const scaleNodes: NodeImpl[] = [
  defineNode('ImageScale', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const size = scaleTarget(image, Number(inputs.width), Number(inputs.height));
      if (!size) return { outputs: [image] };
      return { outputs: [upscale(image, size, methodOf(inputs.upscale_method), cropOf(inputs.crop), ctx)] };
    },
  }),
  defineNode('ImageScaleBy', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const size = scaleByTarget(image, Number(inputs.scale_by));
      return { outputs: [upscale(image, size, methodOf(inputs.upscale_method), 'disabled', ctx)] };
    },
  }),
  defineNode('ImageScaleToTotalPixels', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const size = totalPixelsTarget(image, Number(inputs.megapixels), Number(inputs.resolution_steps));
      return { outputs: [upscale(image, size, methodOf(inputs.upscale_method), 'disabled', ctx)] };
    },
  }),
];
