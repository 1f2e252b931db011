import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineNode } from '../../../src/core/engine/defineNode';
import { createEngine } from '../../../src/core/engine/executor';
import { imageCodingHooks } from '../../../src/core/engine/imageCoding';
import { loadImageOutputs } from '../../../src/core/engine/imageLoad';
import { encodePng } from '../../../src/core/engine/pngCodec';
import { builtinNodes, createRegistry } from '../../../src/core/engine/registry';
import { allocatedOnThisThread } from '../../../src/core/engine/tensor';
import type { ImageLoadRequest, ImageTensor } from '../../../src/core/engine/types';
import { WorkerPool } from '../../../src/core/engine/workerPool';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { seededRandom } from '../../fakes/seededRandom';
import { testDirs } from '../../fakes/testDirs';
import { corpusDir } from './conformanceHarness';
import { filesSavedBy, workerTask } from './pngTestFiles';

/** A PNG file of random RGBA pixels, `width` x `height`. */
function randomPng(width: number, height: number): Uint8Array {
  const rnd = seededRandom(width * 7 + height);
  const data = Uint8Array.from({ length: width * height * 4 }, () => Math.floor(rnd() * 256));
  return encodePng({ width, height, channels: 4, data }, [], 1);
}

const corpusFile = (name: string) => new Uint8Array(readFileSync(join(corpusDir, 'inputs', name)));

/** Every way of loading `bytes`: LoadImage, and LoadImageMask of each channel letter and of one it lacks. */
function requestsFor(bytes: Uint8Array, name: string): ImageLoadRequest[] {
  const masks = ['red', 'G', 'b', 'alpha', 'x'].map((channel) => ({
    kind: 'mask' as const,
    bytes,
    name,
    channel,
  }));
  return [{ kind: 'image', bytes, name }, ...masks];
}

/** What a list of outputs holds: each tensor's shape and values. */
const contents = (outputs: unknown[]) =>
  (outputs as ImageTensor[]).map((t) => [t.batch, t.height, t.width, t.channels ?? 1, Array.from(t.data)]);

describe('decoding image files for the loading nodes', () => {
  it('a worker makes the same image and masks of a file as the calling thread', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const files = {
        'p_rgba_bands_48x40.png': corpusFile('p_rgba_bands_48x40.png'),
        'p_palette_trns_40x32.png': corpusFile('p_palette_trns_40x32.png'),
        'p_gray16_32x24.png': corpusFile('p_gray16_32x24.png'),
        'random.png': randomPng(61, 47),
      };
      for (const [name, bytes] of Object.entries(files)) {
        for (const request of requestsFor(bytes, name)) {
          const here = loadImageOutputs(request, () => undefined);
          const there = await pool.decodeImage(request, workerTask('7'));
          assert.deepEqual(contents(there), contents(here), `${name} ${JSON.stringify(request.kind)}`);
        }
      }
    } finally {
      await pool.dispose();
    }
  });

  it("a worker's decoding failure names the file and carries the decoder's exception type", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const request: ImageLoadRequest = { kind: 'image', bytes: Buffer.from('GIF89a...'), name: 'cat.gif' };
      const error = (await pool.decodeImage(request, workerTask('7')).catch((e: unknown) => e)) as Error & {
        exceptionType?: string;
      };
      assert.equal(error.exceptionType, 'UnidentifiedImageError');
      assert.match(error.message, /cannot identify image file 'cat\.gif'/);
    } finally {
      await pool.dispose();
    }
  });

  it("the engine's hook decodes a large image on a worker and a small one on its own thread", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const hooks = imageCodingHooks(workerTask('7'), () => pool);
      const threadOf = async (bytes: Uint8Array) => {
        const [image] = (await hooks.decodeImage({ kind: 'image', bytes, name: 'x.png' })) as ImageTensor[];
        return allocatedOnThisThread(image.data.buffer as SharedArrayBuffer) ? 'here' : 'worker';
      };
      // 640 x 480 RGBA is 1.2 million values, above the hand-off size; 16 x 16 is far below it.
      assert.deepEqual(
        [await threadOf(randomPng(640, 480)), await threadOf(randomPng(16, 16))],
        ['worker', 'here'],
      );
    } finally {
      await pool.dispose();
    }
  });

  it("the engine's hook decodes on its own thread when the engine has no workers", async () => {
    const hooks = imageCodingHooks(workerTask('7'), () => undefined);
    const [image] = (await hooks.decodeImage({
      kind: 'image',
      bytes: randomPng(640, 480),
      name: 'x.png',
    })) as [ImageTensor];
    assert.deepEqual(
      [image.width, image.height, allocatedOnThisThread(image.data.buffer as SharedArrayBuffer)],
      [640, 480, true],
    );
  });

  it('an engine with workers loads a large image, and its mask, as one without', async () => {
    const bytes = randomPng(640, 480);
    const prompt: ApiPrompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'big.png' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'image' } },
      '3': { class_type: 'MaskToImage', inputs: { mask: ['1', 1] } },
      '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'mask' } },
    };
    const put = (dirs: { inputDir: string }) => writeFileSync(join(dirs.inputDir, 'big.png'), bytes);
    const saved = [await filesSavedBy(prompt, true, put), await filesSavedBy(prompt, false, put)];
    assert.equal(saved[0].length, 2);
    assert.ok(saved[0].every((file, i) => file.bytes.equals(saved[1][i].bytes)));
  });

  it('an engine with workers decodes a large input image on a worker, one without on its own thread', async () => {
    const bytes = randomPng(640, 480);
    const threads: string[] = [];
    const probe = defineNode('PreviewImage', {
      run: (inputs) => {
        const image = inputs.images as ImageTensor;
        threads.push(allocatedOnThisThread(image.data.buffer as SharedArrayBuffer) ? 'here' : 'worker');
        return { outputs: [] };
      },
    });
    const nodes = createRegistry(
      [...builtinNodes.values()].filter((n) => n.classType !== 'PreviewImage'),
      [probe],
    );
    const prompt: ApiPrompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'big.png' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    };
    for (const workers of [true, false]) {
      const dirs = testDirs();
      writeFileSync(join(dirs.inputDir, 'big.png'), bytes);
      const engine = createEngine({ ...dirs, nodes, workers });
      try {
        assert.equal((await engine.execute(prompt, { promptId: `probe-${workers}` })).status, 'success');
      } finally {
        await engine.dispose();
      }
    }
    assert.deepEqual(threads, ['worker', 'here']);
  });
});
