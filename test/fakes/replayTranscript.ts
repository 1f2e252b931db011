/**
 * Loads the recordings of a real ComfyUI 0.8.0 server (test/fixtures/comfyui-0.8.0/transcripts, JSON
 * Lines, one event per line) and rebuilds what the recordings only describe: binary frames and file bodies.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { transcriptsDir, workflowsDir } from './fixturePaths';

interface LineBase {
  seq: number;
  t_ms: number;
}

/** A recorder note. */
export interface NoteLine extends LineBase {
  kind: 'note';
  text: string;
}

/** A JSON frame the client sent. */
export interface WsSendLine extends LineBase {
  kind: 'ws_send';
  msg: unknown;
}

/** A JSON frame the server sent. */
export interface WsLine extends LineBase {
  kind: 'ws';
  msg: { type: string; data: unknown };
}

/** A binary frame the server sent, described but not stored. */
export interface WsBinaryLine extends LineBase {
  kind: 'ws_binary';
  event_type: number;
  length: number;
  image_type?: number;
  image_bytes?: number;
  image_magic?: string;
  metadata?: Record<string, unknown>;
}

/** One HTTP exchange. */
export interface HttpLine extends LineBase {
  kind: 'http';
  method: string;
  path: string;
  request?: unknown;
  request_multipart?: Record<string, unknown>;
  request_raw?: string;
  status: number;
  content_type: string;
  response?: unknown;
  response_text?: string;
  response_length?: number;
}

/** The socket closed. */
export interface WsClosedLine extends LineBase {
  kind: 'ws_closed';
}

/** One line of a recording. */
export type TranscriptLine = NoteLine | WsSendLine | WsLine | WsBinaryLine | HttpLine | WsClosedLine;

/** The names of every recording, without `.jsonl`, in file order. */
export function listTranscripts(): string[] {
  return readdirSync(transcriptsDir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort();
}

/** Reads one recording. */
export function loadTranscript(name: string): TranscriptLine[] {
  const text = readFileSync(resolve(transcriptsDir, `${name}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TranscriptLine);
}

/** Reads one of the recorded API-format workflows. */
export function loadWorkflow(
  name: string,
): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  return JSON.parse(readFileSync(resolve(workflowsDir, `${name}.json`), 'utf8'));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Image bytes of the recorded size that start with the recorded magic number. */
function fakeImage(size: number, magicHex = '89504e47'): Buffer {
  const magic = Buffer.from(magicHex, 'hex');
  const image = Buffer.alloc(Math.max(size, magic.length));
  magic.copy(image);
  return image;
}

/**
 * Rebuilds a binary frame from its description: same event type, same header, and an image of the recorded
 * size beginning with the recorded magic (the pixels themselves were not recorded). `metadata` may be given
 * to override the recorded header, e.g. with prompt ids rewritten.
 */
export function buildBinaryFrame(line: WsBinaryLine, metadata = line.metadata): Buffer {
  const image = fakeImage(line.image_bytes ?? 0, line.image_magic);
  if (line.event_type === 1) return Buffer.concat([u32(1), u32(line.image_type ?? 2), image]);
  if (line.event_type === 4) {
    const header = Buffer.from(JSON.stringify(metadata ?? {}), 'utf8');
    return Buffer.concat([u32(4), u32(header.length), header, image]);
  }
  return Buffer.concat([u32(line.event_type), image]);
}

/**
 * Deterministic stand-in for a file the server would serve from `/view`: a PNG signature followed by the
 * file's identity, padded to `size`. Tests compare downloaded files against it.
 */
export function fakeViewBody(filename: string, subfolder: string, type: string, size = 64): Buffer {
  const identity = Buffer.from(`\x89PNG\r\n\x1a\n${type}/${subfolder}/${filename}`, 'latin1');
  const body = Buffer.alloc(Math.max(size, identity.length));
  identity.copy(body);
  return body;
}
