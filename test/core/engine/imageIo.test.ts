import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { listInputImages } from '../../../src/core/engine/inputImages';
import type { ImageTensor, MaskTensor, NodeContext } from '../../../src/core/engine/types';
import { tempDir } from '../../fakes/tempDirs';
import { corpusDir } from './conformanceHarness';
import { buildPng, exifWithOrientation, failure, ioNode, testContext } from './pngTestFiles';

const KINDS = {
  rgb: 'p_rgb_ramp_64x48.png',
  rgba: 'p_rgba_bands_48x40.png',
  grey: 'p_gray_checker_37x53.png',
  palette: 'p_palette_trns_40x32.png',
  grey16: 'p_gray16_32x24.png',
};

/** A context whose input folder holds the corpus inputs. */
function withInputs(prompt = {}, nodeId = '1') {
  const t = testContext(prompt, nodeId);
  for (const f of Object.values(KINDS)) copyFileSync(join(corpusDir, 'inputs', f), join(t.dirs.inputDir, f));
  return t;
}

async function load(ctx: NodeContext, image: string): Promise<[ImageTensor, MaskTensor]> {
  return (await ioNode('LoadImage').run({ image }, ctx)).outputs as [ImageTensor, MaskTensor];
}

async function loadMask(ctx: NodeContext, image: string, channel: string): Promise<MaskTensor> {
  return (await ioNode('LoadImageMask').run({ image, channel }, ctx)).outputs[0] as MaskTensor;
}

