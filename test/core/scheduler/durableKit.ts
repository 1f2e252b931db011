/**
 * Helpers for the durable runner's tests: a store in a fresh folder, a stored job as a dead runner left
 * it, a remote target with loopback timings, what a server ran (its history), and a proxy that lets a
 * `POST /prompt` through and then hangs up instead of passing the reply on.
 */
import * as http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComfyClient } from '../../../src/core/comfy/client';
import { applyOperation, createJob, type Job } from '../../../src/core/scheduler/job';
import type { JobOperation } from '../../../src/core/scheduler/jobState';
import { remoteTarget } from '../../../src/core/scheduler/remoteTarget';
import type { RunTarget } from '../../../src/core/scheduler/runTarget';
import type { JobStore } from '../../../src/core/store/jobStore';
import { openStore } from '../../../src/core/store/openStore';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { fastTimings } from '../comfy/replayHarness';

/** A fresh folder under the system's temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A store handle that polls quickly, as `pid` (a pid that does not exist stands for a dead process). */
export function testStore(dir: string, pid = process.pid): Promise<JobStore> {
  return openStore(dir, { pid, pollMs: 50, heartbeatMs: 0 });
}

/** A pid no process has, for an owner that died. */
export const deadPid = 2 ** 22 + 4321;

/**
 * Leaves `jobs` in the store at `dir` as a runner that died would have: written under its ownership,
 * which it never gave up.
 */
export async function leaveBehind(dir: string, jobs: Job[]): Promise<void> {
  const store = await testStore(dir, deadPid);
  await store.acquire();
  for (const job of jobs) await store.put(job);
}

/** A job over `prompt` that went through `ops`, with `patch` applied (server, prompt id, ...). */
export function storedJob(prompt: ApiPrompt, ops: JobOperation[] = [], patch: Partial<Job> = {}): Job {
  const job = createJob(
    {
      workflow: { file: 'w.json', sourceHash: 's', promptHash: 'p' },
      prompt,
      overrides: [],
      outDir: tempDir('durable-job-'),
    },
    Date.now(),
  );
  for (const op of ops) applyOperation(job, op);
  return Object.assign(job, patch);
}

/** A remote target for `url` under a client id, with loopback timings. */
export function loopTarget(url: string, clientId?: string): RunTarget {
  const client = new ComfyClient({ baseUrl: url, clientId, ...fastTimings });
  return remoteTarget({ client, inputDir: tempDir('durable-in-') });
}

/** One prompt the server has in its history: its id and the prompt it ran. */
export interface Ran {
  promptId: string;
  prompt: ApiPrompt;
}

/** Every prompt in the server's history. */
export async function history(url: string): Promise<Ran[]> {
  const all = (await (await fetch(`${url}/history`)).json()) as Record<string, { prompt: unknown[] }>;
  return Object.entries(all).map(([promptId, e]) => ({ promptId, prompt: e.prompt[2] as ApiPrompt }));
}

/** How many times the server ran prompts whose TestCounter (node 2 unless given) has this tag. */
export async function runsOf(url: string, tag: string, node = '2'): Promise<number> {
  return (await history(url)).filter((r) => r.prompt[node]?.inputs.tag === tag).length;
}

/** A proxy whose every `POST /prompt` reaches the server, whose reply it then drops; `posts` counts them. */
export interface ReplyDropper {
  url: string;
  /** The `POST /prompt` bodies seen, in order. */
  readonly posts: Record<string, unknown>[];
  /** Called with each body before it is forwarded. */
  onPost?: (body: Record<string, unknown>) => void;
  close: () => Promise<void>;
}

/** Passes a WebSocket upgrade through to `upstream` as raw bytes in both directions. */
function tunnel(
  upstream: URL,
  sockets: Set<net.Socket>,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
): void {
  const server = net.connect(Number(upstream.port), upstream.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    server.write(`${lines.join('\r\n')}\r\n\r\n`);
    server.write(head);
    socket.pipe(server).pipe(socket);
  });
  for (const s of [socket, server]) {
    sockets.add(s);
    s.on('error', () => s.destroy()).on('close', () => {
      sockets.delete(s);
      socket.destroy();
      server.destroy();
    });
  }
}

/** Forwards one buffered request to `upstream`; with `drop`, hangs up once the reply has come instead of passing it on. */
function forward(
  upstream: URL,
  req: http.IncomingMessage,
  body: Buffer,
  res: http.ServerResponse,
  drop: boolean,
): void {
  const options = {
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: req.headers,
  };
  const out = http.request(options, (reply) => {
    if (drop) return void reply.resume().once('end', () => res.socket?.destroy());
    res.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(res);
  });
  out.on('error', () => res.writeHead(502).end());
  out.end(body);
}

/** Starts a {@link ReplyDropper} in front of `target`; only the first `drops` replies are dropped. */
export async function startReplyDropper(target: string, drops = 1): Promise<ReplyDropper> {
  const upstream = new URL(target);
  let left = drops;
  const sockets = new Set<net.Socket>();
  const proxy: ReplyDropper = { url: '', posts: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const submit = req.method === 'POST' && /\/prompt$/.test(req.url ?? '');
      if (submit) {
        const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        proxy.posts.push(parsed);
        proxy.onPost?.(parsed);
      }
      forward(upstream, req, body, res, submit && left-- > 0);
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
    tunnel(upstream, sockets, req, socket, head),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => done());
    });
  return proxy;
}
