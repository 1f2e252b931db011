/**
 * Geometric and batch nodes: ImageInvert, ImageCrop, ImageFlip, ImageRotate, ImagePadForOutpaint,
 * RepeatImageBatch and ImageFromBatch, as ComfyUI 0.8.0 computes them. Flips, rotations and crops are
 * all the same operation here, a walk over the source with a start pixel and two pixel strides, so they
 * share one kernel and copy whole pixels without arithmetic.
 */
import { defineNode } from '../defineNode';
import { createImage, createMask } from '../tensor';
import { runAsOneBand } from '../rowBands';
import type { ImageTensor, MaskTensor, NodeContext, NodeImpl, RowBands } from '../types';

/** How often (in rows) long loops give the executor a chance to interrupt. */
const CHECKPOINT_ROWS = 16;

/** A walk over the source pixels of one batch element: output (y, x) reads `start + y * dy + x * dx`. */
export interface PixelWalk {
  readonly height: number;
  readonly width: number;
  readonly start: number;
  readonly dx: number;
  readonly dy: number;
}

/** Copies the pixels a walk visits, for every batch element, into a new image. */
function walkPixels(image: ImageTensor, walk: PixelWalk, ctx: NodeContext): ImageTensor {
  const { channels: c, batch } = image;
  const out = createImage(batch, walk.height, walk.width, c);
  const src = image.data;
  const dst = out.data;
  const plane = image.height * image.width;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < walk.height; y++) {
      if (y % CHECKPOINT_ROWS === 0) ctx.checkpoint();
      let p = b * plane + walk.start + y * walk.dy;
      for (let x = 0; x < walk.width; x++, p += walk.dx) {
        for (let k = 0, s = p * c; k < c; k++) dst[o++] = src[s + k];
      }
    }
  }
  return out;
}

/**
 * The walk of `torch.rot90(image, k, dims=[2, 1])`: k quarter turns clockwise. rot90 is a flip then a
 * transpose, so 90 and 270 degrees swap the height and width.
 */
export function rotationWalk(height: number, width: number, quarterTurns: number): PixelWalk {
  switch (((quarterTurns % 4) + 4) % 4) {
    case 1: // out[i][j] = in[H-1-j][i]
      return { height: width, width: height, start: (height - 1) * width, dx: -width, dy: 1 };
    case 2:
      return { height, width, start: height * width - 1, dx: -1, dy: -width };
    case 3: // out[i][j] = in[j][W-1-i]
      return { height: width, width: height, start: width - 1, dx: width, dy: -1 };
    default:
      return { height, width, start: 0, dx: 1, dy: width };
  }
}

/** The walk of ImageFlip: "x-axis" mirrors rows (torch.flip dim 1), "y-axis" mirrors columns (dim 2). */
export function flipWalk(height: number, width: number, method: string): PixelWalk {
  if (method.startsWith('x')) return { height, width, start: (height - 1) * width, dx: 1, dy: -width };
  if (method.startsWith('y')) return { height, width, start: width - 1, dx: -1, dy: width };
  return { height, width, start: 0, dx: 1, dy: width };
}

/**
 * The walk of ImageCrop. ComfyUI clamps x and y to the last column and row, then slices, so a crop that
 * runs past the edge comes out smaller than asked rather than padded.
 */
export function cropWalk(image: ImageTensor, width: number, height: number, x: number, y: number): PixelWalk {
  const x0 = Math.max(0, Math.min(x, image.width - 1));
  const y0 = Math.max(0, Math.min(y, image.height - 1));
  return {
    height: Math.max(0, Math.min(height, image.height - y0)),
    width: Math.max(0, Math.min(width, image.width - x0)),
    start: y0 * image.width + x0,
    dx: 1,
    dy: image.width,
  };
}

/** The number of quarter turns a rotation option names ("90 degrees" -> 1). */
function quarterTurnsOf(rotation: string): number {
  if (rotation.startsWith('90')) return 1;
  if (rotation.startsWith('180')) return 2;
  if (rotation.startsWith('270')) return 3;
  return 0;
}

/** `1.0 - image` on every channel, alpha included, rounded to float32 as torch does. */
const invertBands: RowBands<ImageTensor> = {
  plan(inputs) {
    const image = inputs.image as ImageTensor;
    const out = createImage(image.batch, image.height, image.width, image.channels);
    return { outputs: [out], rows: image.batch * image.height, args: image, size: image.data.length };
  },
  runBand(image, outputs, from, to) {
    const src = image.data;
    const dst = (outputs[0] as ImageTensor).data;
    const rowLength = image.width * image.channels;
    for (let i = from * rowLength, end = to * rowLength; i < end; i++) dst[i] = 1 - src[i];
  },
};

