import assert from 'node:assert/strict';
import { primitiveNodes, pythonReplace } from '../../../src/core/engine/nodes/primitives';
import { imageFrom, maskFrom } from '../../../src/core/engine/tensor';
import {
  InterruptedException,
  NodeException,
  type ImageTensor,
  type MaskTensor,
  type NodeImpl,
} from '../../../src/core/engine/types';
import { testContext } from './pngTestFiles';

function node(classType: string): NodeImpl {
  const impl = primitiveNodes.find((n) => n.classType === classType);
  assert.ok(impl, `${classType} is defined`);
  return impl;
}

/** Runs a node that, like every node of this family, answers synchronously. */
function run(classType: string, inputs: Record<string, unknown>, ctx = testContext().ctx): unknown[] {
  const result = node(classType).run(inputs, ctx);
  assert.ok(!(result instanceof Promise));
  return result.outputs;
}

const rgba = imageFrom(Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), 2, 1, 1, 4);

describe('EmptyImage', () => {
  it('fills every batch element with the colour, each byte divided by 255 in float32', () => {
    const [image] = run('EmptyImage', { width: 2, height: 3, batch_size: 2, color: 0xff8001 }) as [
      ImageTensor,
    ];
    assert.deepEqual([image.batch, image.height, image.width, image.channels], [2, 3, 2, 3]);
    const pixel = [1, Math.fround(128 / 255), Math.fround(1 / 255)];
    for (let p = 0; p < 12; p++) assert.deepEqual(Array.from(image.data.subarray(p * 3, p * 3 + 3)), pixel);
  });

  it('checks for an interrupt on every row', () => {
    const { ctx, state } = testContext();
    run('EmptyImage', { width: 4, height: 5, batch_size: 2, color: 0 }, ctx);
    assert.equal(state.checkpoints, 10);
  });

  it('stops when the prompt is interrupted', () => {
    const { ctx } = testContext();
    const interrupted = {
      ...ctx,
      checkpoint: () => {
        throw new InterruptedException();
      },
    };
    assert.throws(
      () => run('EmptyImage', { width: 4, height: 4, batch_size: 1, color: 0 }, interrupted),
      InterruptedException,
    );
  });
});

describe('mask basics', () => {
  it('SolidMask makes a 1 x height x width mask of the value in float32', () => {
    const [mask] = run('SolidMask', { value: 0.3, width: 3, height: 2 }) as [MaskTensor];
    assert.deepEqual([mask.batch, mask.height, mask.width, mask.data.length], [1, 2, 3, 6]);
    assert.ok(mask.data.every((v) => v === Math.fround(0.3)));
  });

  it('InvertMask computes 1 - mask', () => {
    const [mask] = run('InvertMask', { mask: maskFrom(Float32Array.of(0, 0.25, 1, 1.5), 1, 2, 2) }) as [
      MaskTensor,
    ];
    assert.deepEqual(Array.from(mask.data), [1, 0.75, 0, -0.5]);
  });

  it('MaskToImage repeats each mask value into three channels, batch kept', () => {
    const [image] = run('MaskToImage', { mask: maskFrom(Float32Array.of(0.5, 1), 2, 1, 1) }) as [ImageTensor];
    assert.deepEqual([image.batch, image.channels, ...image.data], [2, 3, 0.5, 0.5, 0.5, 1, 1, 1]);
  });

  for (const [channel, values] of [
    ['red', [0.1, 0.5]],
    ['green', [0.2, 0.6]],
    ['blue', [0.3, 0.7]],
    ['alpha', [0.4, 0.8]],
  ] as const) {
    it(`ImageToMask takes the ${channel} channel of every batch element`, () => {
      const [mask] = run('ImageToMask', { image: rgba, channel }) as [MaskTensor];
      assert.deepEqual(Array.from(mask.data), values.map(Math.fround));
    });
  }

  it('ImageToMask alpha of an RGB image fails like torch indexing in ComfyUI', () => {
    const rgb = imageFrom(new Float32Array(3), 1, 1, 1, 3);
    assert.throws(
      () => run('ImageToMask', { image: rgb, channel: 'alpha' }),
      (e: unknown) =>
        e instanceof NodeException &&
        e.exceptionType === 'IndexError' &&
        e.message === 'index 3 is out of bounds for dimension 3 with size 3',
    );
  });

  it('marks the pixel nodes heavy and the others not', () => {
    const heavy = primitiveNodes.filter((n) => n.heavy).map((n) => n.classType);
    assert.deepEqual(heavy.sort(), ['EmptyImage', 'ImageToMask', 'InvertMask', 'MaskToImage', 'SolidMask']);
  });
});

describe('primitive and string nodes', () => {
  it('passes each primitive value through unchanged', () => {
    const cases: [string, unknown][] = [
      ['PrimitiveInt', 42],
      ['PrimitiveFloat', 0.25],
      ['PrimitiveString', 'text'],
      ['PrimitiveStringMultiline', 'two\nlines'],
      ['PrimitiveBoolean', false],
    ];
    for (const [classType, value] of cases) assert.deepEqual(run(classType, { value }), [value], classType);
  });

  it('StringConcatenate joins the two strings with the delimiter', () => {
    assert.deepEqual(run('StringConcatenate', { string_a: 'ab', string_b: 'cd', delimiter: '-' }), ['ab-cd']);
  });

  it('StringReplace replaces every occurrence literally', () => {
    assert.deepEqual(run('StringReplace', { string: 'a.b.c', find: '.', replace: '$&' }), ['a$&b$&c']);
  });

  it('replaces an empty find between code points, as Python does', () => {
    assert.equal(pythonReplace('a\u{1f600}', '', '-'), '-a-\u{1f600}-');
    assert.equal(pythonReplace('', '', '-'), '-');
  });

  it('GetImageSize returns width, height and batch size', () => {
    assert.deepEqual(
      run('GetImageSize', { image: imageFrom(new Float32Array(2 * 3 * 5 * 3), 2, 3, 5, 3) }),
      [5, 3, 2],
    );
  });
});
