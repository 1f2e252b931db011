import assert from 'node:assert/strict';
import { decode, encode } from 'fast-png';
import { BILINEAR, resizePillow8 } from '../../../src/core/engine/lanczos';
import { containSize, fitPreview } from '../../../src/core/engine/previewFit';
import { NodeException, type PreviewImage } from '../../../src/core/engine/types';

function png(width: number, height: number, channels: 3 | 4, value = 200): PreviewImage {
  const data = new Uint8Array(width * height * channels).fill(value);
  return { format: 'PNG', bytes: encode({ width, height, data, channels, depth: 8 }) };
}

describe('preview max size', () => {
  it('fits a wide image to the box width and rounds the height as Python does (halves to even)', () => {
    assert.deepEqual(containSize(128, 96, 64), { width: 64, height: 48 });
    // 3/8 * 20 = 7.5 rounds to 8, 5/8 * 20 = 12.5 rounds to 12.
    assert.deepEqual(containSize(8, 3, 20), { width: 20, height: 8 });
    assert.deepEqual(containSize(8, 5, 20), { width: 20, height: 12 });
  });

  it('fits a tall image to the box height and a square one to the whole box', () => {
    assert.deepEqual(containSize(96, 128, 64), { width: 48, height: 64 });
    assert.deepEqual(containSize(10, 10, 64), { width: 64, height: 64 });
  });

  it('leaves a preview without a limit untouched', () => {
    const image = png(128, 96, 3);
    assert.equal(fitPreview(image), image);
  });

  it('re-encodes a larger PNG at the fitted size, keeping its colour and its alpha', () => {
    const fitted = decode(fitPreview(png(128, 96, 4), 64).bytes);
    assert.deepEqual([fitted.width, fitted.height, fitted.channels], [64, 48, 4]);
    assert.deepEqual([...fitted.data.slice(0, 4)], [200, 200, 200, 200]);
  });

  it('scales a smaller PNG up to the box, as ImageOps.contain does', () => {
    const fitted = decode(fitPreview(png(4, 2, 3), 8).bytes);
    assert.deepEqual([fitted.width, fitted.height], [8, 4]);
  });

  it('passes a JPEG through as given, having no JPEG codec', () => {
    const jpeg: PreviewImage = { format: 'JPEG', bytes: new Uint8Array([0xff, 0xd8, 0xff]) };
    assert.equal(fitPreview(jpeg, 16), jpeg);
  });

  it('rejects a limit below 1 with the ValueError Pillow raises', () => {
    assert.throws(
      () => fitPreview(png(4, 4, 3), 0),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'ValueError',
    );
  });

  it('halves a row with the weights of Pillow’s triangle filter', () => {
    // Output 0 weighs inputs 0..2 by 3/7, 3/7, 1/7; output 1 weighs inputs 1..3 by 1/7, 3/7, 3/7.
    const row = new Uint8Array([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    const out = resizePillow8(row, { width: 4, height: 1, channels: 3 }, 1, 2, BILINEAR);
    assert.deepEqual([...out], [71, 71, 71, 209, 209, 209]);
  });
});
