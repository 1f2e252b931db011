import assert from 'node:assert/strict';
import { exifOrientation, exifTranspose } from '../../../src/core/engine/exifTranspose';
import {
  convertToRgb,
  convertToRgba,
  pilImageFromPng,
  pointScaleInt,
  type PilImage,
} from '../../../src/core/engine/pillowImage';
import { decodePng } from '../../../src/core/engine/pngCodec';
import { buildPng, exifWithOrientation, type PngSpec } from './pngTestFiles';

function open(spec: PngSpec): PilImage {
  return pilImageFromPng(decodePng(buildPng(spec)));
}

function grey(width: number, height: number, data: number[]): PilImage {
  return { mode: 'L', width, height, data: Uint8Array.from(data) };
}

describe('pillowImage: opening PNGs as Pillow 9.4 does', () => {
  it('opens 1-bit grey as mode 1 with pixels 0 and 255', () => {
    const img = open({ width: 3, height: 1, depth: 1, colorType: 0, samples: [0, 1, 1] });
    assert.equal(img.mode, '1');
    assert.deepEqual(Array.from(img.data), [0, 255, 255]);
  });

  it('stretches 2- and 4-bit grey to 0..255 in mode L', () => {
    const two = open({ width: 4, height: 1, depth: 2, colorType: 0, samples: [0, 1, 2, 3] });
    const four = open({ width: 2, height: 1, depth: 4, colorType: 0, samples: [1, 15] });
    assert.deepEqual([two.mode, ...two.data], ['L', 0, 85, 170, 255]);
    assert.deepEqual([four.mode, ...four.data], ['L', 17, 255]);
  });

  it('opens 16-bit grey as mode I with the full values', () => {
    const img = open({ width: 2, height: 1, depth: 16, colorType: 0, samples: [60021, 300] });
    assert.deepEqual([img.mode, ...img.data], ['I', 60021, 300]);
  });

  it('keeps the high byte of 16-bit colour samples', () => {
    const img = open({
      width: 1,
      height: 1,
      depth: 16,
      colorType: 2,
      samples: [0x12ff, 0x3400, 0xffff],
    });
    assert.deepEqual([img.mode, ...img.data], ['RGB', 0x12, 0x34, 0xff]);
  });

  it('opens 16-bit grey+alpha as RGBA and 8-bit grey+alpha as LA', () => {
    const wide = open({ width: 1, height: 1, depth: 16, colorType: 4, samples: [0x8000, 0x4000] });
    const narrow = open({ width: 1, height: 1, depth: 8, colorType: 4, samples: [10, 20] });
    assert.deepEqual([wide.mode, ...wide.data], ['RGBA', 0x80, 0x80, 0x80, 0x40]);
    assert.deepEqual([narrow.mode, ...narrow.data], ['LA', 10, 20]);
  });

  it('gives a palette image its tRNS alphas and marks it transparent', () => {
    const chunks: [string, Uint8Array][] = [
      ['PLTE', Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255)],
      ['tRNS', Uint8Array.of(0, 128)],
    ];
    const img = open({ width: 3, height: 1, depth: 8, colorType: 3, samples: [0, 1, 2], chunks });
    assert.equal(img.transparency, true);
    assert.deepEqual(Array.from(convertToRgba(img)), [255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255]);
  });

  it('keeps a grey tRNS value unscaled, as Pillow stores it', () => {
    const chunks: [string, Uint8Array][] = [['tRNS', Uint8Array.of(0, 3)]];
    const img = open({ width: 1, height: 1, depth: 2, colorType: 0, samples: [3], chunks });
    assert.equal(img.transparency, 3);
  });
});

