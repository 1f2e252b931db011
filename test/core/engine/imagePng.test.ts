import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { imageCodingHooks } from '../../../src/core/engine/imageCoding';
import { encodeImagePng } from '../../../src/core/engine/imagePng';
import { createImage } from '../../../src/core/engine/tensor';
import type { ImagePngRequest, ImageTensor } from '../../../src/core/engine/types';
import { WorkerPool } from '../../../src/core/engine/workerPool';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { seededRandom } from '../../fakes/seededRandom';
import { filesSavedBy, workerTask } from './pngTestFiles';

/** An image of random values, some outside 0..1 and a NaN, as SaveImage may be given. */
function randomImage(batch: number, height: number, width: number, channels: number): ImageTensor {
  const rnd = seededRandom(batch * 1000 + height + width + channels);
  const image = createImage(batch, height, width, channels);
  for (let i = 0; i < image.data.length; i++) image.data[i] = rnd() * 1.2 - 0.1;
  image.data[7] = NaN;
  return image;
}

describe('PNG files of saved images', () => {
  it('a worker encodes the same bytes and SHA-256 as the calling thread', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      for (const channels of [2, 3, 4]) {
        const images = randomImage(2, 37, 53, channels);
        const request = { images, index: 1, texts: [['prompt', '{"a": 1}']] as [string, string][], level: 4 };
        const here = encodeImagePng(request);
        const there = await pool.encodePng(request, workerTask('9'));
        assert.ok(Buffer.from(there.bytes).equals(Buffer.from(here.bytes)), `${channels} channels`);
        assert.equal(there.sha256, here.sha256);
        assert.equal(here.sha256, createHash('sha256').update(here.bytes).digest('hex'));
      }
    } finally {
      await pool.dispose();
    }
  });

  it("a worker's encoding failure carries the encoder's exception type", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const request = {
        images: randomImage(1, 2, 2, 3),
        index: 0,
        texts: [['k', '\u263a']] as [string, string][],
        level: 4,
      };
      const error = await pool.encodePng(request, workerTask('9')).catch((e: unknown) => e);
      assert.equal((error as { exceptionType?: string }).exceptionType, 'UnicodeEncodeError');
    } finally {
      await pool.dispose();
    }
  });

  it("the engine's hook encodes a large image on a worker and a small one on its own thread", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const sent: string[] = [];
      const spy = {
        encodePng: (request: ImagePngRequest, task: ReturnType<typeof workerTask>) => {
          sent.push(`${request.images.width}x${request.images.height}`);
          return pool.encodePng(request, task);
        },
      } as unknown as WorkerPool;
      const hooks = imageCodingHooks(workerTask('9'), () => spy);
      const request = (images: ImageTensor) => ({ images, index: 0, texts: [], level: 1 });
      // 640 x 480 RGB is 921,600 values, above the hand-off size; 16 x 16 is far below it.
      const large = await hooks.encodePng(request(randomImage(1, 480, 640, 3)));
      const small = await hooks.encodePng(request(randomImage(1, 16, 16, 3)));
      assert.deepEqual(sent, ['640x480']);
      assert.ok(
        Buffer.from(large.bytes).equals(
          Buffer.from(encodeImagePng(request(randomImage(1, 480, 640, 3))).bytes),
        ),
      );
      const smallHere = encodeImagePng(request(randomImage(1, 16, 16, 3)));
      assert.ok(Buffer.from(small.bytes).equals(Buffer.from(smallHere.bytes)));
    } finally {
      await pool.dispose();
    }
  });

  it('an engine with workers saves a large image byte for byte as one without', async () => {
    // 640 x 480 RGB is above the size the engine still encodes on its own thread.
    const prompt: ApiPrompt = {
      '1': { class_type: 'EmptyImage', inputs: { width: 640, height: 480, batch_size: 2, color: 0x3366cc } },
      '2': {
        class_type: 'ImagePadForOutpaint',
        inputs: { image: ['1', 0], left: 8, top: 0, right: 40, bottom: 16, feathering: 24 },
      },
      '3': { class_type: 'ImageBlur', inputs: { image: ['2', 0], blur_radius: 5, sigma: 2 } },
      '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'big' } },
    };
    const [withWorkers, without] = [await filesSavedBy(prompt, true), await filesSavedBy(prompt, false)];
    assert.equal(withWorkers.length, 2);
    for (const [i, f] of withWorkers.entries()) {
      assert.ok(f.bytes.equals(without[i].bytes), f.filename);
      assert.equal(f.sha256, createHash('sha256').update(f.bytes).digest('hex'));
      assert.equal(f.size, f.bytes.length);
    }
  });
});
