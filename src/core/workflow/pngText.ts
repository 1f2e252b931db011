/**
 * Reads the text chunks of a PNG file (tEXt, zTXt, iTXt) without decoding any pixels: ComfyUI's
 * SaveImage stores the API prompt and the editor workflow there under the keywords `prompt` and
 * `workflow`. Files come from anywhere, so every length is checked and a damaged chunk is skipped with a
 * note rather than thrown about. CRCs are not checked: a bad one does not make the text less readable.
 * The same chunk walk finds single chunks by type for the engine's PNG decoder (IHDR, eXIf).
 */
import { inflateSync } from 'node:zlib';

/** The 8-byte signature every PNG file starts with. */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decompressed text larger than this is refused, so a small hostile file cannot claim gigabytes. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** One text chunk: its keyword and its text, decoded. */
export interface PngTextChunk {
  keyword: string;
  text: string;
  /** The chunk type it came from. */
  kind: 'tEXt' | 'zTXt' | 'iTXt';
}

/** The text chunks of a PNG, in file order, and what was wrong with the file's structure, if anything. */
export interface PngText {
  chunks: PngTextChunk[];
  /** Problems met while reading, such as a truncated chunk; reading stops or skips, it never throws. */
  problems: string[];
}

/** True when `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Reads every text chunk of `bytes`, which should be a PNG (see {@link isPng}). */
export function readPngText(bytes: Uint8Array): PngText {
  const result: PngText = { chunks: [], problems: [] };
  if (!isPng(bytes)) {
    result.problems.push('not a PNG file (bad signature)');
    return result;
  }
  let ended = false;
  for (const { type, data } of walkChunks(bytes, result.problems)) {
    readChunk(type, data, result);
    ended = type === 'IEND';
  }
  if (!ended && result.problems.length === 0) result.problems.push('the file is truncated (no IEND chunk)');
  return result;
}

/**
 * The data of the first chunk of `type` (e.g. `eXIf`) in `bytes`, or undefined when the file is not a
 * PNG or has no such chunk before its end or before a chunk that runs past the end of the file.
 */
export function findPngChunk(bytes: Uint8Array, type: string): Uint8Array | undefined {
  if (!isPng(bytes)) return undefined;
  for (const chunk of walkChunks(bytes, [])) if (chunk.type === type) return chunk.data;
  return undefined;
}

/**
 * Yields the chunks of a PNG (signature already checked) in file order, up to and including IEND. A
 * chunk that runs past the end of the file stops the walk with a note in `problems`.
 */
function* walkChunks(bytes: Uint8Array, problems: string[]): Generator<{ type: string; data: Uint8Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = SIGNATURE.length;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = latin1(bytes.subarray(pos + 4, pos + 8));
    const start = pos + 8;
    if (length > bytes.length - start) {
      problems.push(`chunk ${type} at byte ${pos} is truncated`);
      return;
    }
    yield { type, data: bytes.subarray(start, start + length) };
    if (type === 'IEND') return;
    pos = start + length + 4;
  }
}

function readChunk(type: string, data: Uint8Array, into: PngText): void {
  try {
    const chunk = decodeChunk(type, data);
    if (chunk) into.chunks.push(chunk);
  } catch (e) {
    into.problems.push(`${type} chunk unreadable: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function decodeChunk(type: string, data: Uint8Array): PngTextChunk | undefined {
  if (type !== 'tEXt' && type !== 'zTXt' && type !== 'iTXt') return undefined;
  const nul = data.indexOf(0);
  if (nul < 0) throw new Error('no keyword terminator');
  const keyword = latin1(data.subarray(0, nul));
  const rest = data.subarray(nul + 1);
  if (type === 'tEXt') return { keyword, text: latin1(rest), kind: type };
  if (type === 'zTXt') return { keyword, text: latin1(inflate(rest.subarray(1))), kind: type };
  return { keyword, text: decodeInternational(rest), kind: type };
}

/** iTXt after its keyword: compression flag, method, language tag, translated keyword, UTF-8 text. */
function decodeInternational(rest: Uint8Array): string {
  if (rest.length < 2) throw new Error('too short');
  const compressed = rest[0] === 1;
  const languageEnd = rest.indexOf(0, 2);
  const translatedEnd = languageEnd < 0 ? -1 : rest.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new Error('no language or translated keyword terminator');
  const text = rest.subarray(translatedEnd + 1);
  return new TextDecoder('utf-8').decode(compressed ? inflate(text) : text);
}

function inflate(data: Uint8Array): Uint8Array {
  return inflateSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
}

/**
 * PNG text is Latin-1. TextDecoder's "latin1" is really windows-1252, which differs for 0x80-0x9F, so
 * the bytes are mapped by hand, in slices to keep the argument lists short.
 */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}
