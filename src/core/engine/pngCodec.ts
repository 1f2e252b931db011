/**
 * PNG files in and out for LoadImage and SaveImage, over fast-png. Decoding adds what Pillow looks at
 * and fast-png does not give: the header checks Pillow makes before it decodes, 1-, 2- and 4-bit samples
 * unpacked, the eXIf chunk, and zTXt and iTXt text (both read with pngText.ts's chunk walk).
 *
 * fast-png works synchronously (its deflate is fflate, not node:zlib's thread pool). The image file nodes
 * run on the executor's own thread because they touch the file system, so the saving nodes have a large
 * image encoded on a worker (NodeContext.encodePng); decoding a very large file still holds up the event
 * loop for as long as it takes.
 */
import { decode, encode, type DecodedPng as FastPng } from 'fast-png';
import { findPngChunk, isPng, readPngText } from '../workflow/pngText';
import { NodeException } from './types';

/** Pillow's `Image.MAX_IMAGE_PIXELS * 2`, above which it refuses to open a file. */
const MAX_PIXELS = 2 * 89478485;
const DEPTHS_OF_COLOR_TYPE: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** IHDR colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
export type PngColorType = 0 | 2 | 3 | 4 | 6;

/** A decoded PNG: the samples and the ancillary data that changes how Pillow reads them. */
export interface DecodedPng {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** Samples per pixel: 1 (grey, palette), 2 (grey+alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
  colorType: PngColorType;
  /**
   * One unscaled sample per channel per pixel, row-major: a Uint16Array for 16-bit images, else a
   * Uint8Array (1-, 2- and 4-bit samples one to a byte, not scaled).
   */
  samples: Uint8Array | Uint16Array;
  /** PLTE as RGB triples, when present. */
  palette?: Uint8Array;
  /** The tRNS chunk of a palette image: one alpha per PLTE entry, 255 past the chunk's end. */
  paletteAlpha?: Uint8Array;
  /** The tRNS chunk of a grey or RGB image: the transparent grey level or R, G, B, unscaled. */
  transparency?: Uint16Array;
  /** The eXIf chunk, when present. */
  exif?: Uint8Array;
  /** tEXt, zTXt and iTXt chunks by keyword (decompressed; iTXt as UTF-8, the others as Latin-1). */
  texts: Map<string, string>;
}

/**
 * Decodes a PNG file. Throws NodeException with the exception type Pillow raises for the same file:
 * UnidentifiedImageError for a file that is not a PNG, SyntaxError for a malformed header, OSError for
 * a truncated or undecodable one, DecompressionBombError for one too large. Interlaced images with 1-,
 * 2- or 4-bit samples, which Pillow reads, fail with OSError: fast-png 8 cannot de-interlace them.
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (!isPng(bytes)) {
    throw new NodeException('UnidentifiedImageError', 'cannot identify image file (not a PNG)');
  }
  const colorType = checkHeader(bytes);
  // fast-png reads until IEND and fails past the end of the buffer, so a cut-off file is caught here.
  if (!findPngChunk(bytes, 'IEND')) throw new NodeException('OSError', 'image file is truncated');
  let png: FastPng;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new NodeException('OSError', `broken PNG file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { width, height, depth, channels } = png;
  return {
    width,
    height,
    depth,
    channels,
    colorType,
    samples: samplesOf(png),
    ...splitPalette(png.palette),
    transparency: png.transparency,
    exif: findPngChunk(bytes, 'eXIf'),
    texts: new Map(readPngText(bytes).chunks.map((c) => [c.keyword, c.text])),
  };
}

/** The IHDR checks Pillow makes before decoding: a mode it knows and no more pixels than it allows. */
function checkHeader(bytes: Uint8Array): PngColorType {
  const ihdr = findPngChunk(bytes, 'IHDR');
  if (!ihdr || ihdr.length < 13) throw new NodeException('SyntaxError', 'not a PNG file');
  const view = new DataView(ihdr.buffer, ihdr.byteOffset, 13);
  const [width, height, depth, colorType, interlaced] = [
    view.getUint32(0),
    view.getUint32(4),
    ihdr[8],
    ihdr[9],
    ihdr[12] === 1,
  ];
  if (!DEPTHS_OF_COLOR_TYPE[colorType]?.includes(depth)) {
    throw new NodeException('SyntaxError', `unknown PNG mode (depth ${depth}, colour type ${colorType})`);
  }
  if (width * height > MAX_PIXELS) {
    throw new NodeException(
      'DecompressionBombError',
      `Image size (${width * height} pixels) exceeds limit of ${MAX_PIXELS} pixels, could be decompression bomb DOS attack.`,
    );
  }
  if (interlaced && depth < 8) {
    throw new NodeException('OSError', `cannot read an interlaced PNG with ${depth}-bit samples`);
  }
  return colorType as PngColorType;
}

/** fast-png's samples, with rows of 1-, 2- and 4-bit samples (packed, byte-aligned) spread out. */
function samplesOf(png: FastPng): Uint8Array | Uint16Array {
  const { data, width, height, depth, channels } = png;
  if (data instanceof Uint16Array) return data;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (depth >= 8) return bytes;
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      out[y * perRow + i] = (bytes[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** fast-png's palette (RGB entries, with the tRNS alpha appended to each when there is one) split up. */
function splitPalette(palette: number[][] | undefined): Pick<DecodedPng, 'palette' | 'paletteAlpha'> {
  if (!palette) return {};
  const rgb = Uint8Array.from(palette.flatMap((c) => c.slice(0, 3)));
  return palette[0]?.length === 4
    ? { palette: rgb, paletteAlpha: Uint8Array.from(palette, (c) => c[3]) }
    : { palette: rgb };
}

/** An 8-bit raster to encode. */
export interface PngRaster {
  width: number;
  height: number;
  /** 2 (grey+alpha, Pillow's LA), 3 (RGB) or 4 (RGBA). */
  channels: 2 | 3 | 4;
  /** `height * width * channels` bytes, row-major. */
  data: Uint8Array;
}

/** A zlib compression level, as fflate (under fast-png) types it. */
type DeflateLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/**
 * Encodes an 8-bit LA/RGB/RGBA PNG with one tEXt chunk per `[keyword, text]` (a repeated keyword keeps
 * its last text, the one readers see), at zlib `level` 0..9 (SaveImage uses 4, PreviewImage 1).
 * Keywords and texts must be Latin-1 (JSON from {@link pythonJsonDumps} is always ASCII): other
 * characters fail with UnicodeEncodeError, as a keyword does in Pillow. fast-png writes the text after
 * the image data, where Pillow writes it before; readers of ComfyUI's metadata look at every chunk.
 */
export function encodePng(
  raster: PngRaster,
  texts: readonly (readonly [string, string])[],
  level: number,
): Uint8Array {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`bad zlib level ${level}`);
  for (const s of texts.flat()) {
    const at = /[^\u0000-\u00ff]/.exec(s)?.index;
    if (at !== undefined) {
      throw new NodeException('UnicodeEncodeError', `'latin-1' codec can't encode character at ${at}`);
    }
  }
  const { width, height, channels, data } = raster;
  const image = { width, height, channels, data, depth: 8 as const, text: Object.fromEntries(texts) };
  try {
    return encode(image, { zlib: { level: level as DeflateLevel } });
  } catch (e) {
    // fast-png also refuses a keyword that is empty or longer than 79 characters, as the PNG spec says.
    throw new NodeException('ValueError', e instanceof Error ? e.message : String(e));
  }
}
