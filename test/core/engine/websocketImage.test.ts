import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { websocketImageNodes } from '../../../src/core/engine/nodes/websocketImage';
import { createImage } from '../../../src/core/engine/tensor';
import type { NodeContext, NodeImpl, PreviewImage } from '../../../src/core/engine/types';
import { failure, testContext } from './pngTestFiles';

const node: NodeImpl = websocketImageNodes.find((n) => n.classType === 'SaveImageWebsocket')!;

/** A context that records the node's calls in order. */
function recordingContext(): { ctx: NodeContext; calls: (string | PreviewImage)[] } {
  const calls: (string | PreviewImage)[] = [];
  const { ctx } = testContext();
  return {
    calls,
    ctx: {
      ...ctx,
      progress: (value, max) => void calls.push(`progress ${value}/${max}`),
      preview: (image) => void calls.push(image),
    },
  };
}

describe('SaveImageWebsocket', () => {
  it('publishes one PNG preview per image, each before the progress step of its index', async () => {
    const { ctx, calls } = recordingContext();
    const images = createImage(2, 3, 4, 3);
    images.data.fill(0.5);
    const result = await node.run({ images }, ctx);
    assert.deepEqual(result, { outputs: [] });
    assert.deepEqual(
      calls.map((c) => (typeof c === 'string' ? c : c.format)),
      ['PNG', 'progress 0/2', 'PNG', 'progress 1/2'],
    );
    const png = decode((calls[0] as PreviewImage).bytes);
    assert.deepEqual([png.width, png.height, png.channels, png.data[0]], [4, 3, 3, 127]);
  });

  it('keeps an alpha channel: an RGBA image becomes an RGBA PNG', async () => {
    const { ctx, calls } = recordingContext();
    await node.run({ images: createImage(1, 2, 2, 4) }, ctx);
    assert.equal(decode((calls[0] as PreviewImage).bytes).channels, 4);
  });

  it('sends nothing for an empty batch, as ComfyUI’s loop does not run', async () => {
    const { ctx, calls } = recordingContext();
    await node.run({ images: createImage(0, 2, 2, 1) }, ctx);
    assert.deepEqual(calls, []);
  });

  it('rejects a one-channel image with the TypeError Pillow raises', async () => {
    const { ctx } = recordingContext();
    const e = await failure(Promise.resolve().then(() => node.run({ images: createImage(1, 2, 2, 1) }, ctx)));
    assert.equal(e.exceptionType, 'TypeError');
    assert.equal(e.message, 'Cannot handle this data type: (1, 1, 1), |u1');
  });

  it('is an output node whose fingerprint changes on every call, so it always runs', async () => {
    const { ctx } = recordingContext();
    assert.equal(node.def.output_node, true);
    assert.notEqual(await node.fingerprint!({}, ctx), await node.fingerprint!({}, ctx));
  });
});
