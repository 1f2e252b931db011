/**
 * comfy.utils.common_upscale for IMAGE and MASK tensors: an optional centre crop to the target aspect,
 * then torch's `F.interpolate` (nearest-exact, bilinear, area, bicubic), Pillow's lanczos or bislerp.
 * The kernels live in resampleTorch.ts, lanczos.ts and resampleBislerp.ts; this file picks one and
 * handles the crop and the tensor shapes.
 */
import { checkLanczos, resizeLanczos, resizeLanczosRows } from './lanczos';
import { resizeBislerp } from './resampleBislerp';
import {
  checkInterpolateSizes,
  torchInterpolate,
  torchInterpolateRows,
  type Checkpoint,
  type PixelGrid,
} from './resampleTorch';
import { createImage, imageFrom, maskFrom, sharedFloats } from './tensor';
import { NodeException, type BandPlan, type ImageTensor, type MaskTensor } from './types';

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
  // On shared memory, so that handing the crop to the workers of a banded resize copies nothing.
  const data = sharedFloats(count * box.height * box.width * c);
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
  return resizeGrid(croppedSource(grid, width, height, crop), width, height, method, checkpoint);
}

/** The grid common_upscale resizes: the centre crop to width x height's aspect when asked, else the grid. */
function croppedSource(grid: PixelGrid, width: number, height: number, crop: CropMethod): PixelGrid {
  if (crop !== 'center') return grid;
  if (height === 0) throw new NodeException('ZeroDivisionError', 'division by zero');
  const box = centerCropBox(grid.width, grid.height, width, height);
  return box.x !== 0 || box.y !== 0 ? cropGrid(grid, box) : grid;
}

/** What each band of an upscale needs: the (cropped) source, the output size and the method. */
export interface UpscaleBandArgs {
  readonly grid: PixelGrid;
  readonly width: number;
  readonly height: number;
  readonly method: Exclude<UpscaleMethod, 'bislerp'>;
}

/**
 * The row-band plan of {@link commonUpscale}: the same checks and crop, the output IMAGE allocated.
 * Bislerp, whose rows are not computed one by one, has none and runs whole.
 */
export function planUpscale(
  image: ImageTensor,
  width: number,
  height: number,
  method: UpscaleMethod,
  crop: CropMethod,
): BandPlan<UpscaleBandArgs> | undefined {
  if (method === 'bislerp') return undefined;
  const grid = croppedSource({ ...image, count: image.batch }, width, height, crop);
  if (method === 'lanczos') checkLanczos(grid, height, width);
  else checkInterpolateSizes(grid, height, width);
  const out = createImage(image.batch, height, width, image.channels);
  const size = Math.max(out.data.length, grid.data.length);
  return { outputs: [out], rows: image.batch * height, args: { grid, width, height, method }, size };
}

/** Fills output rows `[from, to)` of an upscale planned by {@link planUpscale}. */
export function runUpscaleBand(
  args: UpscaleBandArgs,
  outputs: unknown[],
  from: number,
  to: number,
  checkpoint: Checkpoint,
): void {
  const target = { out: (outputs[0] as ImageTensor).data, from, to };
  const { grid, width, height, method } = args;
  if (method === 'lanczos') resizeLanczosRows(grid, height, width, target, checkpoint);
  else torchInterpolateRows(grid, height, width, method, target, checkpoint);
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
