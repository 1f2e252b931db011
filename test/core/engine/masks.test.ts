import assert from 'node:assert/strict';
import {
  colorToMask,
  compositeMasks,
  cropMask,
  featherMask,
  growMask,
  maskNodes,
  thresholdMask,
} from '../../../src/core/engine/nodes/masks';
import { imageFrom, maskFrom } from '../../../src/core/engine/tensor';
import type { MaskTensor, NodeContext } from '../../../src/core/engine/types';
import { NodeException } from '../../../src/core/engine/types';

const ctx = { nodeId: '1', checkpoint: () => undefined, progress: () => undefined } as unknown as NodeContext;

function mask(height: number, width: number, values: number[], batch = 1): MaskTensor {
  return maskFrom(Float32Array.from(values), batch, height, width);
}

function values(m: MaskTensor): number[] {
  return Array.from(m.data);
}

const f = Math.fround;

describe('mask nodes', () => {
  it('marks every node heavy so the executor may run it on a worker thread', () => {
    assert.deepEqual(maskNodes.map((n) => n.classType).sort(), [
      'CropMask',
      'FeatherMask',
      'GrowMask',
      'ImageColorToMask',
      'MaskComposite',
      'ThresholdMask',
    ]);
    assert.ok(maskNodes.every((n) => n.heavy === true));
  });

  it('MaskComposite multiplies the source into the destination at x, y and leaves the rest', () => {
    const out = compositeMasks(mask(2, 3, [1, 1, 1, 1, 1, 1]), mask(1, 1, [0.25]), 1, 1, 'multiply');
    assert.deepEqual(values(out), [1, 1, 1, 1, 0.25, 1]);
  });

  it('MaskComposite drops the part of the source past the right and bottom edges', () => {
    const out = compositeMasks(mask(2, 2, [0, 0, 0, 0]), mask(2, 2, [0.1, 0.2, 0.3, 0.4]), 1, 1, 'add');
    assert.deepEqual(values(out), [0, 0, 0, f(0.1)]);
  });

  it('MaskComposite clamps sums and differences to 0..1', () => {
    const dest = mask(1, 2, [0.75, 0.25]);
    const source = mask(1, 2, [0.5, 0.5]);
    assert.deepEqual(values(compositeMasks(dest, source, 0, 0, 'add')), [1, 0.75]);
    assert.deepEqual(values(compositeMasks(dest, source, 0, 0, 'subtract')), [0.25, 0]);
  });

  it('MaskComposite clamps the destination outside the source too', () => {
    const out = compositeMasks(mask(1, 2, [1.5, -0.5]), mask(1, 1, [1]), 0, 0, 'multiply');
    assert.deepEqual(values(out), [1, 0]);
  });

  it('MaskComposite and/or/xor test values rounded half to even, so 0.5 counts as off', () => {
    const dest = mask(1, 4, [0.5, 0.51, 0.51, 0]);
    const source = mask(1, 4, [1, 1, 0.5, 0.2]);
    assert.deepEqual(values(compositeMasks(dest, source, 0, 0, 'and')), [0, 1, 0, 0]);
    assert.deepEqual(values(compositeMasks(dest, source, 0, 0, 'or')), [1, 1, 1, 0]);
    assert.deepEqual(values(compositeMasks(dest, source, 0, 0, 'xor')), [1, 0, 1, 0]);
  });

  it('MaskComposite applies a single-mask source to every destination in the batch', () => {
    const out = compositeMasks(mask(1, 1, [0.5, 1], 2), mask(1, 1, [0.5]), 0, 0, 'multiply');
    assert.deepEqual(values(out), [0.25, 0.5]);
  });

  it('MaskComposite fails like torch for a batch-2 source on a batch-1 destination', () => {
    assert.throws(
      () => compositeMasks(mask(1, 1, [1]), mask(1, 1, [1, 1], 2), 0, 0, 'add'),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'RuntimeError',
    );
  });

  it('MaskComposite leaves the destination alone when the source lies wholly past the edge', () => {
    const out = compositeMasks(mask(1, 2, [0.5, 0.5]), mask(1, 1, [1]), 5, 0, 'add');
    assert.deepEqual(values(out), [0.5, 0.5]);
  });

  it('FeatherMask fades the left side linearly, reaching 1 at the feather width', () => {
    assert.deepEqual(
      values(featherMask(mask(1, 4, [1, 1, 1, 1]), { left: 2, top: 0, right: 0, bottom: 0 })),
      [0.5, 1, 1, 1],
    );
  });

  it('FeatherMask clamps the feather width to the mask size', () => {
    const out = featherMask(mask(1, 4, [1, 1, 1, 1]), { left: 100, top: 0, right: 0, bottom: 0 });
    assert.deepEqual(values(out), [0.25, 0.5, 0.75, 1]);
  });

  it('FeatherMask on the right also scales column 0, as Python indexes [-0] as the first column', () => {
    // right = 3: column 0 (for x = 0) by 1/3, column 3 by 2/3, column 2 by 3/3.
    const out = featherMask(mask(1, 4, [1, 1, 1, 1]), { left: 0, top: 0, right: 3, bottom: 0 });
    assert.deepEqual(values(out), [f(1 / 3), 1, 1, f(2 / 3)]);
  });

  it('FeatherMask on the bottom also scales row 0', () => {
    const out = featherMask(mask(3, 1, [1, 1, 1]), { left: 0, top: 0, right: 0, bottom: 2 });
    assert.deepEqual(values(out), [0.5, 1, 1]);
  });

  it('GrowMask with tapered corners grows a pixel into a cross', () => {
    const out = growMask(mask(3, 3, [0, 0, 0, 0, 1, 0, 0, 0, 0]), 1, true, ctx);
    assert.deepEqual(values(out), [0, 1, 0, 1, 1, 1, 0, 1, 0]);
  });

  it('GrowMask without tapered corners grows a pixel into a square', () => {
    const out = growMask(mask(3, 3, [0, 0, 0, 0, 1, 0, 0, 0, 0]), 1, false, ctx);
    assert.deepEqual(values(out), new Array(9).fill(1));
  });

  it('GrowMask grows by one pixel per step of expand, taking the largest neighbour', () => {
    const out = growMask(mask(1, 5, [0.5, 0, 0, 0, 0.25]), 2, true, ctx);
    assert.deepEqual(values(out), [0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  it('GrowMask with a negative expand erodes, the edges counting as their own neighbours', () => {
    const out = growMask(mask(1, 5, [1, 1, 1, 0.5, 1]), -1, false, ctx);
    assert.deepEqual(values(out), [1, 1, 0.5, 0.5, 0.5]);
  });

  it('GrowMask does not change its input', () => {
    const input = mask(1, 3, [0, 1, 0]);
    growMask(input, 1, true, ctx);
    assert.deepEqual(values(input), [0, 1, 0]);
  });

  it('CropMask returns a smaller mask when the region runs past the edge', () => {
    const out = cropMask(mask(2, 3, [0, 1, 2, 3, 4, 5]), 1, 1, 5, 5);
    assert.deepEqual([out.height, out.width, ...values(out)], [1, 2, 4, 5]);
  });

  it('CropMask returns an empty mask when x is past the right edge', () => {
    const out = cropMask(mask(2, 3, [0, 1, 2, 3, 4, 5]), 7, 0, 2, 2);
    assert.deepEqual([out.height, out.width], [2, 0]);
  });

  it('ThresholdMask keeps only values strictly above the threshold', () => {
    assert.deepEqual(values(thresholdMask(mask(1, 3, [0.25, 0.5, 0.75]), 0.5)), [0, 0, 1]);
  });

  it('ImageColorToMask matches the 8-bit RGB of each pixel, rounding halves to even', () => {
    // 0.5 * 255 = 127.5 rounds to 128 (0x80); values above 1 are clamped to 255.
    const image = imageFrom(Float32Array.of(0.5, 1.2, 0, 0.5, 1, 0.01), 1, 1, 2, 3);
    assert.deepEqual(values(colorToMask(image, 0x80ff00)), [1, 0]);
  });

  it('ImageColorToMask ignores the alpha channel', () => {
    const image = imageFrom(Float32Array.of(0, 0, 1, 0.3), 1, 1, 1, 4);
    assert.deepEqual(values(colorToMask(image, 0x0000ff)), [1]);
  });
});
