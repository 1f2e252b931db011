import assert from 'node:assert/strict';
import {
  batchImages,
  blendImages,
  compositeMasked,
  compositeNodes,
  joinImageWithAlpha,
  splitImageWithAlpha,
} from '../../../src/core/engine/nodes/composite';
import { imageFrom, maskFrom } from '../../../src/core/engine/tensor';
import { NodeException, type ImageTensor, type NodeContext } from '../../../src/core/engine/types';

const noCheckpoint = (): void => undefined;
const f = Math.fround;

/** A batch-1 image whose pixels all hold `pixel`. */
function solid(width: number, height: number, pixel: number[], batch = 1): ImageTensor {
  const data = new Float32Array(batch * width * height * pixel.length);
  for (let i = 0; i < data.length; i++) data[i] = pixel[i % pixel.length];
  return imageFrom(data, batch, height, width, pixel.length);
}

/** One-pixel blend of a and b (grey) with the given mode and factor. */
function blendOne(a: number, b: number, mode: string, factor = 1): number {
  return blendImages(solid(1, 1, [a, a, a]), solid(1, 1, [b, b, b]), factor, mode, noCheckpoint).data[0];
}

/** The RGB of pixel (x, y) of batch element n. */
function px(image: ImageTensor, x: number, y: number, n = 0): number[] {
  const at = ((n * image.height + y) * image.width + x) * image.channels;
  return Array.from(image.data.subarray(at, at + image.channels));
}

function isNodeError(type: string): (e: unknown) => boolean {
  return (e) => e instanceof NodeException && e.exceptionType === type;
}

describe('ImageBlend', () => {
  it('normal mixes the two images by the factor', () => {
    assert.equal(blendOne(0.25, 0.75, 'normal', 0.5), 0.5);
  });

  it('multiply and screen use the usual formulas', () => {
    assert.equal(blendOne(0.5, 0.5, 'multiply'), 0.25);
    assert.equal(blendOne(0.5, 0.5, 'screen'), 0.75);
  });

  it('overlay switches formula at image1 = 0.5', () => {
    assert.equal(blendOne(0.25, 0.5, 'overlay'), 0.25);
    assert.equal(blendOne(0.75, 0.5, 'overlay'), 0.75);
  });

  it('soft_light uses the cubic g below 0.25 and sqrt above', () => {
    assert.equal(blendOne(0.25, 0.25, 'soft_light'), f(0.25 - 0.5 * 0.25 * 0.75));
    // g(0.25) = ((16 * 0.25 - 12) * 0.25 + 4) * 0.25 = 0.5
    assert.equal(blendOne(0.25, 0.75, 'soft_light'), 0.375);
    const a = f(0.64);
    assert.equal(blendOne(a, 0.75, 'soft_light'), f(a + f(0.5 * f(f(Math.sqrt(a)) - a))));
  });

  it('difference is image1 - image2 clamped at zero', () => {
    assert.equal(blendOne(0.75, 0.25, 'difference'), 0.5);
    assert.equal(blendOne(0.25, 0.75, 'difference'), 0);
  });

  it('resizes image2 to image1 and drops its alpha', () => {
    const out = blendImages(solid(4, 2, [0, 0, 0]), solid(3, 3, [1, 1, 1, 0.5]), 1, 'normal', noCheckpoint);
    assert.deepEqual([out.width, out.height, out.channels], [4, 2, 3]);
    assert.deepEqual(px(out, 2, 1), [1, 1, 1]);
  });

  it('fails like ComfyUI for an RGBA image1 with an RGB image2', () => {
    assert.throws(
      () => blendImages(solid(2, 2, [0, 0, 0, 1]), solid(2, 2, [1, 1, 1]), 0.5, 'normal', noCheckpoint),
      isNodeError('RuntimeError'),
    );
  });

  it('rejects an unknown mode', () => {
    assert.throws(() => blendOne(0.5, 0.5, 'darken'), isNodeError('ValueError'));
  });
});

