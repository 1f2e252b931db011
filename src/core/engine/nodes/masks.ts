/**
 * Mask nodes of ComfyUI 0.8.0's nodes_mask.py: MaskComposite, FeatherMask, GrowMask, CropMask,
 * ThresholdMask and ImageColorToMask. Each keeps ComfyUI's quirks where they change pixels, since the
 * engine promises identical results: the bitwise composites test rounded values, FeatherMask's right and
 * bottom loops also scale column and row 0 (Python's `[-0]` is index 0), and scalars are rounded to
 * float32 before they meet float32 tensors, as torch does.
 */
import { defineNode } from '../defineNode';
import { growPlanes } from '../morphology';
import { createMask } from '../tensor';
import type { ImageTensor, MaskTensor, NodeContext, NodeImpl } from '../types';
import { NodeException } from '../types';

/** The MaskComposite operations. */
export type CompositeOperation = 'multiply' | 'add' | 'subtract' | 'and' | 'or' | 'xor';

/** `bool(round(v))` of torch: round half to even sends |v| <= 0.5 to zero; NaN stays truthy. */
function roundsToTrue(v: number): boolean {
  return !(Math.abs(v) <= 0.5);
}

function combine(op: CompositeOperation, d: number, s: number): number {
  switch (op) {
    case 'multiply':
      return d * s;
    case 'add':
      return d + s;
    case 'subtract':
      return d - s;
    case 'and':
      return roundsToTrue(d) && roundsToTrue(s) ? 1 : 0;
    case 'or':
      return roundsToTrue(d) || roundsToTrue(s) ? 1 : 0;
    case 'xor':
      return roundsToTrue(d) !== roundsToTrue(s) ? 1 : 0;
  }
}

/** The length of Python's `seq[:stop]` on a sequence of length n. */
function headLength(n: number, stop: number): number {
  return stop >= 0 ? Math.min(stop, n) : Math.max(0, n + stop);
}

/**
 * Checks that torch can combine the destination region (sizes `a`) with the source region (sizes `b`)
 * and assign the result back: each dimension must be equal or 1 in the source. Throws torch's error
 * otherwise, e.g. a batch-2 source on a batch-1 destination.
 */
function checkBroadcast(a: number[], b: number[]): void {
  for (let d = 0; d < a.length; d++) {
    if (a[d] === b[d] || b[d] === 1) continue;
    if (a[d] === 1) {
      throw new NodeException(
        'RuntimeError',
        `The expanded size of the tensor (1) must match the existing size (${b[d]}) at non-singleton dimension ${d}.`,
      );
    }
    throw new NodeException(
      'RuntimeError',
      `The size of tensor a (${a[d]}) must match the size of tensor b (${b[d]}) at non-singleton dimension ${d}`,
    );
  }
}

/**
 * MaskComposite: `source` placed at (x, y) on `destination` and combined with it by `operation` where
 * they overlap; the parts of the source past the right or bottom edge are dropped. The whole result is
 * clamped to 0..1.
 */
export function compositeMasks(
  destination: MaskTensor,
  source: MaskTensor,
  x: number,
  y: number,
  operation: CompositeOperation,
): MaskTensor {
  const { batch, height, width } = destination;
  const out = createMask(batch, height, width);
  out.data.set(destination.data);
  const right = Math.min(x + source.width, width);
  const bottom = Math.min(y + source.height, height);
  const a = [batch, Math.max(0, bottom - y), Math.max(0, right - x)];
  const b = [source.batch, headLength(source.height, bottom - y), headLength(source.width, right - x)];
  checkBroadcast(a, b);
  const plane = source.height * source.width;
  for (let n = 0; n < a[0]; n++) {
    const sb = b[0] === 1 ? 0 : n;
    for (let i = 0; i < a[1]; i++) {
      const srcRow = sb * plane + (b[1] === 1 ? 0 : i) * source.width;
      const dstRow = (n * height + y + i) * width + x;
      for (let j = 0; j < a[2]; j++) {
        out.data[dstRow + j] = combine(
          operation,
          out.data[dstRow + j],
          source.data[srcRow + (b[2] === 1 ? 0 : j)],
        );
      }
    }
  }
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]));
  return out;
}

/**
 * Multiplies `count` values of every plane, from `start` every `step` (a column with step = width, a
 * row with step = 1), by `rate` rounded to float32.
 */
function scaleLine(mask: MaskTensor, start: number, step: number, count: number, rate: number): void {
  const f = Math.fround(rate);
  const plane = mask.height * mask.width;
  for (let b = 0; b < mask.batch; b++) {
    for (let k = 0, i = b * plane + start; k < count; k++, i += step) mask.data[i] *= f;
  }
}

