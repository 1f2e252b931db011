/**
 * comfy.utils.common_upscale for IMAGE and MASK tensors: an optional centre crop to the target aspect,
 * then torch's `F.interpolate` (nearest-exact, bilinear, area, bicubic), Pillow's lanczos or bislerp.
 * The kernels live in resampleTorch.ts, lanczos.ts and resampleBislerp.ts; this file picks one and
 * handles the crop and the tensor shapes.
 */
import { resizeLanczos } from './lanczos';
import { resizeBislerp } from './resampleBislerp';
import { torchInterpolate, type Checkpoint, type PixelGrid } from './resampleTorch';
import { imageFrom, maskFrom } from './tensor';
import { NodeException, type ImageTensor, type MaskTensor } from './types';

export type { Checkpoint, PixelGrid } from './resampleTorch';

/** The `upscale_method` values common_upscale understands. */
export type UpscaleMethod = 'nearest-exact' | 'bilinear' | 'area' | 'bicubic' | 'lanczos' | 'bislerp';

/** The `crop` values common_upscale understands. */
export type CropMethod = 'disabled' | 'center';

const UPSCALE_METHODS: readonly string[] = [
  'nearest-exact',
  'bilinear',
  'area',
  'bicubic',
  'lanczos',
  'bislerp',
];

/** True when `v` names an upscale method. */
export function isUpscaleMethod(v: unknown): v is UpscaleMethod {
  return typeof v === 'string' && UPSCALE_METHODS.includes(v);
}

/**
 * Python 3's `round()` of a float to an integer: halves go to the even neighbour, so 52.5 -> 52 and
 * 53.5 -> 54. ComfyUI computes every target size with it.
 */
export function pyRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A rectangle of a grid, in pixels. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * common_upscale's centre crop: the largest centred part of an oldW x oldH picture with the aspect of
 * width x height, trimmed by the same rounded amount on both sides. Aspects are compared in double
 * precision, exactly as Python does, so near-equal aspects crop nothing.
 */
export function centerCropBox(oldW: number, oldH: number, width: number, height: number): CropBox {
  const oldAspect = oldW / oldH;
  const newAspect = width / height;
  let x = 0;
  let y = 0;
  if (oldAspect > newAspect) x = pyRound((oldW - oldW * (newAspect / oldAspect)) / 2);
  else if (oldAspect < newAspect) y = pyRound((oldH - oldH * (oldAspect / newAspect)) / 2);
  return { x, y, width: oldW - 2 * x, height: oldH - 2 * y };
}

/** A copy of one rectangle of every element of a grid. */
export function cropGrid(grid: PixelGrid, box: CropBox): PixelGrid {
  const { count, height, width, channels: c } = grid;
  const data = new Float32Array(count * box.height * box.width * c);
  const rowLen = box.width * c;
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < box.height; y++) {
      const from = ((n * height + box.y + y) * width + box.x) * c;
      data.set(grid.data.subarray(from, from + rowLen), (n * box.height + y) * rowLen);
    }
  }
  return { data, count, height: box.height, width: box.width, channels: c };
}

/** Resizes every element of a grid to outW x outH with `method`, without cropping. */
export function resizeGrid(
  grid: PixelGrid,
  outW: number,
  outH: number,
  method: UpscaleMethod,
  checkpoint: Checkpoint = () => undefined,
): Float32Array {
  switch (method) {
    case 'lanczos':
      return resizeLanczos(grid, outH, outW, checkpoint);
    case 'bislerp':
      return resizeBislerp(grid, outH, outW, checkpoint);
    case 'nearest-exact':
    case 'bilinear':
    case 'area':
    case 'bicubic':
      return torchInterpolate(grid, outH, outW, method, checkpoint);
    default:
      throw new NodeException('NotImplementedError', `upscale method ${String(method)} is not supported`);
  }
}

/** common_upscale on any grid: the centre crop when asked, then the resize. */
export function commonUpscaleGrid(
  grid: PixelGrid,
  width: number,
  height: number,
  method: UpscaleMethod,
  crop: CropMethod,
  checkpoint: Checkpoint = () => undefined,
): Float32Array {
  let source = grid;
  if (crop === 'center') {
    if (height === 0) throw new NodeException('ZeroDivisionError', 'division by zero');
    const box = centerCropBox(grid.width, grid.height, width, height);
    if (box.x !== 0 || box.y !== 0) source = cropGrid(grid, box);
  }
  return resizeGrid(source, width, height, method, checkpoint);
}

/**
 * comfy.utils.common_upscale of an IMAGE to width x height. Lanczos goes through 8 bits as ComfyUI's
 * does; the other methods keep float32.
 */
export function commonUpscale(
  image: ImageTensor,
  width: number,
  height: number,
  method: UpscaleMethod,
  crop: CropMethod,
  checkpoint: Checkpoint = () => undefined,
): ImageTensor {
  const grid: PixelGrid = { ...image, count: image.batch };
  const data = commonUpscaleGrid(grid, width, height, method, crop, checkpoint);
  return imageFrom(data, image.batch, height, width, image.channels);
}

/**
 * The same for a MASK, as ComfyUI resizes masks: `mask.reshape(-1, 1, H, W)` through common_upscale or
 * plain `F.interpolate` (which is common_upscale with crop disabled).
 */
export function commonUpscaleMask(
  mask: MaskTensor,
  width: number,
  height: number,
  method: UpscaleMethod,
  crop: CropMethod,
  checkpoint: Checkpoint = () => undefined,
): MaskTensor {
  const grid: PixelGrid = {
    data: mask.data,
    count: mask.batch,
    height: mask.height,
    width: mask.width,
    channels: 1,
  };
  const data = commonUpscaleGrid(grid, width, height, method, crop, checkpoint);
  return maskFrom(data, mask.batch, height, width);
}
