import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decode as fastDecode, encode as fastEncode } from 'fast-png';
import { decodePng, encodePng } from '../../../src/core/engine/pngCodec';
import { NodeException } from '../../../src/core/engine/types';
import { readPngText } from '../../../src/core/workflow/pngText';
import { corpusDir } from './conformanceHarness';
import { buildPng, pngChunk } from './pngTestFiles';

const inputs = join(corpusDir, 'inputs');

function thrown(f: () => unknown): NodeException {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof NodeException, `expected a NodeException, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an exception');
}

/** A 1x1 8-bit grey PNG with `chunks` between its header and its image data. */
function greyPixelWith(...chunks: [string, Uint8Array][]): Uint8Array {
  return buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0], chunks });
}

describe('pngCodec decodePng', () => {
  it("gives a palette image's PLTE as RGB triples and its tRNS as one alpha per entry", () => {
    const png = decodePng(readFileSync(join(inputs, 'p_palette_trns_40x32.png')));
    assert.equal(png.colorType, 3);
    assert.deepEqual(Array.from(png.palette!.subarray(12, 15)), [128, 64, 200]);
    assert.deepEqual(Array.from(png.paletteAlpha!.subarray(3, 7)), [255, 128, 0, 255]);
  });

  it("gives an RGB image's tRNS as the unscaled transparent colour", () => {
    // Three pixels at least: fast-png 8 counts an RGB tRNS's samples against the pixel count.
    const chunks: [string, Uint8Array][] = [['tRNS', Uint8Array.of(0, 1, 0, 2, 1, 0)]];
    const samples = new Array<number>(3 * 3).fill(1);
    const png = decodePng(buildPng({ width: 3, height: 1, depth: 8, colorType: 2, samples, chunks }));
    assert.deepEqual(Array.from(png.transparency!), [1, 2, 256]);
  });

  it('de-interlaces an Adam7 RGB image to the same pixels as the plain one', () => {
    const data = Uint8Array.from({ length: 13 * 11 * 3 }, (_, i) => (i * 37) % 256);
    const image = { width: 13, height: 11, data, channels: 3, depth: 8 as const };
    const interlaced = decodePng(fastEncode(image, { interlace: 'Adam7' }));
    assert.deepEqual(Array.from(interlaced.samples), Array.from(data));
  });

  for (const depth of [1, 2, 4] as const) {
    it(`unpacks ${depth}-bit samples one to a byte without scaling them`, () => {
      const samples = Array.from({ length: 9 * 7 }, (_, i) => (i * 5) % (1 << depth));
      const png = decodePng(buildPng({ width: 9, height: 7, depth, colorType: 0, samples }));
      assert.deepEqual(Array.from(png.samples), samples);
    });
  }

  it('refuses an interlaced image with 1-, 2- or 4-bit samples, which fast-png cannot de-interlace', () => {
    const samples = new Array<number>(9 * 7).fill(3);
    const bytes = buildPng({ width: 9, height: 7, depth: 2, colorType: 0, samples, interlaced: true });
    assert.equal(thrown(() => decodePng(bytes)).exceptionType, 'OSError');
  });

  it('reads 16-bit grey samples whole', () => {
    const samples = [0, 1, 255, 256, 65535, 4660];
    const png = decodePng(buildPng({ width: 3, height: 2, depth: 16, colorType: 0, samples }));
    assert.ok(png.samples instanceof Uint16Array);
    assert.deepEqual(Array.from(png.samples), samples);
  });

  it('reads tEXt, zTXt and iTXt chunks by keyword', () => {
    const latin = (s: string) => Buffer.from(s, 'latin1');
    const png = decodePng(
      greyPixelWith(
        ['tEXt', latin('plain\0caf\u00e9')],
        ['zTXt', Buffer.concat([latin('packed\0\0'), deflateSync(latin('squeezed'))])],
        ['iTXt', Buffer.concat([latin('intl\0\0\0en\0\0'), Buffer.from('\u263a', 'utf8')])],
      ),
    );
    assert.deepEqual(Object.fromEntries(png.texts), {
      plain: 'caf\u00e9',
      packed: 'squeezed',
      intl: '\u263a',
    });
  });

  it('keeps the eXIf chunk', () => {
    const png = decodePng(greyPixelWith(['eXIf', Uint8Array.of(1, 2, 3)]));
    assert.deepEqual(Array.from(png.exif!), [1, 2, 3]);
  });

  it('refuses a file that is not a PNG as Pillow does', () => {
    const e = thrown(() => decodePng(Buffer.from('GIF89a not a png')));
    assert.equal(e.exceptionType, 'UnidentifiedImageError');
  });

  it('refuses a header with a colour type and depth that make no PNG mode', () => {
    const bytes = buildPng({ width: 1, height: 1, depth: 4, colorType: 2, samples: [1, 2, 3] });
    assert.equal(thrown(() => decodePng(bytes)).exceptionType, 'SyntaxError');
  });

  it('reports a file cut short as truncated', () => {
    const full = readFileSync(join(inputs, 'p_rgb_ramp_64x48.png'));
    const cut = Buffer.concat([full.subarray(0, 33), pngChunk(['IDAT', deflateSync(Buffer.alloc(50))])]);
    assert.equal(thrown(() => decodePng(cut)).exceptionType, 'OSError');
  });

  it('reports image data that cannot be unfiltered as OSError', () => {
    const header = Buffer.from(greyPixelWith()).subarray(0, 33);
    const idat = pngChunk(['IDAT', deflateSync(Uint8Array.of(7, 0))]);
    const bytes = Buffer.concat([header, idat, pngChunk(['IEND', new Uint8Array(0)])]);
    assert.equal(thrown(() => decodePng(bytes)).exceptionType, 'OSError');
  });

  it('refuses an image larger than Pillow accepts', () => {
    const bytes = Buffer.from(buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0] }));
    bytes.writeUInt32BE(20000, 16);
    bytes.writeUInt32BE(20000, 20);
    assert.equal(thrown(() => decodePng(bytes)).exceptionType, 'DecompressionBombError');
  });
});

describe('pngCodec encodePng', () => {
  const rgba = {
    width: 5,
    height: 3,
    channels: 4 as const,
    data: Uint8Array.from({ length: 60 }, (_, i) => i * 4),
  };

  it('writes pixels and tEXt chunks that read back unchanged', () => {
    const texts: [string, string][] = [
      ['prompt', '{"1": {}}'],
      ['workflow', '{}'],
    ];
    const png = decodePng(encodePng(rgba, texts, 4));
    assert.deepEqual([png.width, png.height, png.colorType, png.depth], [5, 3, 6, 8]);
    assert.deepEqual(Array.from(png.samples), Array.from(rgba.data));
    assert.deepEqual([...png.texts], texts);
  });

  it('writes RGB and grey+alpha colour types by channel count', () => {
    const rgb = encodePng({ width: 2, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3, 4, 5, 6) }, [], 4);
    const la = encodePng({ width: 2, height: 1, channels: 2, data: Uint8Array.of(9, 8, 7, 6) }, [], 4);
    assert.equal(fastDecode(rgb).channels, 3);
    assert.deepEqual(Array.from(fastDecode(la).data), [9, 8, 7, 6]);
  });

  it('writes a repeated keyword once, with its last text', () => {
    const png = encodePng(
      rgba,
      [
        ['prompt', 'first'],
        ['prompt', 'second'],
      ],
      4,
    );
    assert.deepEqual(
      readPngText(png).chunks.map((c) => c.text),
      ['second'],
    );
  });

  it('compresses at the requested zlib level', () => {
    const flat = { width: 64, height: 64, channels: 3 as const, data: new Uint8Array(64 * 64 * 3) };
    assert.ok(encodePng(flat, [], 0).length > flat.data.length);
    assert.ok(encodePng(flat, [], 9).length < flat.data.length / 10);
  });

  it('refuses text that Latin-1 cannot hold', () => {
    assert.equal(thrown(() => encodePng(rgba, [['\u263a', 'x']], 4)).exceptionType, 'UnicodeEncodeError');
  });
});
