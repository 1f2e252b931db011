/**
 * Constants, strings and the basic image/mask conversions: EmptyImage (nodes.py), SolidMask,
 * InvertMask, MaskToImage and ImageToMask (comfy_extras/nodes_mask.py), the Primitive* nodes
 * (nodes_primitive.py), StringConcatenate and StringReplace (nodes_string.py) and GetImageSize
 * (nodes_images.py), as in ComfyUI 0.8.0. The pixel ones are heavy: they fill whole tensors.
 */
import { defineNode } from '../defineNode';
import { runAsOneBand } from '../rowBands';
import { createImage, createMask, isImage, isMask } from '../tensor';
import {
  NodeException,
  type ImageTensor,
  type MaskTensor,
  type NodeContext,
  type NodeImpl,
  type RowBands,
} from '../types';

function imageInput(v: unknown, name: string): ImageTensor {
  if (!isImage(v)) throw new NodeException('TypeError', `${name} must be an IMAGE`);
  return v;
}

function maskInput(v: unknown, name: string): MaskTensor {
  if (!isMask(v)) throw new NodeException('TypeError', `${name} must be a MASK`);
  return v;
}

/** Python's `(color >> shift) & 0xFF` for any integer, including negative ones (floor shift). */
function colorByte(color: number, shift: number): number {
  return (((Math.floor(color / 2 ** shift) % 256) + 256) % 256) / 0xff;
}

/** EmptyImage's arguments, as its plan reads them from the inputs. */
interface EmptyImageArgs {
  rgb: [number, number, number];
  rowLength: number;
}

/**
 * EmptyImage: `batch_size` images of one colour; each channel is `byte / 255` in float32. In row bands,
 * since at 1024² most of its time is the first touch of fresh memory, which several threads share out.
 */
const emptyImageBands: RowBands<EmptyImageArgs> = {
  plan(inputs) {
    const [width, height, batch] = [
      Number(inputs.width),
      Number(inputs.height),
      Number(inputs.batch_size ?? 1),
    ];
    const color = Number(inputs.color ?? 0);
    const rgb: [number, number, number] = [colorByte(color, 16), colorByte(color, 8), colorByte(color, 0)];
    const image = createImage(batch, height, width, 3);
    return {
      outputs: [image],
      rows: batch * height,
      args: { rgb, rowLength: width * 3 },
      size: image.data.length,
    };
  },
  runBand({ rgb, rowLength }, outputs, from, to, checkpoint) {
    const data = (outputs[0] as ImageTensor).data;
    const first = from * rowLength;
    // One row pixel by pixel, then whole rows copied: the same float32 values, without a call per pixel.
    for (let row = from; row < to; row++) {
      checkpoint();
      if (row > from) {
        data.copyWithin(row * rowLength, first, first + rowLength);
        continue;
      }
      for (let i = first; i < first + rowLength; i += 3) {
        data[i] = rgb[0];
        data[i + 1] = rgb[1];
        data[i + 2] = rgb[2];
      }
    }
  },
};

/** SolidMask: a 1 x height x width mask holding `value` (as float32). */
function solidMask(inputs: Record<string, unknown>, ctx: NodeContext): MaskTensor {
  const mask = createMask(1, Number(inputs.height), Number(inputs.width));
  const value = Number(inputs.value);
  for (let y = 0; y < mask.height; y++) {
    ctx.checkpoint();
    mask.data.fill(value, y * mask.width, (y + 1) * mask.width);
  }
  return mask;
}

/** InvertMask: `1.0 - mask`. */
function invertMask(inputs: Record<string, unknown>, ctx: NodeContext): MaskTensor {
  const mask = maskInput(inputs.mask, 'mask');
  const out = createMask(mask.batch, mask.height, mask.width);
  for (let row = 0; row < mask.batch * mask.height; row++) {
    ctx.checkpoint();
    for (let i = row * mask.width; i < (row + 1) * mask.width; i++) out.data[i] = 1 - mask.data[i];
  }
  return out;
}