/** The sides FeatherMask fades, in pixels. */
export interface FeatherSides {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * FeatherMask: a linear fade over each side, clamped to the mask size, applied as ComfyUI's four loops
 * in order (left, right, top, bottom), each multiplying in float32.
 */
export function featherMask(mask: MaskTensor, sides: FeatherSides): MaskTensor {
  const out = createMask(mask.batch, mask.height, mask.width);
  out.data.set(mask.data);
  const { height: h, width: w } = mask;
  const left = Math.min(sides.left, w);
  const right = Math.min(sides.right, w);
  const top = Math.min(sides.top, h);
  const bottom = Math.min(sides.bottom, h);
  for (let x = 0; x < left; x++) scaleLine(out, x, w, h, (x + 1) / left);
  for (let x = 0; x < right; x++) scaleLine(out, x === 0 ? 0 : w - x, w, h, (x + 1) / right);
  for (let y = 0; y < top; y++) scaleLine(out, y * w, 1, w, (y + 1) / top);
  for (let y = 0; y < bottom; y++) scaleLine(out, (y === 0 ? 0 : h - y) * w, 1, w, (y + 1) / bottom);
  return out;
}

/** GrowMask: |expand| 3x3 dilations (expand > 0) or erosions (expand < 0) of every plane. */
export function growMask(
  mask: MaskTensor,
  expand: number,
  taperedCorners: boolean,
  ctx: NodeContext,
): MaskTensor {
  const out = createMask(mask.batch, mask.height, mask.width);
  out.data.set(mask.data);
  growPlanes(out.data, mask.batch, mask.height, mask.width, expand, !taperedCorners, () => ctx.checkpoint());
  return out;
}

/** CropMask: Python slicing, so a region past the edge comes out smaller (possibly empty). */
export function cropMask(mask: MaskTensor, x: number, y: number, width: number, height: number): MaskTensor {
  const x0 = Math.min(x, mask.width);
  const y0 = Math.min(y, mask.height);
  const w = Math.min(x + width, mask.width) - x0;
  const h = Math.min(y + height, mask.height) - y0;
  const out = createMask(mask.batch, h, w);
  for (let b = 0; b < mask.batch; b++) {
    for (let i = 0; i < h; i++) {
      const from = (b * mask.height + y0 + i) * mask.width + x0;
      out.data.set(mask.data.subarray(from, from + w), (b * h + i) * w);
    }
  }
  return out;
}

/** ThresholdMask: 1 where the mask is above `value` (rounded to float32, as torch compares), else 0. */
export function thresholdMask(mask: MaskTensor, value: number): MaskTensor {
  const out = createMask(mask.batch, mask.height, mask.width);
  const t = Math.fround(value);
  for (let i = 0; i < mask.data.length; i++) out.data[i] = mask.data[i] > t ? 1 : 0;
  return out;
}

/** torch.round: to the nearest integer, halves to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A channel value as ImageColorToMask reads it: clamped, scaled by 255 in float32, rounded. */
function byteOf(v: number): number {
  return roundHalfEven(Math.fround(Math.min(1, Math.max(0, v)) * 255));
}

/** ImageColorToMask: 1 where the pixel's 8-bit RGB, packed as 0xRRGGBB, equals `color`. */
export function colorToMask(image: ImageTensor, color: number): MaskTensor {
  const c = image.channels;
  if (c < 3) {
    throw new NodeException('IndexError', `index ${c} is out of bounds for dimension 3 with size ${c}`);
  }
  const out = createMask(image.batch, image.height, image.width);
  const src = image.data;
  for (let p = 0, s = 0; p < out.data.length; p++, s += c) {
    const packed = byteOf(src[s]) * 65536 + byteOf(src[s + 1]) * 256 + byteOf(src[s + 2]);
    out.data[p] = packed === color ? 1 : 0;
  }
  return out;
}

/** The mask family's node classes. */
export const maskNodes: NodeImpl[] = [
  defineNode('MaskComposite', {
    heavy: true,
    run: (inputs) => {
      const { destination, source, x, y, operation } = inputs;
      const op = String(operation) as CompositeOperation;
      return {
        outputs: [compositeMasks(destination as MaskTensor, source as MaskTensor, Number(x), Number(y), op)],
      };
    },
  }),
  defineNode('FeatherMask', {
    heavy: true,
    run: (inputs) => {
      const sides = { left: 0, top: 0, right: 0, bottom: 0 };
      for (const k of Object.keys(sides) as (keyof FeatherSides)[]) sides[k] = Number(inputs[k]);
      return { outputs: [featherMask(inputs.mask as MaskTensor, sides)] };
    },
  }),
  defineNode('GrowMask', {
    heavy: true,
    run: (inputs, ctx) => ({
      outputs: [
        growMask(inputs.mask as MaskTensor, Number(inputs.expand), Boolean(inputs.tapered_corners), ctx),
      ],
    }),
  }),
  defineNode('CropMask', {
    heavy: true,
    run: (inputs) => {
      const { mask, x, y, width, height } = inputs;
      return { outputs: [cropMask(mask as MaskTensor, Number(x), Number(y), Number(width), Number(height))] };
    },
  }),
  defineNode('ThresholdMask', {
    heavy: true,
    run: (inputs) => ({ outputs: [thresholdMask(inputs.mask as MaskTensor, Number(inputs.value))] }),
  }),
  defineNode('ImageColorToMask', {
    heavy: true,
    run: (inputs) => ({ outputs: [colorToMask(inputs.image as ImageTensor, Number(inputs.color))] }),
  }),
];
