/**
 * PNG files in and out for LoadImage and SaveImage. Decoding keeps what Pillow looks at (the samples,
 * PLTE, tRNS, eXIf and text chunks) so pillowImage.ts can reproduce Pillow's modes and conversions;
 * encoding writes 8-bit RGB/RGBA with tEXt chunks before IDAT, as Pillow's PngImagePlugin does.
 * Compression runs on libuv's thread pool through node:zlib, so big images do not block the event loop.
 */
import { promisify } from 'node:util';
import { constants, crc32, deflate, inflate, inflateSync } from 'node:zlib';
import { filterImage, unfilterImage, type PngLayout } from './pngFilters';
import { NodeException } from './types';

const inflateAsync = promisify(inflate);
const deflateAsync = promisify(deflate);

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** Pillow splits IDAT at ImageFile.MAXBLOCK bytes. */
const IDAT_BLOCK = 65536;
/** Pillow's `Image.MAX_IMAGE_PIXELS * 2`, above which it refuses to open a file. */
const MAX_PIXELS = 2 * 89478485;
const CHANNELS_OF_COLOR_TYPE: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const COLOR_TYPE_OF_CHANNELS = { 2: 4, 3: 2, 4: 6 } as const;
const DEPTHS_OF_COLOR_TYPE: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** A decoded PNG: the samples and the ancillary data that changes how Pillow reads them. */
export interface DecodedPng extends PngLayout {
  /** IHDR colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  /** One unscaled sample per channel per pixel (see {@link unfilterImage}). */
  samples: Uint8Array | Uint16Array;
  /** PLTE as RGB triples, when present. */
  palette?: Uint8Array;
  /** The raw tRNS chunk, when present. */
  trns?: Uint8Array;
  /** The eXIf chunk, when present. */
  exif?: Uint8Array;
  /** tEXt, zTXt and iTXt chunks by keyword (decompressed; iTXt as UTF-8, the others as Latin-1). */
  texts: Map<string, string>;
}

interface RawChunk {
  type: string;
  data: Uint8Array;
}

/**
 * Decodes a PNG file. Throws NodeException with the exception type Pillow raises for the same file:
 * UnidentifiedImageError for a file that is not a PNG, SyntaxError for a malformed one, OSError for a
 * truncated one, DecompressionBombError for one too large.
 */
export async function decodePng(bytes: Uint8Array, onRow?: () => void): Promise<DecodedPng> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new NodeException('UnidentifiedImageError', 'cannot identify image file (not a PNG)');
  }
  const chunks = readChunks(bytes);
  const png = readHeader(chunks);
  const idat = concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  // A sync flush returns what a cut-off stream holds instead of failing, so truncation is reported below.
  const raw = new Uint8Array(await inflateAsync(idat, { finishFlush: constants.Z_SYNC_FLUSH }));
  try {
    png.samples = unfilterImage(raw, png, onRow);
  } catch (e) {
    if (e instanceof RangeError) throw new NodeException('OSError', e.message);
    throw e;
  }
  for (const c of chunks) readAncillary(c, png);
  return png;
}

function readChunks(bytes: Uint8Array): RawChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: RawChunk[] = [];
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (offset + 12 + length > bytes.length) break;
    chunks.push({ type, data: bytes.subarray(offset + 8, offset + 8 + length) });
    offset += 12 + length;
    if (type === 'IEND') return chunks;
  }
  if (!chunks.some((c) => c.type === 'IDAT')) throw new NodeException('OSError', 'image file is truncated');
  return chunks;
}

function readHeader(chunks: RawChunk[]): DecodedPng {
  const ihdr = chunks[0];
  if (ihdr?.type !== 'IHDR' || ihdr.data.length < 13)
    throw new NodeException('SyntaxError', 'not a PNG file');
  const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
  const [width, height, depth, colorType] = [
    view.getUint32(0),
    view.getUint32(4),
    ihdr.data[8],
    ihdr.data[9],
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
  const channels = CHANNELS_OF_COLOR_TYPE[colorType];
  const base = { width, height, depth, channels, colorType, interlaced: ihdr.data[12] === 1 };
  return { ...base, samples: new Uint8Array(0), texts: new Map() };
}

function readAncillary(chunk: RawChunk, png: DecodedPng): void {
  const { type, data } = chunk;
  if (type === 'PLTE') png.palette = data;
  else if (type === 'tRNS') png.trns = data;
  else if (type === 'eXIf') png.exif = data;
  else if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') {
    // A damaged text chunk is skipped: it carries no pixels, and Pillow is lenient with them too.
    try {
      const [key, text] = readText(type, data);
      png.texts.set(key, text);
    } catch {
      /* ignored on purpose */
    }
  }
}

function readText(type: string, data: Uint8Array): [string, string] {
  const latin1 = new TextDecoder('latin1');
  const nul = data.indexOf(0);
  const key = latin1.decode(data.subarray(0, nul));
  if (type === 'tEXt') return [key, latin1.decode(data.subarray(nul + 1))];
  if (type === 'zTXt') return [key, latin1.decode(inflateSync(data.subarray(nul + 2)))];
  const compressed = data[nul + 1] === 1;
  const langEnd = data.indexOf(0, nul + 3);
  const start = data.indexOf(0, langEnd + 1) + 1;
  const body = data.subarray(start);
  return [key, new TextDecoder('utf-8').decode(compressed ? inflateSync(body) : body)];
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

/**
 * Encodes an 8-bit LA/RGB/RGBA PNG with one tEXt chunk per `[keyword, text]` before the image data, at
 * zlib `level` (SaveImage uses 4, PreviewImage 1). Keywords and texts must be Latin-1, as Pillow
 * requires (JSON from {@link pythonJsonDumps} is always ASCII).
 */
export async function encodePng(
  raster: PngRaster,
  texts: readonly (readonly [string, string])[],
  level: number,
  onRow?: () => void,
): Promise<Uint8Array> {
  const { width, height, channels, data } = raster;
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, COLOR_TYPE_OF_CHANNELS[channels], 0, 0, 0], 8);
  const filtered = filterImage(data, width * channels, height, channels, onRow);
  // Pillow's deflate settings: its own level, window 15, memory level 9, the strategy for filtered data.
  const compressed = new Uint8Array(
    await deflateAsync(filtered, { level, windowBits: 15, memLevel: 9, strategy: constants.Z_FILTERED }),
  );
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  for (const [key, text] of texts) parts.push(chunk('tEXt', latin1Bytes(`${key}\0${text}`)));
  for (let o = 0; o < compressed.length; o += IDAT_BLOCK) {
    parts.push(chunk('IDAT', compressed.subarray(o, o + IDAT_BLOCK)));
  }
  parts.push(chunk('IEND', new Uint8Array(0)));
  return concat(parts);
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff)
      throw new NodeException('UnicodeEncodeError', `'latin-1' codec can't encode character at ${i}`);
    out[i] = c;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