/** MaskToImage: the mask repeated into three channels. */
function maskToImage(inputs: Record<string, unknown>, ctx: NodeContext): ImageTensor {
  const mask = maskInput(inputs.mask, 'mask');
  const image = createImage(mask.batch, mask.height, mask.width, 3);
  for (let row = 0; row < mask.batch * mask.height; row++) {
    ctx.checkpoint();
    for (let i = row * mask.width; i < (row + 1) * mask.width; i++) {
      const v = mask.data[i];
      image.data[i * 3] = v;
      image.data[i * 3 + 1] = v;
      image.data[i * 3 + 2] = v;
    }
  }
  return image;
}

const IMAGE_CHANNELS = ['red', 'green', 'blue', 'alpha'];

/** ImageToMask: one channel of every batch element; `alpha` of an RGB image fails as torch indexing does. */
function imageToMask(inputs: Record<string, unknown>, ctx: NodeContext): MaskTensor {
  const image = imageInput(inputs.image, 'image');
  const channel = IMAGE_CHANNELS.indexOf(String(inputs.channel));
  if (channel < 0) throw new NodeException('ValueError', `'${String(inputs.channel)}' is not in list`);
  if (channel >= image.channels) {
    throw new NodeException(
      'IndexError',
      `index ${channel} is out of bounds for dimension 3 with size ${image.channels}`,
    );
  }
  const mask = createMask(image.batch, image.height, image.width);
  for (let row = 0; row < image.batch * image.height; row++) {
    ctx.checkpoint();
    for (let i = row * image.width; i < (row + 1) * image.width; i++) {
      mask.data[i] = image.data[i * image.channels + channel];
    }
  }
  return mask;
}

/** Python's `str.replace(find, replace)`: every occurrence; an empty `find` matches between code points. */
export function pythonReplace(s: string, find: string, replace: string): string {
  if (find === '') return replace + Array.from(s).join(replace) + (s === '' ? '' : replace);
  // split/join rather than replaceAll, whose replacement string gives `$&` and friends a meaning.
  return s.split(find).join(replace);
}

function stringInput(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new NodeException('TypeError', `${name} must be a string`);
  return v;
}

const passThrough = (inputs: Record<string, unknown>) => ({ outputs: [inputs.value] });

/** The primitive, string and basic tensor nodes. */
export const primitiveNodes: NodeImpl[] = [
  defineNode('EmptyImage', {
    heavy: true,
    bands: emptyImageBands as RowBands,
    run: (inputs, ctx) => runAsOneBand(emptyImageBands, inputs, ctx)!,
  }),
  defineNode('SolidMask', { heavy: true, run: (inputs, ctx) => ({ outputs: [solidMask(inputs, ctx)] }) }),
  defineNode('InvertMask', { heavy: true, run: (inputs, ctx) => ({ outputs: [invertMask(inputs, ctx)] }) }),
  defineNode('MaskToImage', { heavy: true, run: (inputs, ctx) => ({ outputs: [maskToImage(inputs, ctx)] }) }),
  defineNode('ImageToMask', { heavy: true, run: (inputs, ctx) => ({ outputs: [imageToMask(inputs, ctx)] }) }),
  defineNode('PrimitiveInt', { run: passThrough }),
  defineNode('PrimitiveFloat', { run: passThrough }),
  defineNode('PrimitiveString', { run: passThrough }),
  defineNode('PrimitiveStringMultiline', { run: passThrough }),
  defineNode('PrimitiveBoolean', { run: passThrough }),
  defineNode('StringConcatenate', {
    // `delimiter.join((string_a, string_b))`
    run: (inputs) => ({
      outputs: [
        stringInput(inputs.string_a, 'string_a') +
          stringInput(inputs.delimiter ?? '', 'delimiter') +
          stringInput(inputs.string_b, 'string_b'),
      ],
    }),
  }),
  defineNode('StringReplace', {
    run: (inputs) => ({
      outputs: [
        pythonReplace(
          stringInput(inputs.string, 'string'),
          stringInput(inputs.find, 'find'),
          stringInput(inputs.replace, 'replace'),
        ),
      ],
    }),
  }),
  defineNode('GetImageSize', {
    // ComfyUI also shows "width: W, height: H\n batch size: B" as progress text on the node; the engine's
    // NodeContext has no channel for that, and it is not part of the node's output.
    run: (inputs) => {
      const image = imageInput(inputs.image, 'image');
      return { outputs: [image.width, image.height, image.batch] };
    },
  }),
];
