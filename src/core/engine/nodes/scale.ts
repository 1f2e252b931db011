/**
 * The upscaling nodes: ImageScale, ImageScaleBy and ImageScaleToTotalPixels, as ComfyUI 0.8.0 sizes
 * their targets (Python's round-half-even on doubles) before handing the image to common_upscale.
 */
import { defineNode } from '../defineNode';
import {
  commonUpscale,
  isUpscaleMethod,
  planUpscale,
  pyRound,
  runUpscaleBand,
  type CropMethod,
  type UpscaleBandArgs,
  type UpscaleMethod,
} from '../resample';
import { runAsOneBand } from '../rowBands';
import { NodeException, type ImageTensor, type NodeImpl, type RowBands } from '../types';

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

/** The image, target size and method of one of the three nodes, read from its inputs. */
interface ScaleRequest {
  image: ImageTensor;
  /** Undefined keeps the image as it is. */
  size: { width: number; height: number } | undefined;
  method: UpscaleMethod;
  crop: CropMethod;
}

/** ImageScale's request. */
function scaleRequest(inputs: Record<string, unknown>): ScaleRequest {
  const image = inputs.image as ImageTensor;
  const size = scaleTarget(image, Number(inputs.width), Number(inputs.height));
  if (!size) return { image, size, method: 'nearest-exact', crop: 'disabled' };
  return { image, size, method: methodOf(inputs.upscale_method), crop: cropOf(inputs.crop) };
}

/** ImageScaleBy's request. */
function scaleByRequest(inputs: Record<string, unknown>): ScaleRequest {
  const image = inputs.image as ImageTensor;
  const size = scaleByTarget(image, Number(inputs.scale_by));
  return { image, size, method: methodOf(inputs.upscale_method), crop: 'disabled' };
}

/** ImageScaleToTotalPixels' request. */
function totalPixelsRequest(inputs: Record<string, unknown>): ScaleRequest {
  const image = inputs.image as ImageTensor;
  const size = totalPixelsTarget(image, Number(inputs.megapixels), Number(inputs.resolution_steps));
  return { image, size, method: methodOf(inputs.upscale_method), crop: 'disabled' };
}

/** A scale node from its request: common_upscale in row bands, bislerp whole, no size the image itself. */
function scaleNode(classType: string, request: (inputs: Record<string, unknown>) => ScaleRequest): NodeImpl {
  const bands: RowBands<UpscaleBandArgs> = {
    plan: (inputs) => {
      const { image, size, method, crop } = request(inputs);
      return size && planUpscale(image, size.width, size.height, method, crop);
    },
    runBand: runUpscaleBand,
  };
  return defineNode(classType, {
    heavy: true,
    bands: bands as RowBands,
    run: (inputs, ctx) => {
      const banded = runAsOneBand(bands, inputs, ctx);
      if (banded) return banded;
      const { image, size, method, crop } = request(inputs);
      if (!size) return { outputs: [image] };
      const checkpoint = (): void => ctx.checkpoint();
      return { outputs: [commonUpscale(image, size.width, size.height, method, crop, checkpoint)] };
    },
  });
}

/** The scale family's node classes. */
export const scaleNodes: NodeImpl[] = [
  scaleNode('ImageScale', scaleRequest),
  scaleNode('ImageScaleBy', scaleByRequest),
  scaleNode('ImageScaleToTotalPixels', totalPixelsRequest),
];
