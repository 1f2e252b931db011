/**
 * Pillow 9.4's `ImageOps.exif_transpose` for PNG files: the EXIF orientation (tag 0x0112) is read from
 * the eXIf chunk, else from a "Raw profile type exif" text chunk, else from XMP's `tiff:Orientation`,
 * as `Image.getexif` looks for it, and the pixels are flipped or turned to match.
 */
import type { PilImage } from './pillowImage';
import { bandsOf } from './pillowImage';
import type { DecodedPng } from './pngCodec';

/** The EXIF orientation of a PNG (1..8), or undefined when it carries none. */
export function exifOrientation(png: DecodedPng): number | undefined {
  let exif = png.exif;
  const raw = png.texts.get('Raw profile type exif');
  if (!exif && raw !== undefined) {
    const hex = raw.split('\n').slice(3).join('').replace(/\s/g, '');
    exif = /^([0-9a-fA-F]{2})*$/.test(hex) ? Uint8Array.from(Buffer.from(hex, 'hex')) : undefined;
  }
  const fromExif = exif ? tiffOrientation(exif) : undefined;
  if (fromExif !== undefined) return fromExif;
  const match = /tiff:Orientation(="|>)([0-9])/.exec(png.texts.get('XML:com.adobe.xmp') ?? '');
  return match ? Number(match[2]) : undefined;
}

/** Reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block (with or without the `Exif\0\0` header). */
function tiffOrientation(block: Uint8Array): number | undefined {
  const exifHeader = [0x45, 0x78, 0x69, 0x66, 0, 0];
  const d = exifHeader.every((b, i) => block[i] === b) ? block.subarray(6) : block;
  if (d.length < 8) return undefined;
  const little = d[0] === 0x49 && d[1] === 0x49;
  if (!little && !(d[0] === 0x4d && d[1] === 0x4d)) return undefined;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > d.length) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count && ifd + 2 + i * 12 + 12 <= d.length; i++) {
    const entry = ifd + 2 + i * 12;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, little);
    if (type === 3) return view.getUint16(entry + 8, little);
    if (type === 4) return view.getUint32(entry + 8, little);
    if (type === 1) return d[entry + 8];
    return undefined;
  }
  return undefined;
}

/**
 * For each orientation, where output pixel (x, y) of a `w x h` source comes from (Pillow's
 * FLIP_LEFT_RIGHT, ROTATE_180, FLIP_TOP_BOTTOM, TRANSPOSE, ROTATE_270, TRANSVERSE, ROTATE_90).
 */
const SOURCE_OF: Record<number, (x: number, y: number, w: number, h: number) => [number, number]> = {
  2: (x, y, w) => [w - 1 - x, y],
  3: (x, y, w, h) => [w - 1 - x, h - 1 - y],
  4: (x, y, _w, h) => [x, h - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y, _w, h) => [y, h - 1 - x],
  7: (x, y, w, h) => [w - 1 - y, h - 1 - x],
  8: (x, y, w) => [w - 1 - y, x],
};

/** `ImageOps.exif_transpose`: the image turned upright for `orientation`; unchanged for 1 or none. */
export function exifTranspose(img: PilImage, orientation: number | undefined): PilImage {
  const source = orientation === undefined ? undefined : SOURCE_OF[orientation];
  if (!source) return img;
  const swap = orientation !== undefined && orientation >= 5;
  const [width, height] = swap ? [img.height, img.width] : [img.width, img.height];
  const bands = bandsOf(img.mode).length;
  const data =
    img.data instanceof Int32Array ? new Int32Array(img.data.length) : new Uint8Array(img.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y, img.width, img.height);
      const from = (sy * img.width + sx) * bands;
      data.set(img.data.subarray(from, from + bands), (y * width + x) * bands);
    }
  }
  return { ...img, width, height, data };
}
