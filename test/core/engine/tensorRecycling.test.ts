import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createEngine } from '../../../src/core/engine/executor';
import type { CacheEntry } from '../../../src/core/engine/executionCache';
import { builtinNodes } from '../../../src/core/engine/registry';
import {
  createImage,
  heldBufferBytes,
  recycleSharedBuffers,
  releaseHeldBuffers,
  sharedFloats,
} from '../../../src/core/engine/tensor';
import { recyclableBuffers } from '../../../src/core/engine/tensorRecycling';
import type { WrittenFile } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { testDirs } from '../../fakes/testDirs';

const entry = (...outputs: unknown[]): CacheEntry => ({ outputs });
const bufferOf = (data: Float32Array) => data.buffer as SharedArrayBuffer;

describe('reuse of tensor buffers', () => {
  beforeEach(releaseHeldBuffers);
  afterEach(releaseHeldBuffers);

  it('gives a buffer handed back to the next array of its size, zero-filled again', () => {
    const first = sharedFloats(1000).fill(0.5);
    recycleSharedBuffers([bufferOf(first)]);
    const other = sharedFloats(999);
    const again = sharedFloats(1000);
    assert.notEqual(other.buffer, first.buffer);
    assert.equal(again.buffer, first.buffer);
    assert.ok(again.every((v) => Object.is(v, 0)));
  });

  it('never takes back a buffer this thread did not allocate', () => {
    const foreign = new SharedArrayBuffer(4000);
    recycleSharedBuffers([foreign]);
    assert.equal(heldBufferBytes(), 0);
    assert.notEqual(sharedFloats(1000).buffer, foreign);
  });

  it('hands back the dropped tensors no kept entry uses, and never one a kept entry uses', () => {
    const shared = createImage(1, 2, 2, 3);
    const alone = createImage(1, 2, 2, 3);
    const view = { ...shared, data: shared.data.subarray(3) };
    const kept = [entry(view, 7, 'text', null)];
    const free = recyclableBuffers([entry(shared, alone), entry(alone)], kept);
    assert.deepEqual(free, [bufferOf(alone.data)]);
  });

  it('hands back nothing while a kept output could hide a reference: a foreign buffer or an object', () => {
    const dropped = [entry(createImage(1, 2, 2, 3))];
    const foreign = {
      kind: 'IMAGE',
      batch: 1,
      height: 1,
      width: 1,
      channels: 1,
      data: new Float32Array(new SharedArrayBuffer(4)),
    };
    assert.deepEqual(recyclableBuffers(dropped, [entry(foreign)]), []);
    assert.deepEqual(recyclableBuffers(dropped, [entry({ images: [] })]), []);
    assert.equal(recyclableBuffers(dropped, [entry(1, 'a')]).length, 1);
  });

  it('an engine of the built-in nodes keeps its dropped outputs for reuse when its cache is cleared', async () => {
    const engine = createEngine(testDirs());
    try {
      const prompt: ApiPrompt = {
        '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 48, batch_size: 1, color: 0x123456 } },
        '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
        '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
      };
      assert.equal((await engine.execute(prompt, { promptId: 'a' })).status, 'success');
      assert.equal(heldBufferBytes(), 0);
      engine.clearCache();
      assert.equal(heldBufferBytes(), 2 * 64 * 48 * 3 * 4);
    } finally {
      await engine.dispose();
    }
  });

  it('an engine of other nodes hands nothing back', async () => {
    const engine = createEngine({ ...testDirs(), nodes: new Map(builtinNodes) });
    try {
      const prompt: ApiPrompt = {
        '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 48, batch_size: 1, color: 0x123456 } },
        '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
      };
      await engine.execute(prompt, { promptId: 'a' });
      engine.clearCache();
      assert.equal(heldBufferBytes(), 0);
    } finally {
      await engine.dispose();
    }
  });

  it('saves byte for byte what an engine without reuse saves, over prompts that reuse each other’s buffers', async () => {
    // The sizes repeat across the prompts so that buffers are reused (whether a reused buffer is cleared
    // is the first test's); what must not change is any byte saved.
    const prompts: ApiPrompt[] = [0x336699, 0x996633, 0x336699].map((color, i) => ({
      '1': { class_type: 'EmptyImage', inputs: { width: 96, height: 64, batch_size: 2, color } },
      '2': {
        class_type: 'ImagePadForOutpaint',
        inputs: { image: ['1', 0], left: 8, top: 4, right: 0, bottom: 12, feathering: 6 },
      },
      '3': {
        class_type: 'ImageScale',
        inputs: {
          image: ['2', 0],
          upscale_method: ['bicubic', 'area', 'bilinear'][i],
          width: 96,
          height: 64,
          crop: 'center',
        },
      },
      '4': {
        class_type: 'ImageBlend',
        inputs: { image1: ['3', 0], image2: ['1', 0], blend_factor: 0.4, blend_mode: 'overlay' },
      },
      '5': { class_type: 'ImageInvert', inputs: { image: ['4', 0] } },
      '6': { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: `p${i}` } },
    }));
    const saved: Buffer[][] = [];
    /** Bytes held for reuse after the reusing engine's cache was cleared, and after its next prompt. */
    const held: number[] = [];
    for (const nodes of [builtinNodes, new Map(builtinNodes)]) {
      // The engine without reuse starts with nothing held, so it cannot take what the other left.
      releaseHeldBuffers();
      const engine = createEngine({ ...testDirs(), nodes });
      const files: Buffer[] = [];
      try {
        for (const [i, prompt] of prompts.entries()) {
          const written: WrittenFile[] = [];
          const outcome = await engine.execute(prompt, {
            promptId: `p${i}`,
            onFileWritten: (_, f) => written.push(f),
          });
          assert.equal(outcome.status, 'success');
          files.push(...written.map((f) => readFileSync(f.path)));
          if (nodes === builtinNodes && i < 2) held.push(heldBufferBytes());
          if (i === 0) engine.clearCache();
          if (nodes === builtinNodes && i === 0) held.push(heldBufferBytes());
        }
      } finally {
        await engine.dispose();
      }
      saved.push(files);
    }
    const [afterFirst, afterClear, afterSecond] = held;
    assert.ok(afterClear > afterFirst, `buffers held for reuse after the clear: ${held.join(', ')}`);
    assert.ok(afterSecond < afterClear, `the second prompt took held buffers: ${held.join(', ')}`);
    assert.equal(saved[0].length, 6);
    saved[0].forEach((bytes, i) => assert.ok(bytes.equals(saved[1][i]), `file ${i}`));
  });
});
