/**
 * A fake ComfyUI server that plays a recording of a real ComfyUI 0.8.0 server back (node:http and ws on
 * 127.0.0.1, a free port). It answers HTTP calls with the recorded responses and, when the matching
 * `POST /prompt` (or interrupt, queue deletion, upload) arrives, pushes the recorded WebSocket frames that
 * followed it, in order, with prompt ids rewritten to the ids our client chose.
 *
 * Fault injection for tests: hold the replay before a chosen frame, cut the sockets, stop the server, or
 * "restart" it (it forgets every prompt), and require credentials as a proxy would.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { route, type RouteReply } from './replayRoutes';
import { type Entry, loadScenario } from './replayScenario';
import { ReplayState } from './replayState';
import { buildBinaryFrame } from './replayTranscript';

/** How the fake behaves. */
export interface ReplayOptions {
  /** A path prefix the server lives under, e.g. `/comfy` (as behind a reverse proxy). */
  basePath?: string;
  /** An old server (before mid-2024): no `/api/...` aliases, so those answer 404. */
  legacyPaths?: boolean;
  /** Emulate the jobs API (`/api/jobs`, `/api/jobs/{id}`, `/api/jobs/{id}/cancel`). 0.8.0 has none here. */
  jobsApi?: boolean;
  /** Require this exact `Authorization` header on HTTP and on the WebSocket upgrade, else 401. */
  requireAuthorization?: string;
  /** Push a prompt's frames before answering its `POST /prompt` (the race a real idle server has). */
  eventsBeforeReply?: boolean;
}

/** A message frame as the hold predicate sees it (ids already rewritten). */
export interface FrameView {
  type: string;
  data: Record<string, unknown>;
}

/** One HTTP request the fake received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  body: string;
}

/** The fake server. */
export class ReplayServer {
  readonly requests: ReceivedRequest[] = [];
  /** Text frames our client sent, per connection, in order. */
  readonly clientFrames: unknown[][] = [];
  /** The `clientId` of each connection, in order. */
  readonly clientIds: string[] = [];
  readonly state: ReplayState;
  private readonly sockets = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private hold?: { when: (f: FrameView) => boolean; reached: () => void; held: boolean };
  private connectionWaiters: (() => void)[] = [];