/** The sides ImagePadForOutpaint adds, in pixels. */
export interface PadSides {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The image grown by `sides`, the new border filled with grey 0.5 as ComfyUI does. */
function padImage(image: ImageTensor, sides: PadSides, ctx: NodeContext): ImageTensor {
  const { batch, height, width, channels: c } = image;
  const outW = width + sides.left + sides.right;
  const out = createImage(batch, height + sides.top + sides.bottom, outW, c);
  out.data.fill(0.5);
  const rowLength = width * c;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < height; y++) {
      if (y % CHECKPOINT_ROWS === 0) ctx.checkpoint();
      const from = (b * height + y) * rowLength;
      const to = ((b * out.height + y + sides.top) * outW + sides.left) * c;
      out.data.set(image.data.subarray(from, from + rowLength), to);
    }
  }
  return out;
}

/**
 * ImagePadForOutpaint's mask: 1 on the added border; inside, 0, or when feathering applies the square
 * of how far a pixel is into the feather band, measured only from the sides that were padded. Feathering
 * applies only when twice its width fits inside the image in both directions. The arithmetic is done in
 * double precision and stored as float32, as the Python loop does.
 */
export function outpaintMask(height: number, width: number, sides: PadSides, feathering: number): MaskTensor {
  const outW = width + sides.left + sides.right;
  const mask = createMask(1, height + sides.top + sides.bottom, outW);
  mask.data.fill(1);
  const feather = feathering > 0 && feathering * 2 < height && feathering * 2 < width;
  for (let i = 0; i < height; i++) {
    const row = (i + sides.top) * outW + sides.left;
    const dt = sides.top !== 0 ? i : height;
    const db = sides.bottom !== 0 ? height - i : height;
    for (let j = 0; j < width; j++) {
      let v = 0;
      if (feather) {
        const dl = sides.left !== 0 ? j : width;
        const dr = sides.right !== 0 ? width - j : width;
        const d = Math.min(dt, db, dl, dr);
        if (d < feathering) {
          const f = (feathering - d) / feathering;
          v = f * f;
        }
      }
      mask.data[row + j] = v;
    }
  }
  return mask;
}

/** Repeats the whole batch `amount` times, as `image.repeat((amount, 1, 1, 1))`. */
function repeatBatch(image: ImageTensor, amount: number): ImageTensor {
  const out = createImage(image.batch * amount, image.height, image.width, image.channels);
  for (let i = 0; i < amount; i++) out.data.set(image.data, i * image.data.length);
  return out;
}

/** A slice of the batch; the index is clamped to the last element and the length to what is left. */
function sliceBatch(image: ImageTensor, batchIndex: number, length: number): ImageTensor {
  const start = Math.max(0, Math.min(image.batch - 1, batchIndex));
  const count = Math.max(0, Math.min(image.batch - start, length));
  const out = createImage(count, image.height, image.width, image.channels);
  const size = image.height * image.width * image.channels;
  out.data.set(image.data.subarray(start * size, (start + count) * size));
  return out;
}

/** The transform family's node classes. */
export const transformNodes: NodeImpl[] = [
  defineNode('ImageInvert', {
    heavy: true,
    bands: invertBands as RowBands,
    run: (inputs, ctx) => runAsOneBand(invertBands, inputs, ctx)!,
  }),
  defineNode('ImageCrop', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const walk = cropWalk(
        image,
        Number(inputs.width),
        Number(inputs.height),
        Number(inputs.x),
        Number(inputs.y),
      );
      return { outputs: [walkPixels(image, walk, ctx)] };
    },
  }),
  defineNode('ImageFlip', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      return {
        outputs: [walkPixels(image, flipWalk(image.height, image.width, String(inputs.flip_method)), ctx)],
      };
    },
  }),
  defineNode('ImageRotate', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const walk = rotationWalk(image.height, image.width, quarterTurnsOf(String(inputs.rotation)));
      return { outputs: [walkPixels(image, walk, ctx)] };
    },
  }),
  defineNode('ImagePadForOutpaint', {
    heavy: true,
    run: (inputs, ctx) => {
      const image = inputs.image as ImageTensor;
      const sides: PadSides = {
        left: Number(inputs.left),
        top: Number(inputs.top),
        right: Number(inputs.right),
        bottom: Number(inputs.bottom),
      };
      const mask = outpaintMask(image.height, image.width, sides, Number(inputs.feathering));
      return { outputs: [padImage(image, sides, ctx), mask] };
    },
  }),
  defineNode('RepeatImageBatch', {
    heavy: true,
    run: (inputs) => ({ outputs: [repeatBatch(inputs.image as ImageTensor, Number(inputs.amount))] }),
  }),
  defineNode('ImageFromBatch', {
    heavy: true,
    run: (inputs) => ({
      outputs: [sliceBatch(inputs.image as ImageTensor, Number(inputs.batch_index), Number(inputs.length))],
    }),
  }),
];