describe('ImageCompositeMasked', () => {
  const at = (x: number, y: number, resizeSource = false) => ({ x, y, resizeSource });

  it('pastes the source at the offset and clips it at the edges', () => {
    const out = compositeMasked(
      solid(4, 4, [0, 0, 0]),
      solid(3, 3, [1, 1, 1]),
      at(2, 3),
      undefined,
      noCheckpoint,
    );
    assert.deepEqual(
      [px(out, 1, 3), px(out, 2, 3), px(out, 3, 3), px(out, 3, 2)],
      [
        [0, 0, 0],
        [1, 1, 1],
        [1, 1, 1],
        [0, 0, 0],
      ],
    );
  });

  it('clamps offsets past the destination so nothing is pasted', () => {
    const out = compositeMasked(
      solid(2, 2, [0, 0, 0]),
      solid(2, 2, [1, 1, 1]),
      at(50, 50),
      undefined,
      noCheckpoint,
    );
    assert.deepEqual([out.batch, out.height, out.width, out.channels, out.data.length], [1, 2, 2, 3, 12]);
    assert.ok(out.data.every((v) => v === 0));
  });

  it('mixes through a mask resized bilinearly to the source', () => {
    const mask = maskFrom(Float32Array.from([0, 1]), 1, 1, 2);
    const out = compositeMasked(solid(4, 1, [0, 0, 0]), solid(4, 1, [1, 1, 1]), at(0, 0), mask, noCheckpoint);
    assert.deepEqual(
      [0, 1, 2, 3].map((x) => px(out, x, 0)[0]),
      [0, 0.25, 0.75, 1],
    );
  });

  it('resizes the source to the destination when asked', () => {
    const out = compositeMasked(
      solid(3, 3, [0, 0, 0]),
      solid(1, 1, [1, 1, 1]),
      at(0, 0, true),
      undefined,
      noCheckpoint,
    );
    assert.deepEqual([out.batch, out.height, out.width, out.channels, out.data.length], [1, 3, 3, 3, 27]);
    assert.ok(out.data.every((v) => v === 1));
  });

  it('repeats the source over a larger destination batch', () => {
    const out = compositeMasked(
      solid(1, 1, [0, 0, 0], 2),
      solid(1, 1, [1, 1, 1]),
      at(0, 0),
      undefined,
      noCheckpoint,
    );
    assert.deepEqual([out.batch, px(out, 0, 0, 1)], [2, [1, 1, 1]]);
  });

  it('drops the alpha of an RGBA source on an RGB destination', () => {
    const out = compositeMasked(
      solid(1, 1, [0, 0, 0]),
      solid(1, 1, [1, 0.5, 0, 0]),
      at(0, 0),
      undefined,
      noCheckpoint,
    );
    assert.deepEqual([out.channels, px(out, 0, 0)], [3, [1, 0.5, 0]]);
  });

  it('fails like ComfyUI for an RGBA destination with an RGB source', () => {
    assert.throws(
      () =>
        compositeMasked(solid(1, 1, [0, 0, 0, 1]), solid(1, 1, [1, 1, 1]), at(0, 0), undefined, noCheckpoint),
      isNodeError('RuntimeError'),
    );
  });
});

describe('alpha channel nodes', () => {
  it('JoinImageWithAlpha appends 1 - mask, resized to the image', () => {
    const mask = maskFrom(Float32Array.from([0, 1]), 1, 1, 2);
    const out = joinImageWithAlpha(solid(4, 1, [0.5, 0.5, 0.5]), mask, noCheckpoint);
    assert.deepEqual([out.channels, [0, 1, 2, 3].map((x) => px(out, x, 0)[3])], [4, [1, 0.75, 0.25, 0]]);
  });

  it('SplitImageWithAlpha returns RGB and 1 - alpha', () => {
    const [rgb, mask] = splitImageWithAlpha(solid(1, 1, [0.25, 0.5, 0.75, 0.25]));
    assert.deepEqual([rgb.channels, px(rgb, 0, 0), Array.from(mask.data)], [3, [0.25, 0.5, 0.75], [0.75]]);
  });

  it('SplitImageWithAlpha of an RGB image gives an all-zero mask', () => {
    const [, mask] = splitImageWithAlpha(solid(2, 1, [1, 1, 1]));
    assert.deepEqual(Array.from(mask.data), [0, 0]);
  });
});

describe('ImageBatch', () => {
  it('appends image2 after image1', () => {
    const out = batchImages(solid(1, 1, [0, 0, 0]), solid(1, 1, [1, 1, 1], 2), noCheckpoint);
    assert.deepEqual([out.batch, px(out, 0, 0, 0), px(out, 0, 0, 2)], [3, [0, 0, 0], [1, 1, 1]]);
  });

  it('resizes a different-sized image2 to image1', () => {
    const out = batchImages(solid(4, 2, [0, 0, 0]), solid(3, 5, [1, 1, 1]), noCheckpoint);
    assert.deepEqual([out.batch, out.width, out.height, px(out, 3, 1, 1)], [2, 4, 2, [1, 1, 1]]);
  });

  it('pads an RGB image with an opaque alpha to batch it with RGBA', () => {
    const out = batchImages(solid(1, 1, [0.5, 0.5, 0.5]), solid(1, 1, [1, 1, 1, 0]), noCheckpoint);
    assert.deepEqual(
      [px(out, 0, 0, 0), px(out, 0, 0, 1)],
      [
        [0.5, 0.5, 0.5, 1],
        [1, 1, 1, 0],
      ],
    );
  });
});

describe('composite nodes', () => {
  it('read their inputs by ComfyUI name, resize_source included', async () => {
    const ctx = { checkpoint: noCheckpoint } as NodeContext;
    const impl = compositeNodes.find((n) => n.classType === 'ImageCompositeMasked');
    const inputs = {
      destination: solid(2, 2, [0, 0, 0]),
      source: solid(1, 1, [1, 1, 1]),
      x: 0,
      y: 0,
      resize_source: true,
    };
    const result = await impl!.run(inputs, ctx);
    const out = result.outputs[0] as ImageTensor;
    assert.deepEqual([out.height, out.width, out.data.length], [2, 2, 12]);
    assert.ok(out.data.every((v) => v === 1));
  });

  it('are all heavy', () => {
    assert.deepEqual(compositeNodes.map((n) => n.classType).sort(), [
      'ImageBatch',
      'ImageBlend',
      'ImageCompositeMasked',
      'JoinImageWithAlpha',
      'SplitImageWithAlpha',
    ]);
    assert.ok(compositeNodes.every((n) => n.heavy === true));
  });
});
