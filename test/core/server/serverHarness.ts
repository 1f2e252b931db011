/**
 * Shared set-up for the server's tests: a server on a free loopback port over fresh folders, a WebSocket
 * that records every frame it receives, plain HTTP calls that keep what ComfyUI's recordings keep (status,
 * content type, body), and the key-and-type shape of JSON values for comparing bodies with the recordings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import WebSocket from 'ws';
import { createEngine, type Engine } from '../../../src/core/engine/executor';
import type { NodeRegistry } from '../../../src/core/engine/registry';
import {
  startComfyServer,
  type ComfyServer,
  type ComfyServerOptions,
} from '../../../src/core/server/comfyServer';

/** A running server with its folders. */
export interface Served {
  server: ComfyServer;
  url: string;
  root: string;
  inputDir: string;
  outputDir: string;
  tempDir: string;
  engine?: Engine;
}

const served: Served[] = [];

/**
 * Starts a server on 127.0.0.1 and a free port. By default it serves a built-in engine that runs one node
 * at a time, as ComfyUI does, so event sequences can be compared with the recordings message by message.
 * `nodes` replaces the built-in nodes (test nodes run on the main thread then).
 */
export async function serve(
  options: Partial<ComfyServerOptions> & { nodes?: NodeRegistry } = {},
): Promise<Served> {
  const root = mkdtempSync(join(tmpdir(), 'comfy-serve-'));
  const dirs = {
    inputDir: join(root, 'input'),
    outputDir: join(root, 'output'),
    tempDir: join(root, 'temp'),
  };
  const { nodes, ...rest } = options;
  const engine =
    rest.engine ??
    (rest.parallel && rest.parallel > 1
      ? undefined
      : createEngine({ ...dirs, nodes, workers: !nodes, maxConcurrency: 1 }));
  const server = await startComfyServer({ ...dirs, port: 0, ...rest, engine });
  const s = { server, url: server.url, root, ...dirs, engine };
  served.push(s);
  return s;
}

/** Stops every server started since the last call and removes its folders. */
export async function closeServed(): Promise<void> {
  for (const s of served.splice(0)) {
    await s.server.close();
    await s.engine?.dispose();
    rmSync(s.root, { recursive: true, force: true });
  }
}

/**
 * A frame the recorder received: JSON as `{type, data}`; binary as `{type: 'binary:<event type>'}` with,
 * for a type-4 preview, its JSON header as `data`, and for previews the image.
 */
export interface Frame {
  type: string;
  data?: Record<string, unknown>;
  /** The encoded image of a binary preview frame (types 1 and 4). */
  image?: Uint8Array;
}

/** A binary frame as a {@link Frame}: event type, then a type-4 frame's header or a type-1 frame's format. */
export function binaryFrame(bytes: Uint8Array): Frame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eventType = view.getUint32(0);
  const type = `binary:${eventType}`;
  if (eventType === 1) return { type, image: bytes.subarray(8) };
  if (eventType !== 4) return { type };
  const length = view.getUint32(4);
  const data = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Frame['data'];
  return { type, data, image: bytes.subarray(8 + length) };
}

/** A WebSocket to the server that keeps every frame. */
export class SocketRecorder {
  readonly frames: Frame[] = [];
  private waiters: { when: (f: Frame) => boolean; done: (f: Frame) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame: Frame = isBinary
        ? binaryFrame(new Uint8Array(data as Buffer))
        : (JSON.parse(data.toString()) as Frame);
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.when(frame) ? (w.done(frame), false) : true));
    });
  }

  /** Opens `/ws?clientId=...`; with `hello` the first frame sent is the frontend's feature-flags message. */
  static async open(url: string, clientId?: string, hello = true): Promise<SocketRecorder> {
    const query = clientId ? `?clientId=${clientId}` : '';
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws${query}`);
    const recorder = new SocketRecorder(ws);
    await new Promise<void>((done, fail) => {
      ws.once('open', () => done());
      ws.once('error', fail);
    });
    if (hello) ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
    return recorder;
  }

  /** Resolves with the first frame (already received or still to come) that satisfies `when`. */
  next(when: (f: Frame) => boolean, after = 0): Promise<Frame> {
    const seen = this.frames.slice(after).find(when);
    if (seen) return Promise.resolve(seen);
    return new Promise((done) => this.waiters.push({ when, done }));
  }

  /** Resolves when the prompt has ended (`executing {node: null}` for it). */
  finished(promptId: string): Promise<Frame> {
    return this.next((f) => f.type === 'executing' && f.data?.node === null && f.data.prompt_id === promptId);
  }

  /** Resolves when a node of the prompt starts. */
  executing(promptId: string, node: string): Promise<Frame> {
    return this.next((f) => f.type === 'executing' && f.data?.node === node && f.data.prompt_id === promptId);
  }

  /** Closes the socket and waits until it has closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((done) => {
      this.ws.once('close', () => done());
      this.ws.close();
    });
  }
}

/** An HTTP exchange as the recordings keep it. */
export interface Exchange {
  status: number;
  contentType: string;
  text: string;
  json?: unknown;
}

/** Sends a request; `body` is sent as JSON unless it is a string (sent raw) or FormData. */
export async function call(url: string, method: string, path: string, body?: unknown): Promise<Exchange> {
  const init: RequestInit = { method };
  if (body instanceof FormData) init.body = body;
  else if (typeof body === 'string') init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

/** The shape of a JSON value: objects map keys to shapes, arrays become the shapes of their items. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

/** A 96x64 RGBA PNG with a transparent hole, like the one the 07 recording uploaded. */
export function holePng(): Uint8Array {
  const width = 96;
  const height = 64;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inHole = Math.abs(x - 48) < 12 && Math.abs(y - 32) < 12;
      data.set([Math.round((x / width) * 255), Math.round((y / height) * 255), 128, inHole ? 0 : 255], i);
    }
  }
  return encode({ width, height, data, channels: 4, depth: 8 });
}
