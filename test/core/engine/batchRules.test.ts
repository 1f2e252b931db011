/**
 * ComfyUI 0.8.0's batch-size rules, node by node: which input decides the batch of the output, how a
 * smaller batch is repeated (tiled, broadcast) or dropped, and which mismatches fail. Every node runs
 * through the engine's registry with ComfyUI's input names. Expectations are worked by hand from the
 * rules in ComfyUI's source; rules other test files already hold (ImageBatch, MaskToImage, ImageToMask,
 * RepeatImageBatch, ImageFromBatch, ImagePadForOutpaint's mask, EmptyImage, GetImageSize, the savers)
 * are not repeated here.
 */
import assert from 'node:assert/strict';
import { builtinNodes } from '../../../src/core/engine/registry';
import { imageFrom, maskFrom } from '../../../src/core/engine/tensor';
import {
  NodeException,
  type ImageTensor,
  type MaskTensor,
  type NodeContext,
} from '../../../src/core/engine/types';

const ctx = {
  nodeId: '1',
  checkpoint: () => undefined,
  progress: () => undefined,
} as unknown as NodeContext;

/** Runs a node class of the engine's registry; every class used here answers synchronously. */
function run(classType: string, inputs: Record<string, unknown>): unknown[] {
  const node = builtinNodes.get(classType);
  assert.ok(node, `${classType} is an engine class`);
  const result = node.run(inputs, ctx);
  assert.ok(!(result instanceof Promise));
  return result.outputs;
}

/** A batch of `levels.length` images, element n filled with grey `levels[n]` (plus `alpha` if given). */
function greys(levels: number[], size = 2, alpha?: number): ImageTensor {
  const channels = alpha === undefined ? 3 : 4;
  const pixel = size * size * channels;
  const data = new Float32Array(levels.length * pixel);
  for (let i = 0; i < data.length; i++) {
    const k = i % channels;
    data[i] = k === 3 ? (alpha ?? 1) : levels[Math.floor(i / pixel)];
  }
  return imageFrom(data, levels.length, size, size, channels);
}

/** A batch of masks, element n filled with `levels[n]`. */
function masks(levels: number[], size = 2): MaskTensor {
  const plane = size * size;
  const data = Float32Array.from({ length: levels.length * plane }, (_, i) => levels[Math.floor(i / plane)]);
  return maskFrom(data, levels.length, size, size);
}

/** Every value of channel `channel` in each batch element, so a uniform element shows as one number. */
function channelLevels(t: ImageTensor | MaskTensor, channel = 0): number[][] {
  const channels = t.kind === 'IMAGE' ? t.channels : 1;
  const plane = t.height * t.width;
  return Array.from({ length: t.batch }, (_, n) => {
    const seen = new Set<number>();
    for (let p = 0; p < plane; p++) seen.add(t.data[(n * plane + p) * channels + channel]);
    return [...seen];
  });
}

function isRuntimeError(e: unknown): boolean {
  return e instanceof NodeException && e.exceptionType === 'RuntimeError';
}

