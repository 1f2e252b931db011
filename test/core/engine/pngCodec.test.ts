import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { decode as fastDecode, encode as fastEncode } from 'fast-png';
import { decodePng, encodePng } from '../../../src/core/engine/pngCodec';
import { NodeException } from '../../../src/core/engine/types';
import { corpusDir } from './conformanceHarness';
import { buildPng, pngChunk } from './pngTestFiles';

const inputs = join(corpusDir, 'inputs');

function chunkTypes(png: Uint8Array): string[] {
  const buf = Buffer.from(png);
  const types: string[] = [];
  for (let o = 8; o < buf.length; o += 12 + buf.readUInt32BE(o))
    types.push(buf.toString('latin1', o + 4, o + 8));
  return types;
}

function idatOf(png: Uint8Array): Buffer {
  const buf = Buffer.from(png);
  const parts: Buffer[] = [];
  for (let o = 8; o < buf.length; o += 12 + buf.readUInt32BE(o)) {
    if (buf.toString('latin1', o + 4, o + 8) === 'IDAT')
      parts.push(buf.subarray(o + 8, o + 8 + buf.readUInt32BE(o)));
  }
  return Buffer.concat(parts);
}

async function rejection(p: Promise<unknown>): Promise<NodeException> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof NodeException, `expected a NodeException, got ${String(e)}`);
  return e;
}

describe('pngCodec decodePng', () => {
  for (const file of readdirSync(inputs)) {
    it(`decodes ${file} to the same samples as fast-png`, async () => {
      const bytes = readFileSync(join(inputs, file));
      const ours = await decodePng(bytes);
      const theirs = fastDecode(bytes);
      assert.deepEqual(
        [ours.width, ours.height, ours.depth, ours.channels],
        [theirs.width, theirs.height, theirs.depth, theirs.channels],
      );
      assert.deepEqual(Array.from(ours.samples), Array.from(theirs.data));
    });
  }

  it('keeps PLTE and tRNS of a palette image', async () => {
    const png = await decodePng(readFileSync(join(inputs, 'p_palette_trns_40x32.png')));
    assert.equal(png.colorType, 3);
    assert.deepEqual(Array.from(png.palette!.subarray(12, 15)), [128, 64, 200]);
    assert.deepEqual(Array.from(png.trns!.subarray(4, 6)), [128, 0]);
  });

  it('de-interlaces an Adam7 RGB image to the same pixels as the plain one', async () => {
    const data = Uint8Array.from({ length: 13 * 11 * 3 }, (_, i) => (i * 37) % 256);
    const plain = await decodePng(fastEncode({ width: 13, height: 11, data, channels: 3, depth: 8 }));
    const interlaced = await decodePng(
      fastEncode({ width: 13, height: 11, data, channels: 3, depth: 8 }, { interlace: 'Adam7' }),
    );
    assert.equal(interlaced.interlaced, true);
    assert.deepEqual(Array.from(interlaced.samples), Array.from(plain.samples));
  });

  for (const depth of [1, 2, 4] as const) {
    it(`unpacks ${depth}-bit samples, plain and interlaced, without scaling them`, async () => {
      const samples = Array.from({ length: 9 * 7 }, (_, i) => (i * 5) % (1 << depth));
      for (const interlaced of [false, true]) {
        const png = await decodePng(
          buildPng({ width: 9, height: 7, depth, colorType: 0, samples, interlaced }),
        );
        assert.deepEqual(Array.from(png.samples), samples);
      }
    });
  }

  it('reads 16-bit samples whole', async () => {
    const samples = [0, 1, 255, 256, 65535, 4660];
    const png = await decodePng(buildPng({ width: 2, height: 1, depth: 16, colorType: 2, samples }));
    assert.ok(png.samples instanceof Uint16Array);
    assert.deepEqual(Array.from(png.samples), samples);
  });

  it('reads tEXt, zTXt and iTXt chunks and the eXIf chunk', async () => {
    const latin = (s: string) => Buffer.from(s, 'latin1');
    const chunks: [string, Uint8Array][] = [
      ['tEXt', latin('plain\0caf\u00e9')],
      ['zTXt', Buffer.concat([latin('packed\0\0'), deflateSync(latin('squeezed'))])],
      ['iTXt', Buffer.concat([latin('intl\0\0\0en\0\0'), Buffer.from('\u263a', 'utf8')])],
      ['eXIf', Uint8Array.of(1, 2, 3)],
    ];
    const png = await decodePng(
      buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [7], chunks }),
    );
    assert.deepEqual(Object.fromEntries(png.texts), {
      plain: 'caf\u00e9',
      packed: 'squeezed',
      intl: '\u263a',
    });
    assert.deepEqual(Array.from(png.exif!), [1, 2, 3]);
  });

  it('refuses a file that is not a PNG as Pillow does', async () => {
    const e = await rejection(decodePng(Buffer.from('GIF89a not a png')));
    assert.equal(e.exceptionType, 'UnidentifiedImageError');
  });

  it('reports a file cut short as truncated', async () => {
    const full = readFileSync(join(inputs, 'p_rgb_ramp_64x48.png'));
    const cut = Buffer.concat([full.subarray(0, 33), pngChunk(['IDAT', deflateSync(Buffer.alloc(50))])]);
    const e = await rejection(decodePng(cut));
    assert.equal(e.exceptionType, 'OSError');
  });

  it('refuses an image larger than Pillow accepts', async () => {
    const bytes = Buffer.from(buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0] }));
    bytes.writeUInt32BE(20000, 16);
    bytes.writeUInt32BE(20000, 20);
    const e = await rejection(decodePng(bytes));
    assert.equal(e.exceptionType, 'DecompressionBombError');
  });
});

