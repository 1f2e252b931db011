/**
 * Purpose-built loopback HTTP(S) servers for the HTTP layer's tests: each test gives a handler and reads
 * back the requests the server saw.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/** A request as the loopback server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A running loopback server. */
export interface Loopback {
  /** `http(s)://127.0.0.1:<port>/` */
  origin: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Reply function: status, JSON body (or text), optional headers. */
export type Handler = (req: SeenRequest) => { status: number; json?: unknown; text?: string } | 'hang';

const tlsDir = resolve(__dirname, 'fixtures/tls');

/** The test certificate authority that signed the loopback server's certificate. */
export const testCa = readFileSync(resolve(tlsDir, 'ca.pem'), 'utf8');

function listenerFor(handler: Handler, seen: SeenRequest[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(r);
      const out = handler(r);
      if (out === 'hang') return;
      const body = out.json !== undefined ? JSON.stringify(out.json) : (out.text ?? '');
      res.writeHead(out.status, {
        'Content-Type': out.json !== undefined ? 'application/json' : 'text/plain',
      });
      res.end(body);
    });
  };
}

/** Starts a loopback server; `tls` serves https with a certificate for 127.0.0.1 signed by {@link testCa}. */
export async function startLoopback(handler: Handler, tls = false): Promise<Loopback> {
  const seen: SeenRequest[] = [];
  const listener = listenerFor(handler, seen);
  const server = tls
    ? https.createServer(
        {
          key: readFileSync(resolve(tlsDir, 'server.key')),
          cert: readFileSync(resolve(tlsDir, 'server.pem')),
        },
        listener,
      )
    : http.createServer(listener);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return { origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`, seen, close };
}

/** A port on which nothing listens (taken, then released). */
export async function unusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