describe('batch-size rules of ComfyUI 0.8.0', () => {
  describe('JoinImageWithAlpha', () => {
    const join = (image: ImageTensor, alpha: MaskTensor) =>
      run('JoinImageWithAlpha', { image, alpha })[0] as ImageTensor;

    it('returns as many images as the smaller of its two batches', () => {
      const out = join(greys([0.25, 0.5, 0.75]), masks([0]));
      assert.deepEqual([out.batch, out.channels], [1, 4]);
    });

    it('does not repeat a single image over a larger mask batch', () => {
      assert.equal(join(greys([0.5]), masks([0, 0.5, 1])).batch, 1);
    });

    it('pairs image n with mask n and keeps the first images of a larger image batch', () => {
      const out = join(greys([0.25, 0.5, 0.75]), masks([0, 1]));
      // Alpha is 1 - mask: element 0 opaque, element 1 transparent; the third image is dropped.
      assert.deepEqual(channelLevels(out, 0), [[0.25], [0.5]]);
      assert.deepEqual(channelLevels(out, 3), [[1], [0]]);
    });
  });

  describe('SplitImageWithAlpha', () => {
    it('gives an image and a mask for every element of the batch', () => {
      const image = greys([0.25, 0.75], 2, 0.25);
      const [rgb, mask] = run('SplitImageWithAlpha', { image }) as [ImageTensor, MaskTensor];
      assert.deepEqual([rgb.batch, rgb.channels, mask.batch], [2, 3, 2]);
      assert.deepEqual(channelLevels(rgb), [[0.25], [0.75]]);
      assert.deepEqual(channelLevels(mask), [[0.75], [0.75]]);
    });
  });

  describe('ImageBlend', () => {
    const blend = (image1: ImageTensor, image2: ImageTensor) =>
      run('ImageBlend', { image1, image2, blend_factor: 1, blend_mode: 'multiply' })[0] as ImageTensor;

    it('applies a single image2 to every image of image1', () => {
      const out = blend(greys([0.5, 1, 0]), greys([0.5]));
      assert.deepEqual(channelLevels(out), [[0.25], [0.5], [0]]);
    });

    it('repeats a single image1 over a larger image2 batch, which then decides the batch', () => {
      const out = blend(greys([0.5]), greys([0.5, 1, 0]));
      assert.deepEqual(channelLevels(out), [[0.25], [0.5], [0]]);
    });

    it('pairs image n with image n when both batches are the same size', () => {
      const out = blend(greys([0.5, 1]), greys([1, 0.5]));
      assert.deepEqual(channelLevels(out), [[0.5], [0.5]]);
    });

    it('fails as torch broadcasting does for batches of 2 and 3', () => {
      assert.throws(() => blend(greys([1, 1]), greys([1, 1, 1])), isRuntimeError);
    });
  });

  describe('ImageCompositeMasked', () => {
    const composite = (destination: ImageTensor, source: ImageTensor, mask?: MaskTensor) =>
      run('ImageCompositeMasked', {
        destination,
        source,
        x: 0,
        y: 0,
        resize_source: false,
        mask,
      })[0] as ImageTensor;

    it('keeps the destination batch and uses only the first sources of a larger source batch', () => {
      const out = composite(greys([0]), greys([0.25, 0.5, 0.75]));
      assert.deepEqual(channelLevels(out), [[0.25]]);
    });

    it('tiles a smaller source batch over the destination batch in order', () => {
      const out = composite(greys([0, 0, 0]), greys([0.25, 0.75]));
      assert.deepEqual(channelLevels(out), [[0.25], [0.75], [0.25]]);
    });

    it('tiles a smaller mask batch over the destination batch in order', () => {
      const out = composite(greys([0, 0, 0]), greys([1]), masks([1, 0]));
      assert.deepEqual(channelLevels(out), [[1], [0], [1]]);
    });

    it('uses only the first masks of a larger mask batch', () => {
      const out = composite(greys([0]), greys([1]), masks([0.5, 1, 1]));
      assert.deepEqual(channelLevels(out), [[0.5]]);
    });
  });

  describe('MaskComposite', () => {
    const combine = (destination: MaskTensor, source: MaskTensor) =>
      run('MaskComposite', { destination, source, x: 0, y: 0, operation: 'add' })[0] as MaskTensor;

    it('pairs mask n with mask n when both batches are the same size', () => {
      assert.deepEqual(channelLevels(combine(masks([0.25, 0.5]), masks([0.5, 0.25]))), [[0.75], [0.75]]);
    });

    it('fails as torch broadcasting does for a source batch of 2 on a destination batch of 3', () => {
      assert.throws(() => combine(masks([0, 0, 0]), masks([0, 0])), isRuntimeError);
    });
  });

  /**
   * The single-input nodes work element by element: a batch of two (all 0, all 1) comes out as two
   * elements, each with its own value, worked by hand for a uniform input.
   */
  const perElement: {
    classType: string;
    input: (levels: number[]) => Record<string, unknown>;
    expected: number[][];
    size?: [number, number];
  }[] = [
    { classType: 'ImageInvert', input: (l) => ({ image: greys(l) }), expected: [[1], [0]] },
    {
      classType: 'ImageCrop',
      input: (l) => ({ image: greys(l), width: 1, height: 1, x: 1, y: 0 }),
      expected: [[0], [1]],
      size: [1, 1],
    },
    {
      classType: 'ImageFlip',
      input: (l) => ({ image: greys(l), flip_method: 'x-axis: vertically' }),
      expected: [[0], [1]],
    },
    {
      classType: 'ImageRotate',
      input: (l) => ({ image: greys(l), rotation: '90 degrees' }),
      expected: [[0], [1]],
    },
    {
      classType: 'ImageBlur',
      input: (l) => ({ image: greys(l, 3), blur_radius: 1, sigma: 1 }),
      expected: [[0], [1]],
      size: [3, 3],
    },
    {
      classType: 'ImageSharpen',
      input: (l) => ({ image: greys(l, 3), sharpen_radius: 1, sigma: 1, alpha: 1 }),
      expected: [[0], [1]],
      size: [3, 3],
    },
    {
      classType: 'ImageScale',
      input: (l) => ({
        image: greys(l),
        upscale_method: 'nearest-exact',
        width: 4,
        height: 3,
        crop: 'disabled',
      }),
      expected: [[0], [1]],
      size: [3, 4],
    },
    {
      classType: 'ImageScaleBy',
      input: (l) => ({ image: greys(l), upscale_method: 'bilinear', scale_by: 2 }),
      expected: [[0], [1]],
      size: [4, 4],
    },
    {
      // 0.01 megapixels is 10485.76 pixels: sqrt(10485.76 / 4) = 51.2, so 2 x 51.2 = 102.4 rounds to 102.
      classType: 'ImageScaleToTotalPixels',
      input: (l) => ({
        image: greys(l),
        upscale_method: 'nearest-exact',
        megapixels: 0.01,
        resolution_steps: 1,
      }),
      expected: [[0], [1]],
      size: [102, 102],
    },
    { classType: 'InvertMask', input: (l) => ({ mask: masks(l) }), expected: [[1], [0]] },
    {
      classType: 'CropMask',
      input: (l) => ({ mask: masks(l), x: 0, y: 1, width: 2, height: 1 }),
      expected: [[0], [1]],
      size: [1, 2],
    },
    {
      classType: 'FeatherMask',
      input: (l) => ({ mask: masks(l, 3), left: 0, top: 0, right: 0, bottom: 0 }),
      expected: [[0], [1]],
      size: [3, 3],
    },
    {
      classType: 'GrowMask',
      input: (l) => ({ mask: masks(l), expand: 1, tapered_corners: true }),
      expected: [[0], [1]],
    },
    { classType: 'ThresholdMask', input: (l) => ({ mask: masks(l), value: 0.5 }), expected: [[0], [1]] },
    // Black matches colour 0, white does not.
    { classType: 'ImageColorToMask', input: (l) => ({ image: greys(l), color: 0 }), expected: [[1], [0]] },
  ];

  for (const { classType, input, expected, size = [2, 2] } of perElement) {
    it(`${classType} keeps the two elements of a batch apart, one output element for each`, () => {
      const out = run(classType, input([0, 1]))[0] as ImageTensor | MaskTensor;
      assert.deepEqual([out.batch, out.height, out.width], [2, ...size]);
      // To six decimals: a normalised Gaussian sums to 1 only within a float32 ulp, in ComfyUI too.
      const rounded = channelLevels(out).map((l) => [...new Set(l.map((v) => Number(v.toFixed(6))))]);
      assert.deepEqual(rounded, expected);
    });
  }

  it('SolidMask makes a batch of one', () => {
    const [mask] = run('SolidMask', { value: 0.5, width: 3, height: 2 }) as [MaskTensor];
    assert.deepEqual([mask.batch, mask.height, mask.width], [1, 2, 3]);
  });

  it('ImagePadForOutpaint pads every image of the batch with grey', () => {
    const [image] = run('ImagePadForOutpaint', {
      image: greys([0, 1]),
      left: 1,
      top: 0,
      right: 0,
      bottom: 0,
      feathering: 0,
    }) as [ImageTensor];
    assert.deepEqual([image.batch, image.height, image.width], [2, 2, 3]);
    // Column 0 is the added border (0.5); columns 1 and 2 hold the image.
    assert.deepEqual(
      channelLevels(image).map((v) => v.sort()),
      [
        [0, 0.5],
        [0.5, 1],
      ],
    );
  });
});
