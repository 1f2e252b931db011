import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { findPngChunk, isPng, readPngText } from '../../../src/core/workflow/pngText';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One PNG chunk (the CRC is left zero: the reader does not check it). */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  return out;
}

/** A PNG made of the signature and `chunks`, without pixels: the reader never looks at them. */
function png(...chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(
    Buffer.concat([Uint8Array.from(SIGNATURE), ...chunks, chunk('IEND', new Uint8Array())]),
  );
}

const bytes = (...parts: (string | number[] | Uint8Array)[]) =>
  new Uint8Array(
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))),
  );

describe('pngText', () => {
  it('reads the tEXt chunks fast-png writes', () => {
    const file = encode({
      width: 1,
      height: 1,
      data: new Uint8Array(3),
      channels: 3,
      text: { prompt: '{"a":1}' },
    });
    assert.deepEqual(readPngText(file), {
      chunks: [{ keyword: 'prompt', text: '{"a":1}', kind: 'tEXt' }],
      problems: [],
    });
  });

  it('reads compressed zTXt chunks', () => {
    const file = png(chunk('zTXt', bytes('workflow', [0, 0], deflateSync(Buffer.from('{"nodes":[]}')))));
    assert.deepEqual(readPngText(file).chunks, [{ keyword: 'workflow', text: '{"nodes":[]}', kind: 'zTXt' }]);
  });

  it('reads iTXt chunks, compressed or not, as UTF-8', () => {
    const plain = chunk('iTXt', bytes('prompt', [0, 0, 0], 'en', [0], [0], '{"t":"é"}'));
    const packed = chunk(
      'iTXt',
      bytes('workflow', [0, 1, 0], [0], [0], deflateSync(Buffer.from('{"u":"✓"}'))),
    );
    assert.deepEqual(
      readPngText(png(plain, packed)).chunks.map((c) => c.text),
      ['{"t":"é"}', '{"u":"✓"}'],
    );
  });

  it('decodes tEXt as Latin-1, byte for byte', () => {
    const file = png(chunk('tEXt', bytes('k', [0], [0x93, 0xe9])));
    assert.equal(readPngText(file).chunks[0].text, '\u0093\u00e9');
  });

  it('stops at a truncated chunk and says so, keeping what it read before', () => {
    const good = chunk('tEXt', bytes('prompt', [0], '{}'));
    const cut = chunk('tEXt', bytes('workflow', [0], '{"nodes":[]}')).subarray(0, 12);
    const result = readPngText(new Uint8Array(Buffer.concat([Uint8Array.from(SIGNATURE), good, cut])));
    assert.equal(result.chunks.length, 1);
    assert.match(result.problems[0], /truncated/);
  });

  it('skips a chunk it cannot decode and reads the rest', () => {
    const broken = chunk('zTXt', bytes('prompt', [0, 0], 'not deflate'));
    const result = readPngText(png(broken, chunk('tEXt', bytes('workflow', [0], '{}'))));
    assert.deepEqual(
      result.chunks.map((c) => c.keyword),
      ['workflow'],
    );
    assert.match(result.problems[0], /zTXt chunk unreadable/);
  });

  it('says a file that ends without an IEND chunk is truncated', () => {
    const file = new Uint8Array(
      Buffer.concat([Uint8Array.from(SIGNATURE), chunk('tEXt', bytes('k', [0], 'v'))]),
    );
    assert.deepEqual(readPngText(file).problems, ['the file is truncated (no IEND chunk)']);
  });

  it('finds the data of the first chunk of a type', () => {
    const file = png(chunk('eXIf', Uint8Array.of(1)), chunk('eXIf', Uint8Array.of(2)));
    assert.deepEqual(Array.from(findPngChunk(file, 'eXIf')!), [1]);
  });

  it('finds no chunk in a file without one of that type or in bytes that are not a PNG', () => {
    assert.deepEqual(
      [findPngChunk(png(), 'eXIf'), findPngChunk(bytes('eXIf'), 'eXIf')],
      [undefined, undefined],
    );
  });

  it('tells PNG bytes from other bytes by the signature', () => {
    assert.deepEqual([isPng(png()), isPng(bytes('{"a":1}')), isPng(new Uint8Array())], [true, false, false]);
  });
});
