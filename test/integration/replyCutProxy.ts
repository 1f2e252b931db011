/**
 * A loopback proxy in front of a server that loses replies to `POST /prompt` on demand: the request
 * reaches the server, which queues the prompt and answers, and then the proxy drops the connection
 * instead of passing the answer on. The client is left not knowing whether its prompt was accepted,
 * which is the case idempotent submission exists for. Everything else, WebSocket included, passes.
 *
 * test/core/scheduler/faultProxy.ts does other faults (cut sockets, delays, refusals); this one stays
 * separate because it needs to see the upstream reply before deciding to drop it.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

/** A running proxy. */
export interface ReplyCutProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** How many `POST /prompt` replies were dropped so far. */
  readonly cut: number;
  close(): Promise<void>;
}

interface ProxyState {
  upstream: URL;
  /** Replies still to drop. */
  toCut: number;
  cut: number;
  sockets: Set<net.Socket>;
}

const isSubmit = (req: http.IncomingMessage) => req.method === 'POST' && /\/prompt(\?|$)/.test(req.url ?? '');

/** Forwards one request; a submit whose reply is to be cut waits for the whole reply, then hangs up. */
function forward(state: ProxyState, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { hostname: host, port } = state.upstream;
  const options = { host, port, method: req.method, path: req.url, headers: req.headers };
  const cutThis = isSubmit(req) && state.toCut > 0;
  if (cutThis) state.toCut--;
  const upstream = http.request(options, (reply) => {
    if (!cutThis) {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
      return;
    }
    reply.resume();
    reply.once('end', () => {
      state.cut++;
      res.socket?.destroy();
    });
  });
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

/** Passes a WebSocket upgrade through as raw bytes in both directions. */
function tunnel(state: ProxyState, req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
  const server = net.connect(Number(state.upstream.port), state.upstream.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    server.write(`${lines.join('\r\n')}\r\n\r\n`);
    server.write(head);
    socket.pipe(server).pipe(socket);
  });
  for (const s of [socket, server]) {
    state.sockets.add(s);
    s.on('error', () => s.destroy()).on('close', () => {
      state.sockets.delete(s);
      (s === socket ? server : socket).destroy();
    });
  }
}

/** Starts a proxy to `target` that drops the replies of the next `cutReplies` submits. */
export async function startReplyCutProxy(target: string, cutReplies: number): Promise<ReplyCutProxy> {
  const state: ProxyState = { upstream: new URL(target), toCut: cutReplies, cut: 0, sockets: new Set() };
  const server = http.createServer((req, res) => forward(state, req, res));
  server.on('upgrade', (req, socket: net.Socket, head: Buffer) => tunnel(state, req, socket, head));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get cut() {
      return state.cut;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const s of state.sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