describe('LoadImage', () => {
  it('loads every input kind as a one-element RGB image of its size', async () => {
    const { ctx } = withInputs();
    const sizes = [];
    for (const f of Object.values(KINDS)) {
      const [image] = await load(ctx, f);
      sizes.push([image.batch, image.width, image.height, image.channels]);
    }
    assert.deepEqual(sizes, [
      [1, 64, 48, 3],
      [1, 48, 40, 3],
      [1, 37, 53, 3],
      [1, 40, 32, 3],
      [1, 32, 24, 3],
    ]);
  });

  it('stores each byte as byte / 255 in float32', async () => {
    const { ctx } = withInputs();
    const [image] = await load(ctx, KINDS.rgb);
    const png = decode(readFileSync(join(corpusDir, 'inputs', KINDS.rgb)));
    assert.equal(image.data.length, 64 * 48 * 3);
    assert.equal(image.data.length, png.data.length);
    assert.ok(image.data.every((v, i) => v === Math.fround(png.data[i] / 255)));
  });

  it('gives images without alpha the 64x64 zero mask', async () => {
    const { ctx } = withInputs();
    for (const f of [KINDS.rgb, KINDS.grey, KINDS.grey16]) {
      const [, mask] = await load(ctx, f);
      assert.deepEqual([mask.batch, mask.height, mask.width, mask.data.length], [1, 64, 64, 64 * 64]);
      assert.ok(mask.data.every((v) => v === 0));
    }
  });

  it('makes the mask 1 - alpha for RGBA and for palette transparency', async () => {
    const { ctx } = withInputs();
    const [, rgbaMask] = await load(ctx, KINDS.rgba);
    const alpha = decode(readFileSync(join(corpusDir, 'inputs', KINDS.rgba))).data.filter(
      (_, i) => i % 4 === 3,
    );
    assert.equal(rgbaMask.data.length, 48 * 40);
    assert.equal(alpha.length, rgbaMask.data.length);
    assert.ok(rgbaMask.data.every((v, p) => v === Math.fround(1 - Math.fround(alpha[p] / 255))));
    const [, paletteMask] = await load(ctx, KINDS.palette);
    assert.deepEqual([paletteMask.height, paletteMask.width], [32, 40]);
    assert.deepEqual(new Set(paletteMask.data), new Set([0, Math.fround(1 - Math.fround(128 / 255)), 1]));
  });

  it('scales 16-bit grey by 1/255 with truncation and clips it to 255', async () => {
    const { ctx } = withInputs();
    const [image] = await load(ctx, KINDS.grey16);
    const raw = decode(readFileSync(join(corpusDir, 'inputs', KINDS.grey16))).data;
    assert.deepEqual([image.data.length, raw.length], [32 * 24 * 3, 32 * 24]);
    assert.ok(
      image.data.every(
        (v, i) => v === Math.fround(Math.min(255, Math.trunc(raw[Math.floor(i / 3)] / 255)) / 255),
      ),
    );
  });

  it('turns the image upright by its EXIF orientation', async () => {
    const { ctx, dirs } = testContext();
    const chunks: [string, Uint8Array][] = [['eXIf', exifWithOrientation(6)]];
    writeFileSync(
      join(dirs.inputDir, 'turned.png'),
      buildPng({ width: 2, height: 1, depth: 8, colorType: 0, samples: [0, 255], chunks }),
    );
    const [image] = await load(ctx, 'turned.png');
    assert.deepEqual([image.width, image.height, image.data[0], image.data[3]], [1, 2, 0, 1]);
  });

  it('reads a name with a subfolder and an [output] annotation', async () => {
    const { ctx, dirs } = withInputs();
    mkdirSync(join(dirs.inputDir, 'sub'));
    copyFileSync(join(dirs.inputDir, KINDS.rgb), join(dirs.inputDir, 'sub', 'x.png'));
    copyFileSync(join(dirs.inputDir, KINDS.grey), join(dirs.outputDir, 'y.png'));
    assert.equal((await load(ctx, 'sub/x.png'))[0].width, 64);
    assert.equal((await load(ctx, 'y.png [output]'))[0].width, 37);
  });

  it("hands the file's bytes to the context's decoder when it has one and gives its outputs", async () => {
    const { ctx, dirs } = withInputs();
    const asked: unknown[] = [];
    const decoded = [{ stands: 'for the image' }, { stands: 'for the mask' }];
    const decodeImage: NodeContext['decodeImage'] = (request) => {
      asked.push({
        ...request,
        bytes: Buffer.from(request.bytes).equals(readFileSync(join(dirs.inputDir, KINDS.rgb))),
      });
      return Promise.resolve(decoded);
    };
    const image = await ioNode('LoadImage').run({ image: KINDS.rgb }, { ...ctx, decodeImage });
    const mask = await ioNode('LoadImageMask').run(
      { image: KINDS.rgb, channel: 'green' },
      { ...ctx, decodeImage },
    );
    assert.deepEqual(asked, [
      { kind: 'image', bytes: true, name: KINDS.rgb },
      { kind: 'mask', bytes: true, name: KINDS.rgb, channel: 'green' },
    ]);
    assert.deepEqual([image.outputs, mask.outputs], [decoded, decoded]);
  });

  it('fails like ComfyUI for a missing file', async () => {
    const { ctx } = withInputs();
    const e = await failure(load(ctx, 'missing.png'));
    assert.deepEqual([e.exceptionType, e.message], ['FileNotFoundError', 'Invalid image file: missing.png']);
  });

  it('refuses a name that leaves the input folder', async () => {
    const { ctx } = withInputs();
    assert.equal((await failure(load(ctx, '../output/x.png'))).exceptionType, 'ValueError');
  });

  it('refuses a symlink in the input folder that points to a file outside it', async () => {
    const { ctx, dirs } = withInputs();
    const outside = tempDir('comfy-outside-');
    copyFileSync(join(dirs.inputDir, KINDS.rgb), join(outside, 'secret.png'));
    symlinkSync(join(outside, 'secret.png'), join(dirs.inputDir, 'link.png'));
    const e = await failure(load(ctx, 'link.png'));
    assert.deepEqual([e.exceptionType, e.message.includes('symlink')], ['ValueError', true]);
  });

  it('refuses a file under a symlinked subfolder that leads outside the input folder', async () => {
    const { ctx, dirs } = withInputs();
    const outside = tempDir('comfy-outside-');
    copyFileSync(join(dirs.inputDir, KINDS.rgb), join(outside, 'secret.png'));
    symlinkSync(outside, join(dirs.inputDir, 'elsewhere'));
    assert.equal((await failure(load(ctx, 'elsewhere/secret.png'))).exceptionType, 'ValueError');
  });

  it('follows a symlink that stays inside the input folder', async () => {
    const { ctx, dirs } = withInputs();
    symlinkSync(join(dirs.inputDir, KINDS.rgb), join(dirs.inputDir, 'alias.png'));
    assert.equal((await load(ctx, 'alias.png'))[0].width, 64);
  });

  it('refuses a file that is not a PNG', async () => {
    const { ctx, dirs } = withInputs();
    writeFileSync(join(dirs.inputDir, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    assert.equal((await failure(load(ctx, 'photo.jpg'))).exceptionType, 'UnidentifiedImageError');
  });

  it('fingerprints the file by the SHA-256 of its content', async () => {
    const { ctx, dirs } = withInputs();
    const expected = createHash('sha256')
      .update(readFileSync(join(dirs.inputDir, KINDS.rgb)))
      .digest('hex');
    assert.equal(await ioNode('LoadImage').fingerprint!({ image: KINDS.rgb }, ctx), expected);
  });

  it('fingerprints an unreadable file differently every time, so it always re-runs', async () => {
    const { ctx } = withInputs();
    const fingerprint = ioNode('LoadImageMask').fingerprint!;
    assert.notEqual(
      await fingerprint({ image: 'gone.png' }, ctx),
      await fingerprint({ image: 'gone.png' }, ctx),
    );
  });

  it('advertises the sorted image files of the input folder', async () => {
    const { dirs } = withInputs();
    mkdirSync(join(dirs.inputDir, 'folder.png'));
    for (const f of ['notes.txt', '.hidden.png', 'B.PNG', 'a.webp'])
      writeFileSync(join(dirs.inputDir, f), '');
    const def = ioNode('LoadImage').liveDef!({ inputImages: await listInputImages(dirs.inputDir) });
    const [names, options] = def.input.required!.image;
    assert.deepEqual(names, ['B.PNG', 'a.webp', ...Object.values(KINDS).sort()]);
    assert.deepEqual(options, { image_upload: true });
  });
});

describe('LoadImageMask', () => {
  it('takes red, green and blue of an RGBA image as they are and alpha inverted', async () => {
    const { ctx } = withInputs();
    const px = decode(readFileSync(join(corpusDir, 'inputs', KINDS.rgba))).data;
    for (const [channel, band] of [
      ['red', 0],
      ['green', 1],
      ['blue', 2],
    ] as const) {
      const mask = await loadMask(ctx, KINDS.rgba, channel);
      assert.equal(mask.data.length, 48 * 40, channel);
      assert.ok(
        mask.data.every((v, p) => v === Math.fround(px[p * 4 + band] / 255)),
        channel,
      );
    }
    const alpha = await loadMask(ctx, KINDS.rgba, 'alpha');
    assert.equal(alpha.data.length, 48 * 40);
    assert.ok(alpha.data.every((v, p) => v === Math.fround(1 - Math.fround(px[p * 4 + 3] / 255))));
  });

  it('gives alpha of an image without alpha as zeros of the image size', async () => {
    const { ctx } = withInputs();
    const mask = await loadMask(ctx, KINDS.grey, 'alpha');
    assert.deepEqual([mask.height, mask.width, mask.data.length], [53, 37, 53 * 37]);
    assert.ok(mask.data.every((v) => v === 0));
  });

  it('reads a channel of a 16-bit image after the 1/255 scaling', async () => {
    const { ctx } = withInputs();
    const mask = await loadMask(ctx, KINDS.grey16, 'green');
    assert.equal(mask.data[mask.data.length - 1], Math.fround(Math.min(255, Math.trunc(60021 / 255)) / 255));
  });

  it('turns a grey tRNS colour into alpha, as Pillow converts to RGBA', async () => {
    const { ctx, dirs } = testContext();
    const chunks: [string, Uint8Array][] = [['tRNS', Uint8Array.of(0, 7)]];
    writeFileSync(
      join(dirs.inputDir, 't.png'),
      buildPng({ width: 2, height: 1, depth: 8, colorType: 0, samples: [7, 8], chunks }),
    );
    assert.deepEqual(Array.from((await loadMask(ctx, 't.png', 'alpha')).data), [1, 0]);
  });
});