  private constructor(
    scenario: string,
    private readonly options: ReplayOptions,
    private readonly server = http.createServer(),
  ) {
    this.state = new ReplayState(loadScenario(scenario));
    this.server.on('request', (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** Starts a fake for one recording (a transcript name such as `01_invert`). */
  static async start(scenario: string, options: ReplayOptions = {}): Promise<ReplayServer> {
    const fake = new ReplayServer(scenario, options);
    await new Promise<void>((done) => fake.server.listen(0, '127.0.0.1', done));
    return fake;
  }

  /** The base URL to give the client. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${this.options.basePath ?? ''}/`;
  }

  /** How many WebSocket connections have been accepted so far. */
  get connections(): number {
    return this.clientFrames.length;
  }

  /** Resolves once `count` connections have been accepted in total. */
  waitForConnections(count: number): Promise<void> {
    if (this.connections >= count) return Promise.resolve();
    return new Promise((done) => {
      const check = (): void =>
        this.connections >= count ? done() : void this.connectionWaiters.push(check);
      this.connectionWaiters.push(check);
    });
  }

  /** Stops the replay before the first frame that matches; resolves when the replay gets there. */
  holdBefore(when: (frame: FrameView) => boolean): Promise<void> {
    return new Promise((reached) => {
      this.hold = { when, reached, held: false };
    });
  }

  /** Lets a held replay go on. */
  release(): void {
    this.hold = undefined;
    this.pump();
  }

  /** Drops every WebSocket connection, as a proxy or a network would; the server itself runs on. */
  cutSockets(): void {
    for (const s of this.sockets) s.terminate();
    this.sockets.clear();
  }

  /** Simulates a restart: sockets drop, and the server no longer knows any prompt or plays anything. */
  restart(): void {
    this.state.restarted = true;
    this.cutSockets();
  }

  /** Stops the server: connections are refused from now on. */
  async stop(): Promise<void> {
    this.cutSockets();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private authorised(req: http.IncomingMessage): boolean {
    const wanted = this.options.requireAuthorization;
    return wanted === undefined || req.headers.authorization === wanted;
  }

  /** The route below the base path and `/api`, or undefined when the path is outside the server. */
  private locate(rawUrl: string): { route: string; query: URLSearchParams; api: boolean } | undefined {
    const url = new URL(rawUrl, 'http://x');
    const base = this.options.basePath ?? '';
    if (!url.pathname.startsWith(`${base}/`)) return undefined;
    const path = url.pathname.slice(base.length);
    const api = path.startsWith('/api/');
    return { route: api ? path.slice(4) : path, query: url.searchParams, api };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', body: body.toString('utf8') });
      if (!this.authorised(req)) return send(res, { status: 401, raw: text('401 Unauthorized') });
      const where = this.locate(req.url ?? '/');
      const legacyMiss = where?.api && this.options.legacyPaths;
      if (!where || legacyMiss) return send(res, { status: 404 });
      const ctx = {
        state: this.state,
        jobsApi: this.options.jobsApi ?? false,
        eventsBeforeReply: this.options.eventsBeforeReply ?? false,
        pump: () => this.pump(),
      };
      send(res, route(ctx, { method: req.method ?? 'GET', ...where, body }));
    });
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const where = this.locate(req.url ?? '/');
    if (!this.authorised(req) || !where || where.route !== '/ws') {
      const status = this.authorised(req) ? '404 Not Found' : '401 Unauthorized';
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.onConnection(ws, where.query.get('clientId') ?? ''),
    );
  }

  private onConnection(ws: WebSocket, clientId: string): void {
    const frames: unknown[] = [];
    this.clientFrames.push(frames);
    this.clientIds.push(clientId);
    this.state.setClientId(clientId);
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data, binary) => {
      const msg = binary ? data : JSON.parse(String(data));
      frames.push(msg);
      const flags = this.state.scenario.featureFlags;
      if (frames.length === 1 && (msg as { type?: string }).type === 'feature_flags' && flags) {
        ws.send(JSON.stringify({ type: 'feature_flags', data: flags }));
      }
    });
    const q = this.state.queue();
    const remaining = q.queue_pending.length + q.queue_running.length;
    ws.send(
      JSON.stringify({
        type: 'status',
        data: { status: { exec_info: { queue_remaining: remaining } }, sid: clientId },
      }),
    );
    // A socket that owns the running prompt is told its last node, without a prompt id (protocol 3.6 H).
    if (q.queue_running.length > 0 && this.state.lastNode) {
      ws.send(JSON.stringify({ type: 'executing', data: { node: this.state.lastNode } }));
    }
    const waiters = this.connectionWaiters;
    this.connectionWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Plays entries until a gate that has not been opened, a hold, or the end. */
  private pump(): void {
    const { state } = this;
    const entries = state.scenario.entries;
    while (!state.restarted && state.cursor < entries.length) {
      const entry = entries[state.cursor]!;
      if (!this.ready(entry)) return;
      this.play(entry);
      state.cursor += 1;
      state.advance(undefined);
    }
  }

  private ready(entry: Entry): boolean {
    if (entry.kind === 'gate') {
      return entry.gate === 'prompt' ? this.state.posted.has(entry.prompt!) : this.state.consume(entry.gate);
    }
    if (entry.kind !== 'ws' || !this.hold) return true;
    const frame = this.state.rewrite(entry.line.msg) as FrameView;
    if (!this.hold.when(frame)) return true;
    if (!this.hold.held) {
      this.hold.held = true;
      this.hold.reached();
    }
    return false;
  }

  private play(entry: Entry): void {
    if (entry.kind === 'ws') {
      const msg = this.state.rewrite(entry.line.msg) as FrameView;
      this.state.advance(msg.data?.prompt_id as string | undefined);
      if (msg.type === 'executing') this.state.lastNode = (msg.data.node as string | null) ?? null;
      this.broadcast(JSON.stringify(msg));
    } else if (entry.kind === 'binary') {
      const meta = entry.line.metadata ? this.state.rewrite(entry.line.metadata) : undefined;
      this.state.advance(meta?.prompt_id as string | undefined);
      this.broadcast(buildBinaryFrame(entry.line, meta));
    }
  }

  private broadcast(frame: string | Buffer): void {
    for (const s of this.sockets) if (s.readyState === s.OPEN) s.send(frame);
  }
}

function text(s: string): { data: Buffer; contentType: string } {
  return { data: Buffer.from(s), contentType: 'text/plain' };
}

function send(res: http.ServerResponse, reply: RouteReply): void {
  if (reply.json !== undefined) {
    res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(reply.json));
    return;
  }
  res.writeHead(reply.status, { 'Content-Type': reply.raw?.contentType ?? 'text/plain' });
  res.end(reply.raw?.data ?? '');
}
