/**
 * The parts of Pillow 9.4 that LoadImage and LoadImageMask go through, reproduced so that the tensors
 * match ComfyUI's to the bit: how PngImagePlugin opens each PNG kind (mode and `info['transparency']`),
 * `ImageOps.exif_transpose`, `Image.point` on mode I, and `Image.convert` to RGB and RGBA.
 */
import type { DecodedPng } from './pngCodec';

/** The Pillow modes a PNG opens as. */
export type PilMode = '1' | 'L' | 'LA' | 'I' | 'P' | 'RGB' | 'RGBA';

/** An image as Pillow holds it after opening a PNG. */
export interface PilImage {
  readonly mode: PilMode;
  readonly width: number;
  readonly height: number;
  /** `bands(mode).length` values per pixel; 0..255 except for mode I (Int32Array). */
  readonly data: Uint8Array | Int32Array;
  /** Mode P: 256 RGBA entries, tRNS alphas applied (255 elsewhere, black past the PLTE). */
  readonly palette?: Uint8Array;
  /**
   * Pillow's `info['transparency']`: true for a P image with tRNS, the raw tRNS sample for 1/L/I (not
   * scaled like the pixels, as in Pillow) and the raw triple for RGB.
   */
  readonly transparency?: true | number | readonly [number, number, number];
}

/** Pillow's `getbands()`: one letter per band, e.g. `['R', 'G', 'B', 'A']` (each mode name spells them). */
export function bandsOf(mode: PilMode): string[] {
  return mode.split('');
}

/** Opens a decoded PNG as Pillow does (PngImagePlugin's `_MODES` table and `chunk_tRNS`). */
export function pilImageFromPng(png: DecodedPng): PilImage {
  const { width, height, depth, colorType, samples, transparency: trns } = png;
  const base = { width, height };
  switch (colorType) {
    case 0: {
      const transparency = trns?.[0];
      if (depth === 16) return { ...base, mode: 'I', data: Int32Array.from(samples), transparency };
      // Pillow's unpackers: "1" stores 0/255, "L;2" and "L;4" stretch to 0..255.
      const scale = depth === 1 ? 255 : depth === 2 ? 0x55 : depth === 4 ? 0x11 : 1;
      const data = Uint8Array.from(samples, (v) => v * scale);
      return { ...base, mode: depth === 1 ? '1' : 'L', data, transparency };
    }
    case 2: {
      const transparency = trns && trns.length >= 3 ? ([trns[0], trns[1], trns[2]] as const) : undefined;
      return { ...base, mode: 'RGB', data: highBytes(samples, depth), transparency };
    }
    case 3:
      return {
        ...base,
        mode: 'P',
        data: Uint8Array.from(samples),
        palette: paletteOf(png),
        ...(png.paletteAlpha && { transparency: true }),
      };
    case 4:
      // 16-bit grey+alpha opens as RGBA ("LA;16B" unpacked to RGBA) in Pillow 9.4.
      return depth === 16
        ? { ...base, mode: 'RGBA', data: laToRgba(highBytes(samples, 16)) }
        : { ...base, mode: 'LA', data: Uint8Array.from(samples) };
    default:
      return { ...base, mode: 'RGBA', data: highBytes(samples, depth) };
  }
}

/** 16-bit samples keep their high byte, as Pillow's ";16B" unpackers do. */
function highBytes(samples: Uint8Array | Uint16Array, depth: number): Uint8Array {
  return depth === 16 ? Uint8Array.from(samples, (v) => v >> 8) : Uint8Array.from(samples);
}

function laToRgba(la: Uint8Array): Uint8Array {
  const out = new Uint8Array((la.length / 2) * 4);
  for (let i = 0, o = 0; i < la.length; i += 2, o += 4) {
    out[o] = out[o + 1] = out[o + 2] = la[i];
    out[o + 3] = la[i + 1];
  }
  return out;
}

function paletteOf(png: DecodedPng): Uint8Array {
  const out = new Uint8Array(256 * 4);
  const plte = png.palette ?? new Uint8Array(0);
  for (let i = 0; i < 256; i++) {
    if (i * 3 + 2 < plte.length) out.set(plte.subarray(i * 3, i * 3 + 3), i * 4);
    out[i * 4 + 3] = png.paletteAlpha?.[i] ?? 255;
  }
  return out;
}

/**
 * Pillow's `Image.point(lambda i: i * scale)` on a mode I image: `point_transform` computes in double
 * and stores to int32, truncating toward zero, with no clipping.
 */
export function pointScaleInt(img: PilImage, scale: number): PilImage {
  return { ...img, data: Int32Array.from(img.data, (v) => Math.trunc(v * scale)) };
}

/** Pillow's `convert("RGB")`: `width * height * 3` bytes. */
export function convertToRgb(img: PilImage): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 3);
  writeRgb(img, out, 3);
  return out;
}

/**
 * Pillow's `convert("RGBA")`, including its transparent-colour promotion for 1/L/I and RGB images with a
 * tRNS colour: a pixel whose converted RGB equals the tRNS value, each masked to its low byte, gets
 * alpha 0 (Convert.c `rgbT2rgba`).
 */
export function convertToRgba(img: PilImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  writeRgb(img, out, 4);
  const t = img.transparency;
  const key = typeof t === 'number' ? [t, t, t] : Array.isArray(t) ? t : undefined;
  const [kr, kg, kb] = key ? key.map((v) => v & 0xff) : [-1, -1, -1];
  const d = img.data;
  const pal = img.palette;
  for (let p = 0, o = 3; p < n; p++, o += 4) {
    if (img.mode === 'LA') out[o] = d[p * 2 + 1];
    else if (img.mode === 'RGBA') out[o] = d[p * 4 + 3];
    else if (pal) out[o] = pal[d[p] * 4 + 3];
    else out[o] = out[o - 3] === kr && out[o - 2] === kg && out[o - 1] === kb ? 0 : 255;
  }
  return out;
}

/** Writes each pixel's RGB as Pillow's converters compute it, `stride` bytes apart. */
function writeRgb(img: PilImage, out: Uint8Array, stride: number): void {
  const { data: d, mode, palette: pal } = img;
  const n = img.width * img.height;
  const src = bandsOf(mode).length;
  const colour = mode === 'RGB' || mode === 'RGBA';
  for (let p = 0, o = 0; p < n; p++, o += stride) {
    if (pal) {
      const i = d[p] * 4;
      out[o] = pal[i];
      out[o + 1] = pal[i + 1];
      out[o + 2] = pal[i + 2];
    } else if (colour) {
      out[o] = d[p * src];
      out[o + 1] = d[p * src + 1];
      out[o + 2] = d[p * src + 2];
    } else {
      // Grey modes replicate; mode I clips to 0..255 (Convert.c `i2rgb`).
      const v = d[p * src];
      out[o] = out[o + 1] = out[o + 2] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
}

/** Pillow's `getchannel("A")` for an image with an alpha band (LA or RGBA). */
export function alphaChannel(img: PilImage): Uint8Array {
  const step = bandsOf(img.mode).length;
  return Uint8Array.from({ length: img.width * img.height }, (_, p) => img.data[p * step + step - 1]);
}