describe('pngCodec encodePng', () => {
  const rgba = {
    width: 5,
    height: 3,
    channels: 4 as const,
    data: Uint8Array.from({ length: 60 }, (_, i) => i * 4),
  };

  it('writes pixels that a PNG decoder reads back unchanged', async () => {
    const back = fastDecode(await encodePng(rgba, [], 4));
    assert.deepEqual([back.width, back.height, back.channels, back.depth], [5, 3, 4, 8]);
    assert.deepEqual(Array.from(back.data), Array.from(rgba.data));
  });

  it('writes RGB and grey+alpha colour types by channel count', async () => {
    const rgb = await encodePng(
      { width: 2, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3, 4, 5, 6) },
      [],
      4,
    );
    const la = await encodePng({ width: 2, height: 1, channels: 2, data: Uint8Array.of(9, 8, 7, 6) }, [], 4);
    assert.equal(fastDecode(rgb).channels, 3);
    assert.deepEqual(Array.from(fastDecode(la).data), [9, 8, 7, 6]);
  });

  it('puts the text chunks before the image data, in the given order', async () => {
    const png = await encodePng(
      rgba,
      [
        ['prompt', '{"1": {}}'],
        ['workflow', '{}'],
      ],
      4,
    );
    assert.deepEqual(chunkTypes(png), ['IHDR', 'tEXt', 'tEXt', 'IDAT', 'IEND']);
    assert.deepEqual(fastDecode(png).text, { prompt: '{"1": {}}', workflow: '{}' });
  });

  it("filters every reference image's rows exactly as Pillow did", async () => {
    const expected = join(corpusDir, 'expected');
    for (const workflow of readdirSync(expected)) {
      for (const file of readdirSync(join(expected, workflow)).filter((f) => f.endsWith('.png'))) {
        const reference = readFileSync(join(expected, workflow, file));
        const { width, height, channels, data } = fastDecode(reference);
        const raster = { width, height, channels: channels as 3 | 4, data: Uint8Array.from(data) };
        const ours = await encodePng(raster, [], 4);
        assert.ok(inflateSync(idatOf(ours)).equals(inflateSync(idatOf(reference))), `${workflow}/${file}`);
      }
    }
  });

  it('compresses at the requested zlib level', async () => {
    const fast = Buffer.from(await encodePng(rgba, [], 1));
    const idat = fast.indexOf('IDAT', 0, 'latin1');
    assert.equal(fast[idat + 5], 0x01);
    const level4 = Buffer.from(await encodePng(rgba, [], 4));
    assert.equal(level4[level4.indexOf('IDAT', 0, 'latin1') + 5], 0x5e);
  });

  it('splits the image data into IDAT chunks of at most 64 KiB, as Pillow does', async () => {
    const noise = new Uint8Array(randomBytes(256 * 256 * 3));
    const png = await encodePng({ width: 256, height: 256, channels: 3, data: noise }, [], 4);
    assert.ok(chunkTypes(png).filter((t) => t === 'IDAT').length > 1);
    assert.deepEqual(Array.from(fastDecode(png).data), Array.from(noise));
  });

  it('refuses text that Latin-1 cannot hold', async () => {
    const e = await rejection(encodePng(rgba, [['\u263a', 'x']], 4));
    assert.equal(e.exceptionType, 'UnicodeEncodeError');
  });
});
