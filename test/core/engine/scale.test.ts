import assert from 'node:assert/strict';
import {
  scaleByTarget,
  scaleNodes,
  scaleTarget,
  totalPixelsTarget,
} from '../../../src/core/engine/nodes/scale';
import { createImage } from '../../../src/core/engine/tensor';
import {
  NodeException,
  type ImageTensor,
  type NodeContext,
  type NodeImpl,
} from '../../../src/core/engine/types';

const ctx: NodeContext = {
  nodeId: '1',
  checkpoint: () => undefined,
  progress: () => undefined,
  preview: () => undefined,
  inputDir: '',
  outputDir: '',
  tempDir: '',
  prompt: {},
};

function node(classType: string): NodeImpl {
  const impl = scaleNodes.find((n) => n.classType === classType);
  if (!impl) throw new Error(`no ${classType}`);
  return impl;
}

async function runImage(classType: string, inputs: Record<string, unknown>): Promise<ImageTensor> {
  const result = await node(classType).run(inputs, ctx);
  return result.outputs[0] as ImageTensor;
}

/** A 64x48 RGB picture with a horizontal ramp in red. */
function ramp(): ImageTensor {
  const image = createImage(1, 48, 64, 3);
  for (let p = 0; p < 64 * 48; p++) image.data[p * 3] = (p % 64) / 63;
  return image;
}

describe('scale targets', () => {
  it('ImageScale follows the aspect ratio for a zero height, rounding 52.5 to 52', () => {
    assert.deepEqual(scaleTarget({ width: 64, height: 48 }, 70, 0), { width: 70, height: 52 });
  });

  it('ImageScale follows the aspect ratio for a zero width', () => {
    assert.deepEqual(scaleTarget({ width: 64, height: 48 }, 0, 30), { width: 40, height: 30 });
  });

  it('ImageScale keeps the image when both sizes are zero', () => {
    assert.equal(scaleTarget({ width: 64, height: 48 }, 0, 0), undefined);
  });

  it('ImageScaleBy rounds each side half to even', () => {
    assert.deepEqual(scaleByTarget({ width: 37, height: 53 }, 1.5), { width: 56, height: 80 });
    assert.deepEqual(scaleByTarget({ width: 37, height: 53 }, 0.5), { width: 18, height: 26 });
    assert.deepEqual(scaleByTarget({ width: 37, height: 53 }, 0.73), { width: 27, height: 39 });
  });

  it('ImageScaleToTotalPixels rounds to multiples of the resolution step', () => {
    assert.deepEqual(totalPixelsTarget({ width: 64, height: 48 }, 0.01, 1), { width: 118, height: 89 });
    assert.deepEqual(totalPixelsTarget({ width: 64, height: 48 }, 0.01, 16), { width: 112, height: 96 });
    assert.deepEqual(totalPixelsTarget({ width: 40, height: 32 }, 0.03, 3), { width: 198, height: 159 });
  });
});

describe('scale nodes', () => {
  it('are all heavy, so they run on worker threads', () => {
    assert.deepEqual(
      scaleNodes.map((n) => [n.classType, n.heavy]),
      [
        ['ImageScale', true],
        ['ImageScaleBy', true],
        ['ImageScaleToTotalPixels', true],
      ],
    );
  });

  it('ImageScale returns the same tensor for a 0 x 0 target', async () => {
    const image = ramp();
    const inputs = { image, upscale_method: 'bilinear', width: 0, height: 0, crop: 'disabled' };
    assert.equal(await runImage('ImageScale', inputs), image);
  });

  it('ImageScale resizes to the computed size with the chosen method', async () => {
    const inputs = { image: ramp(), upscale_method: 'area', width: 70, height: 0, crop: 'center' };
    const out = await runImage('ImageScale', inputs);
    assert.deepEqual([out.width, out.height, out.channels], [70, 52, 3]);
  });

  it('ImageScale crops the centre: a square target keeps the middle of the ramp', async () => {
    const inputs = { image: ramp(), upscale_method: 'nearest-exact', width: 48, height: 48, crop: 'center' };
    const out = await runImage('ImageScale', inputs);
    assert.equal(out.data[0], Math.fround(8 / 63));
  });

  it('ImageScaleBy lanczos keeps four channels', async () => {
    const out = await runImage('ImageScaleBy', {
      image: createImage(1, 40, 48, 4),
      upscale_method: 'lanczos',
      scale_by: 1.37,
    });
    assert.deepEqual([out.width, out.height, out.channels], [66, 55, 4]);
  });

  it('ImageScaleToTotalPixels resizes to the stepped size', async () => {
    const inputs = { image: ramp(), upscale_method: 'bicubic', megapixels: 0.02, resolution_steps: 8 };
    const out = await runImage('ImageScaleToTotalPixels', inputs);
    assert.deepEqual([out.width, out.height], [168, 128]);
  });

  it('ImageScaleBy fails like torch when a side rounds to zero', async () => {
    const inputs = { image: createImage(1, 10, 10, 3), upscale_method: 'bilinear', scale_by: 0.01 };
    await assert.rejects(
      async () => runImage('ImageScaleBy', inputs),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'RuntimeError',
    );
  });

  it('rejects an unknown upscale method', async () => {
    const inputs = { image: ramp(), upscale_method: 'cubic', scale_by: 2 };
    await assert.rejects(
      async () => runImage('ImageScaleBy', inputs),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'ValueError',
    );
  });
});