describe('pillowImage: point and convert', () => {
  it('scales mode I by truncating toward zero, without clipping', () => {
    const img: PilImage = { mode: 'I', width: 4, height: 1, data: Int32Array.of(60021, 254, 255, -300) };
    assert.deepEqual(Array.from(pointScaleInt(img, 1 / 255).data), [235, 0, 1, -1]);
  });

  it('clips mode I to 0..255 when converting to RGB', () => {
    const img: PilImage = { mode: 'I', width: 3, height: 1, data: Int32Array.of(-5, 100, 1000) };
    assert.deepEqual(Array.from(convertToRgb(img)), [0, 0, 0, 100, 100, 100, 255, 255, 255]);
  });

  it('drops alpha when converting RGBA to RGB', () => {
    const img: PilImage = { mode: 'RGBA', width: 1, height: 1, data: Uint8Array.of(1, 2, 3, 4) };
    assert.deepEqual(Array.from(convertToRgb(img)), [1, 2, 3]);
  });

  it('gives opaque alpha to a grey image without tRNS', () => {
    assert.deepEqual(Array.from(convertToRgba(grey(2, 1, [9, 200]))), [9, 9, 9, 255, 200, 200, 200, 255]);
  });

  it('makes pixels equal to the tRNS value low byte transparent, as Convert.c does', () => {
    const img = { ...grey(3, 1, [10, 11, 10]), transparency: 256 + 10 };
    assert.deepEqual(
      Array.from(convertToRgba(img)).filter((_, i) => i % 4 === 3),
      [0, 255, 0],
    );
  });

  it('makes RGB pixels matching the tRNS colour transparent', () => {
    const img: PilImage = {
      mode: 'RGB',
      width: 2,
      height: 1,
      data: Uint8Array.of(1, 2, 3, 1, 2, 4),
      transparency: [1, 2, 3],
    };
    assert.deepEqual(Array.from(convertToRgba(img)), [1, 2, 3, 0, 1, 2, 4, 255]);
  });
});

describe('exifTranspose', () => {
  // 3 wide, 2 high:  a b c / d e f
  const img = grey(3, 2, [1, 2, 3, 4, 5, 6]);
  const cases: [number, number, number, number[]][] = [
    [2, 3, 2, [3, 2, 1, 6, 5, 4]],
    [3, 3, 2, [6, 5, 4, 3, 2, 1]],
    [4, 3, 2, [4, 5, 6, 1, 2, 3]],
    [5, 2, 3, [1, 4, 2, 5, 3, 6]],
    [6, 2, 3, [4, 1, 5, 2, 6, 3]],
    [7, 2, 3, [6, 3, 5, 2, 4, 1]],
    [8, 2, 3, [3, 6, 2, 5, 1, 4]],
  ];
  for (const [orientation, width, height, data] of cases) {
    it(`turns an image with orientation ${orientation} upright`, () => {
      const out = exifTranspose(img, orientation);
      assert.deepEqual([out.width, out.height, ...out.data], [width, height, ...data]);
    });
  }

  it('leaves an image with orientation 1 or none unchanged', () => {
    assert.equal(exifTranspose(img, 1), img);
    assert.equal(exifTranspose(img, undefined), img);
  });

  it('reads the orientation from a big- or little-endian eXIf chunk', () => {
    for (const little of [false, true]) {
      const chunks: [string, Uint8Array][] = [['eXIf', exifWithOrientation(6, little)]];
      const png = decodePng(buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0], chunks }));
      assert.equal(exifOrientation(png), 6);
    }
  });

  it('falls back to the XMP tiff:Orientation', () => {
    const xmp = Buffer.from('XML:com.adobe.xmp\0\0\0\0\0<x tiff:Orientation="8"/>', 'latin1');
    const chunks: [string, Uint8Array][] = [['iTXt', xmp]];
    const png = decodePng(buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0], chunks }));
    assert.equal(exifOrientation(png), 8);
  });

  it('finds no orientation in a PNG without EXIF or XMP', () => {
    const png = decodePng(buildPng({ width: 1, height: 1, depth: 8, colorType: 0, samples: [0] }));
    assert.equal(exifOrientation(png), undefined);
  });
});
