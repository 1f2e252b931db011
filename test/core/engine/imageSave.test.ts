import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { ioNodes } from '../../../src/core/engine/nodes/imageIo';
import { imageFrom } from '../../../src/core/engine/tensor';
import type { FileRef, ImageTensor, NodeContext } from '../../../src/core/engine/types';
import { failure, ioNode, testContext } from './pngTestFiles';

describe('SaveImage and PreviewImage', () => {
  const batch = imageFrom(Float32Array.of(0, 0.5, 1, 1.2, -0.1, NaN, 0.999, 0.25, 0.75), 3, 1, 1, 3);
  const prompt = {
    '1': {
      class_type: 'SaveImage',
      inputs: { images: ['2', 0], filename_prefix: 'out/%SaveImage.missing%' },
    },
  };

  async function save(ctx: NodeContext, images: ImageTensor, filename_prefix: string): Promise<FileRef[]> {
    const result = await ioNode('SaveImage').run({ images, filename_prefix }, ctx);
    return result.ui!.images as FileRef[];
  }

  it('writes one PNG per batch element and lists them in batch order', async () => {
    const { ctx, dirs } = testContext();
    const refs = await save(ctx, batch, 'shot');
    assert.deepEqual(
      refs,
      [0, 1, 2].map((i) => ({ filename: `shot_0000${i + 1}_.png`, subfolder: '', type: 'output' })),
    );
    assert.deepEqual(
      readdirSync(dirs.outputDir).sort(),
      refs.map((r) => r.filename),
    );
  });

  it('converts floats to bytes by clipping 255 * x and truncating, like numpy', async () => {
    const { ctx, dirs } = testContext();
    const refs = await save(ctx, batch, 'px');
    const pixels = refs.map((r) => Array.from(decode(readFileSync(join(dirs.outputDir, r.filename))).data));
    assert.deepEqual(pixels, [
      [0, 127, 255],
      [255, 0, 0],
      [254, 63, 191],
    ]);
  });

  it('saves a 4-channel image as RGBA', async () => {
    const { ctx, dirs } = testContext();
    const [ref] = await save(ctx, imageFrom(Float32Array.of(1, 0, 0, 0.5), 1, 1, 1, 4), 'rgba');
    assert.equal(decode(readFileSync(join(dirs.outputDir, ref.filename))).channels, 4);
  });

  it('continues the counter after files already there and saves into the subfolder', async () => {
    const { ctx, dirs } = testContext();
    mkdirSync(join(dirs.outputDir, 'sub'));
    writeFileSync(join(dirs.outputDir, 'sub', 'shot_00041_.png'), '');
    const refs = await save(ctx, batch, 'sub/shot');
    assert.deepEqual(
      refs.map((r) => [r.filename, r.subfolder]),
      [
        ['shot_00042_.png', 'sub'],
        ['shot_00043_.png', 'sub'],
        ['shot_00044_.png', 'sub'],
      ],
    );
  });

  it("writes and describes the files the context's encoder gives, asked for each batch element in order", async () => {
    const { ctx, dirs } = testContext();
    const asked: number[] = [];
    const encodePng: NodeContext['encodePng'] = (request) => {
      asked.push(request.index);
      const bytes = Uint8Array.of(request.index, request.level);
      return Promise.resolve({ bytes, sha256: `hash-${request.index}` });
    };
    const result = await ioNode('SaveImage').run(
      { images: batch, filename_prefix: 'enc' },
      { ...ctx, encodePng },
    );
    assert.deepEqual(asked, [0, 1, 2]);
    assert.deepEqual(
      result.files!.map((f) => [f.filename, f.size, f.sha256]),
      [0, 1, 2].map((i) => [`enc_0000${i + 1}_.png`, 2, `hash-${i}`]),
    );
    assert.deepEqual(Array.from(readFileSync(join(dirs.outputDir, 'enc_00002_.png'))), [1, 4]);
  });

  it('gives concurrent saves with one prefix distinct counters', async () => {
    const { ctx } = testContext();
    const all = await Promise.all([
      save(ctx, batch, 'same'),
      save(ctx, batch, 'same'),
      save(ctx, batch, 'same'),
    ]);
    const names = all.flat().map((r) => r.filename);
    assert.equal(new Set(names).size, 9);
  });

  it('refuses a prefix that leaves the output folder', async () => {
    const { ctx } = testContext();
    assert.equal((await failure(save(ctx, batch, '../x'))).exceptionType, 'Exception');
  });

  it('writes the prompt and each extra_pnginfo key as JSON text chunks', async () => {
    const { ctx, dirs } = testContext(prompt);
    const withInfo = { ...ctx, extraPngInfo: { workflow: { nodes: [], note: 'caf\u00e9' } } };
    const [ref] = await save(withInfo, batch, 'meta');
    const { text } = decode(readFileSync(join(dirs.outputDir, ref.filename)));
    assert.equal(
      text.prompt,
      '{"1": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "out/%SaveImage.missing%"}}}',
    );
    assert.equal(text.workflow, '{"nodes": [], "note": "caf\\u00e9"}');
  });

  it('applies the frontend substitutions to a typed prefix', async () => {
    const { ctx } = testContext(
      { '7': { class_type: 'SaveImage', inputs: { filename_prefix: '%SaveImage.filename_prefix%' } } },
      '7',
    );
    const [ref] = await save(ctx, imageFrom(new Float32Array(3), 1, 1, 1, 3), 'x/%date:yyyy%');
    assert.match(ref.filename, /^\d{4}_00001_\.png$/);
    assert.equal(ref.subfolder, 'x');
  });

  it('leaves no temporary files behind', async () => {
    const { ctx, dirs } = testContext();
    await save(ctx, batch, 'clean');
    assert.deepEqual(readdirSync(dirs.outputDir).sort(), [
      'clean_00001_.png',
      'clean_00002_.png',
      'clean_00003_.png',
    ]);
  });

  it('PreviewImage writes to the temp folder as ComfyUI_temp_<5 letters>', async () => {
    const { ctx, dirs } = testContext();
    const result = await ioNode('PreviewImage').run({ images: batch }, ctx);
    const refs = result.ui!.images as FileRef[];
    assert.equal(refs.length, 3);
    assert.ok(refs.every((r, i) => r.type === 'temp' && r.filename.endsWith(`_0000${i + 1}_.png`)));
    assert.match(refs[0].filename, /^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    assert.ok(existsSync(join(dirs.tempDir, refs[0].filename)));
  });

  it('marks none of the file nodes heavy', () => {
    assert.deepEqual(ioNodes.map((n) => n.classType).sort(), [
      'LoadImage',
      'LoadImageMask',
      'PreviewImage',
      'SaveImage',
    ]);
    assert.deepEqual(
      ioNodes.filter((n) => n.heavy),
      [],
    );
  });
});
