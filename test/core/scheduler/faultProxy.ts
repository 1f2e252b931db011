/**
 * A loopback proxy in front of a server that can misbehave on demand, for fault tests: cut every open
 * WebSocket, delay some routes, or refuse everything with an HTTP status (a reverse proxy that wants
 * credentials). Plain HTTP is forwarded request by request; a WebSocket upgrade is forwarded as raw bytes.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Destroys every forwarded WebSocket connection (the server and the client both see it drop). */
  cutSockets(): void;
  /** Delays every request whose path contains `fragment` by `ms` before forwarding it. */
  delay(fragment: string, ms: number): void;
  /** Answers every request and upgrade with this status instead of forwarding; undefined forwards again. */
  refuse(status: number | undefined): void;
  close(): Promise<void>;
}

/** What the proxy is told to do; shared by its request and upgrade handlers. */
interface ProxyState {
  upstream: URL;
  tunnels: Set<net.Socket>;
  delays: [string, number][];
  refusal?: number;
}

/** Forwards one HTTP request, after its delay, or refuses it. */
function forwardRequest(state: ProxyState, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (state.refusal !== undefined) {
    req.resume();
    res.writeHead(state.refusal, { 'Content-Type': 'text/html' }).end('<h1>401 Authorization Required</h1>');
    return;
  }
  const { hostname: host, port } = state.upstream;
  const wait = state.delays.find(([fragment]) => req.url?.includes(fragment))?.[1] ?? 0;
  setTimeout(() => {
    const options = { host, port, method: req.method, path: req.url, headers: req.headers };
    const forward = http.request(options, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  }, wait);
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
  const state: ProxyState = { upstream: new URL(target), tunnels: new Set(), delays: [] };
  const server = http.createServer((req, res) => forwardRequest(state, req, res));
  server.on('upgrade', (req, socket: net.Socket, head: Buffer) => forwardUpgrade(state, req, socket, head));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cutSockets: () => [...state.tunnels].forEach((s) => s.destroy()),
    delay: (fragment, ms) => void state.delays.push([fragment, ms]),
    refuse: (status) => void (state.refusal = status),
    close: () =>
      new Promise<void>((done) => {
        [...state.tunnels].forEach((s) => s.destroy());
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
