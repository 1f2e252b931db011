/**
 * A loopback proxy in front of a ComfyUI server that misbehaves on demand, for fault tests: cut every
 * open WebSocket, delay some routes, refuse everything with an HTTP status (a reverse proxy that wants
 * credentials), answer some routes itself (a hostile `/view`), or lose the replies to the next `POST /prompt`s (the request reaches the server, which
 * queues the prompt and answers, and the proxy hangs up instead of passing the answer on: the case
 * idempotent submission exists for). Plain HTTP is forwarded request by request; a WebSocket upgrade is
 * forwarded as raw bytes.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The `POST /prompt` bodies that passed, in order. */
  readonly posts: Record<string, unknown>[];
  /** How many submit replies were dropped so far. */
  readonly dropped: number;
  /** Called with each `POST /prompt` body before it is forwarded. */
  onPost?: (body: Record<string, unknown>) => void;
  /** Destroys every forwarded WebSocket connection (the server and the client both see it drop). */
  cutSockets(): void;
  /** Delays every request whose path contains `fragment` by `ms` before forwarding it. */
  delay(fragment: string, ms: number): void;
  /** Answers every request and upgrade with this status instead of forwarding; undefined forwards again. */
  refuse(status: number | undefined): void;
  /** Answers every request whose path contains `fragment` with `listener` instead of forwarding it. */
  answer(fragment: string, listener: http.RequestListener): void;
  /** Drops the replies of the next `count` `POST /prompt`s, once the server has answered each. */
  dropSubmitReplies(count: number): void;
  close(): Promise<void>;
}

/** What the proxy is told to do; shared by its request and upgrade handlers. */
interface ProxyState {
  upstream: URL;
  tunnels: Set<net.Socket>;
  delays: [string, number][];
  answers: [string, http.RequestListener][];
  refusal?: number;
  /** Submit replies still to drop. */
  toDrop: number;
  dropped: number;
}

const isSubmit = (req: http.IncomingMessage) => req.method === 'POST' && /\/prompt(\?|$)/.test(req.url ?? '');

/** Forwards one HTTP request, after its delay, or refuses it. */
function forwardRequest(
  proxy: FaultProxy,
  state: ProxyState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  if (state.refusal !== undefined) {
    req.resume();
    res.writeHead(state.refusal, { 'Content-Type': 'text/html' }).end('<h1>401 Authorization Required</h1>');
    return;
  }
  const answer = state.answers.find(([fragment]) => req.url?.includes(fragment))?.[1];
  if (answer) return void answer(req, res);
  const wait = state.delays.find(([fragment]) => req.url?.includes(fragment))?.[1] ?? 0;
  if (!isSubmit(req)) return void setTimeout(() => send(state, req, res, req, false), wait);
  // A submit is read whole first, to record its body.
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    proxy.posts.push(parsed);
    proxy.onPost?.(parsed);
    const drop = state.toDrop > 0;
    if (drop) state.toDrop--;
    setTimeout(() => send(state, req, res, body, drop), wait);
  });
}

/** Sends the request upstream; with `drop`, hangs up once the reply has come instead of passing it on. */
function send(
  state: ProxyState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: http.IncomingMessage | Buffer,
  drop: boolean,
): void {
  const { hostname: host, port } = state.upstream;
  const options = { host, port, method: req.method, path: req.url, headers: req.headers };
  const out = http.request(options, (reply) => {
    if (drop) {
      return void reply.resume().once('end', () => {
        state.dropped++;
        res.socket?.destroy();
      });
    }
    res.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(res);
  });
  out.on('error', () => res.writeHead(502).end());
  if (Buffer.isBuffer(body)) out.end(body);
  else body.pipe(out);
}

/** Forwards a WebSocket upgrade as raw bytes in both directions, or refuses it. */
function forwardUpgrade(
  state: ProxyState,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
): void {
  if (state.refusal !== undefined) {
    socket.end(`HTTP/1.1 ${state.refusal} Unauthorized\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const tunnel = net.connect(Number(state.upstream.port), state.upstream.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    tunnel.write(`${lines.join('\r\n')}\r\n\r\n`);
    tunnel.write(head);
    socket.pipe(tunnel).pipe(socket);
  });
  state.tunnels.add(socket).add(tunnel);
  const drop = () => {
    for (const s of [socket, tunnel]) {
      s.destroy();
      state.tunnels.delete(s);
    }
  };
  socket.on('error', drop).on('close', drop);
  tunnel.on('error', drop).on('close', drop);
}

/** Starts a proxy to `target` (`http://127.0.0.1:<port>`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const state: ProxyState = {
    upstream: new URL(target),
    tunnels: new Set(),
    delays: [],
    answers: [],
    toDrop: 0,
    dropped: 0,
  };
  const server = http.createServer();
  const proxy: FaultProxy = {
    url: '',
    posts: [],
    get dropped() {
      return state.dropped;
    },
    cutSockets: () => [...state.tunnels].forEach((s) => s.destroy()),
    delay: (fragment, ms) => void state.delays.push([fragment, ms]),
    refuse: (status) => void (state.refusal = status),
    answer: (fragment, listener) => void state.answers.push([fragment, listener]),
    dropSubmitReplies: (count) => void (state.toDrop = count),
    close: () =>
      new Promise<void>((done) => {
        [...state.tunnels].forEach((s) => s.destroy());
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
    forwardRequest(proxy, state, req, res),
  );
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
    forwardUpgrade(state, req, socket, head),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  (proxy as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
