import assert from 'node:assert/strict';
import { transformNodes } from '../../../src/core/engine/nodes/transform';
import { imageFrom } from '../../../src/core/engine/tensor';
import type { ImageTensor, MaskTensor, NodeContext } from '../../../src/core/engine/types';

const ctx = { nodeId: '1', checkpoint: () => undefined, progress: () => undefined } as unknown as NodeContext;

function run(classType: string, inputs: Record<string, unknown>): unknown[] {
  const node = transformNodes.find((n) => n.classType === classType);
  if (!node) throw new Error(`no ${classType}`);
  return (node.run(inputs, ctx) as { outputs: unknown[] }).outputs;
}

/** A one-channel image whose pixel values are their row-major index, so positions are easy to read. */
function indexImage(height: number, width: number, batch = 1): ImageTensor {
  const data = new Float32Array(batch * height * width).map((_, i) => i);
  return imageFrom(data, batch, height, width, 1);
}

function pixels(image: unknown): number[] {
  return Array.from((image as ImageTensor).data);
}

function shape(image: unknown): number[] {
  const t = image as ImageTensor;
  return [t.batch, t.height, t.width, t.channels];
}

describe('transform nodes', () => {
  it('marks every node heavy so the executor may run it on a worker thread', () => {
    assert.deepEqual(
      transformNodes
        .filter((n) => n.heavy === true)
        .map((n) => n.classType)
        .sort(),
      [
        'ImageCrop',
        'ImageFlip',
        'ImageFromBatch',
        'ImageInvert',
        'ImagePadForOutpaint',
        'ImageRotate',
        'RepeatImageBatch',
      ],
    );
    assert.ok(transformNodes.every((n) => n.heavy === true));
  });

  it('ImageInvert subtracts every channel, alpha included, from 1', () => {
    const image = imageFrom(Float32Array.of(0, 0.25, 1, 0.5), 1, 1, 1, 4);
    assert.deepEqual(pixels(run('ImageInvert', { image })[0]), [1, 0.75, 0, 0.5]);
  });

  it('ImageRotate 90 degrees turns clockwise and swaps height and width', () => {
    // 0 1 2        3 0
    // 3 4 5   ->   4 1
    //              5 2
    const [out] = run('ImageRotate', { image: indexImage(2, 3), rotation: '90 degrees' });
    assert.deepEqual(shape(out), [1, 3, 2, 1]);
    assert.deepEqual(pixels(out), [3, 0, 4, 1, 5, 2]);
  });

  it('ImageRotate 180 degrees reverses the pixel order', () => {
    assert.deepEqual(
      pixels(run('ImageRotate', { image: indexImage(2, 3), rotation: '180 degrees' })[0]),
      [5, 4, 3, 2, 1, 0],
    );
  });

  it('ImageRotate 270 degrees turns counterclockwise', () => {
    const [out] = run('ImageRotate', { image: indexImage(2, 3), rotation: '270 degrees' });
    assert.deepEqual(shape(out), [1, 3, 2, 1]);
    assert.deepEqual(pixels(out), [2, 5, 1, 4, 0, 3]);
  });

  it('ImageRotate none keeps the pixels', () => {
    assert.deepEqual(
      pixels(run('ImageRotate', { image: indexImage(2, 3), rotation: 'none' })[0]),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('ImageFlip on the x-axis mirrors the rows', () => {
    const [out] = run('ImageFlip', { image: indexImage(2, 3), flip_method: 'x-axis: vertically' });
    assert.deepEqual(pixels(out), [3, 4, 5, 0, 1, 2]);
  });

  it('ImageFlip on the y-axis mirrors the columns of every batch element', () => {
    const [out] = run('ImageFlip', { image: indexImage(1, 3, 2), flip_method: 'y-axis: horizontally' });
    assert.deepEqual(pixels(out), [2, 1, 0, 5, 4, 3]);
  });

  it('ImageFlip keeps the channels of each pixel together', () => {
    const image = imageFrom(Float32Array.of(1, 2, 3, 4, 5, 6), 1, 1, 2, 3);
    assert.deepEqual(
      pixels(run('ImageFlip', { image, flip_method: 'y-axis: horizontally' })[0]),
      [4, 5, 6, 1, 2, 3],
    );
  });

  it('ImageCrop takes the region at x, y', () => {
    const [out] = run('ImageCrop', { image: indexImage(3, 4), width: 2, height: 2, x: 1, y: 1 });
    assert.deepEqual(shape(out), [1, 2, 2, 1]);
    assert.deepEqual(pixels(out), [5, 6, 9, 10]);
  });

  it('ImageCrop returns a smaller image when the region runs past the edge', () => {
    const [out] = run('ImageCrop', { image: indexImage(3, 4), width: 10, height: 10, x: 2, y: 1 });
    assert.deepEqual(shape(out), [1, 2, 2, 1]);
    assert.deepEqual(pixels(out), [6, 7, 10, 11]);
  });

  it('ImageCrop clamps x and y to the last column and row', () => {
    const [out] = run('ImageCrop', { image: indexImage(3, 4), width: 5, height: 5, x: 100, y: 100 });
    assert.deepEqual(shape(out), [1, 1, 1, 1]);
    assert.deepEqual(pixels(out), [11]);
  });

  it('ImagePadForOutpaint fills the new border with grey 0.5 and marks it 1 in the mask', () => {
    const image = imageFrom(Float32Array.of(0.2, 0.4), 1, 1, 2, 1);
    const [out, mask] = run('ImagePadForOutpaint', {
      image,
      left: 1,
      top: 1,
      right: 0,
      bottom: 0,
      feathering: 0,
    });
    assert.deepEqual(shape(out), [1, 2, 3, 1]);
    assert.deepEqual(pixels(out), [0.5, 0.5, 0.5, 0.5, 0.2, 0.4].map(Math.fround));
    assert.deepEqual(Array.from((mask as MaskTensor).data), [1, 1, 1, 1, 0, 0]);
  });

  it('ImagePadForOutpaint feathers inwards from the padded sides only, as the square of the distance', () => {
    const image = imageFrom(new Float32Array(6 * 6), 1, 6, 6, 1);
    const [, mask] = run('ImagePadForOutpaint', {
      image,
      left: 8,
      top: 0,
      right: 0,
      bottom: 0,
      feathering: 2,
    });
    const m = mask as MaskTensor;
    assert.deepEqual([m.batch, m.height, m.width], [1, 6, 14]);
    // A row: the 8 padded columns, then distances 0, 1, 2... from the left edge: (2 - d) / 2, squared.
    assert.deepEqual(Array.from(m.data.subarray(0, 14)), [1, 1, 1, 1, 1, 1, 1, 1, 1, 0.25, 0, 0, 0, 0]);
  });

  it('ImagePadForOutpaint skips feathering when twice its width does not fit in the image', () => {
    const image = imageFrom(new Float32Array(4 * 4), 1, 4, 4, 1);
    const [, mask] = run('ImagePadForOutpaint', {
      image,
      left: 0,
      top: 8,
      right: 0,
      bottom: 0,
      feathering: 2,
    });
    assert.deepEqual(Array.from((mask as MaskTensor).data.subarray(8 * 4)), new Array(16).fill(0));
  });

  it('ImagePadForOutpaint gives one mask for the whole batch', () => {
    const [, mask] = run('ImagePadForOutpaint', {
      image: indexImage(2, 2, 3),
      left: 8,
      top: 0,
      right: 0,
      bottom: 0,
      feathering: 0,
    });
    assert.equal((mask as MaskTensor).batch, 1);
  });

  it('RepeatImageBatch repeats the whole batch in order', () => {
    const [out] = run('RepeatImageBatch', { image: indexImage(1, 1, 2), amount: 3 });
    assert.deepEqual(pixels(out), [0, 1, 0, 1, 0, 1]);
  });

  it('ImageFromBatch takes length elements from batch_index', () => {
    assert.deepEqual(
      pixels(run('ImageFromBatch', { image: indexImage(1, 1, 4), batch_index: 1, length: 2 })[0]),
      [1, 2],
    );
  });

  it('ImageFromBatch clamps the index to the last element and the length to what is left', () => {
    const [out] = run('ImageFromBatch', { image: indexImage(1, 1, 4), batch_index: 9, length: 3 });
    assert.deepEqual(pixels(out), [3]);
  });
});
