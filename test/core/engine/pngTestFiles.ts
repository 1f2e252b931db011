/**
 * Test helpers: a minimal, independent PNG writer for the kinds our encoder does not write (sub-byte and
 * 16-bit samples, palettes, tRNS, eXIf, Adam7), a NodeContext over temporary folders, lookups for
 * the image file nodes, and the files a prompt saves on an engine with or without workers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { testDirs } from '../../fakes/testDirs';
import { createEngine } from '../../../src/core/engine/executor';
import { ioNodes } from '../../../src/core/engine/nodes/imageIo';
import {
  NodeException,
  type NodeContext,
  type NodeImpl,
  type WrittenFile,
} from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';

/** What {@link buildPng} writes. */
export interface PngSpec {
  width: number;
  height: number;
  depth: 1 | 2 | 4 | 8 | 16;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  /** One unscaled sample per channel per pixel, row-major. */
  samples: ArrayLike<number>;
  interlaced?: boolean;
  /** Chunks written between IHDR and IDAT, e.g. `['PLTE', bytes]`, `['tRNS', bytes]`, `['eXIf', bytes]`. */
  chunks?: [string, Uint8Array][];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Writes a PNG with unfiltered scanlines. */
export function buildPng(spec: PngSpec): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.depth, spec.colorType, 0, 0, spec.interlaced ? 1 : 0], 8);
  const passes = spec.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0; y < spec.height; y += dy) {
      const pixels: number[] = [];
      for (let x = x0; x < spec.width; x += dx) pixels.push(x);
      if (pixels.length === 0) continue;
      rows.push(0, ...packRow(spec, y, pixels));
    }
  }
  const chunks: [string, Uint8Array][] = [['IHDR', ihdr], ...(spec.chunks ?? [])];
  chunks.push(['IDAT', deflateSync(Uint8Array.from(rows))], ['IEND', new Uint8Array(0)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    ...chunks.map(pngChunk),
  ]);
}

function packRow(spec: PngSpec, y: number, xs: number[]): number[] {
  const channels = CHANNELS[spec.colorType];
  const values = xs.flatMap((x) =>
    Array.from({ length: channels }, (_, c) => spec.samples[(y * spec.width + x) * channels + c]),
  );
  if (spec.depth === 8) return values;
  if (spec.depth === 16) return values.flatMap((v) => [v >> 8, v & 0xff]);
  const bytes = new Array<number>(Math.ceil((values.length * spec.depth) / 8)).fill(0);
  values.forEach((v, i) => {
    const bit = i * spec.depth;
    bytes[bit >> 3] |= v << (8 - spec.depth - (bit & 7));
  });
  return bytes;
}

/** One PNG chunk with its length and CRC. */
export function pngChunk([type, data]: [string, Uint8Array]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An eXIf chunk body holding only an orientation tag, big- or little-endian. */
export function exifWithOrientation(orientation: number, littleEndian = false): Uint8Array {
  const b = Buffer.alloc(26);
  const u16 = (v: number, o: number) => (littleEndian ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (littleEndian ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  b.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(orientation, 18);
  return b;
}

/** Folders for one test and a NodeContext over them; `checkpoints` counts checkpoint calls. */
export function testContext(prompt: ApiPrompt = {}, nodeId = '1') {
  const dirs = testDirs();
  const state = { checkpoints: 0 };
  const ctx: NodeContext = {
    nodeId,
    checkpoint: () => void state.checkpoints++,
    progress: () => undefined,
    preview: () => undefined,
    ...dirs,
    prompt,
  };
  return { ctx, dirs, state };
}

/** The io node implementation of `classType`. */
export function ioNode(classType: string): NodeImpl {
  const impl = ioNodes.find((n) => n.classType === classType);
  assert.ok(impl, `${classType} is defined`);
  return impl;
}

/** Awaits `p` and returns the NodeException it fails with (failing the test if it does not). */
export async function failure(p: Promise<unknown> | unknown): Promise<NodeException> {
  const e = await Promise.resolve(p).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof NodeException, `expected a NodeException, got ${String(e)}`);
  return e;
}

/** A file a prompt saved: what the engine reported, and the bytes on disk. */
export type SavedFile = WrittenFile & { bytes: Buffer };

/**
 * Runs `prompt` on a fresh engine over new folders, with or without workers, and gives the files it
 * wrote by name; `prepare` fills the folders first (an input image, say).
 */
export async function filesSavedBy(
  prompt: ApiPrompt,
  workers: boolean,
  prepare: (dirs: ReturnType<typeof testDirs>) => void = () => undefined,
): Promise<SavedFile[]> {
  const dirs = testDirs();
  prepare(dirs);
  const engine = createEngine({ ...dirs, workers });
  const files: WrittenFile[] = [];
  try {
    const outcome = await engine.execute(prompt, {
      promptId: `p-${workers}`,
      onFileWritten: (_, f) => files.push(f),
    });
    assert.equal(outcome.status, 'success');
  } finally {
    await engine.dispose();
  }
  files.sort((a, b) => a.filename.localeCompare(b.filename));
  return files.map((f) => ({ ...f, bytes: readFileSync(f.path) }));
}

/** What a worker task for node `nodeId` carries besides its work: a fresh interrupt flag, no folders. */
export function workerTask(nodeId = '9') {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  return { nodeId, flag, dirs: { inputDir: '', outputDir: '', tempDir: '' } };
}
