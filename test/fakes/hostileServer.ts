/**
 * A loopback HTTP server that answers every request with a function of the test's own, for servers
 * that misbehave in ways a well-formed reply cannot: one that stops sending, drips a byte at a time,
 * announces or sends more than it should. It keeps every response it opened, so a test can see which
 * the client hung up on, and closes them all with itself.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Resolves once the client has closed the connection of the first request whose URL contains `fragment`. */
  hungUp(fragment: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 at a free port that answers with `listener`. */
export async function startHostileServer(listener: http.RequestListener): Promise<HostileServer> {
  const closed = new Map<string, Promise<void>>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    closed.set(url, new Promise((done) => res.once('close', () => done())));
    listener(req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hungUp: (fragment) => {
      const seen = [...closed].find(([url]) => url.includes(fragment));
      return seen ? seen[1] : Promise.reject(new Error(`no request for ${fragment} came`));
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Sends one byte every `everyMs`, never ending, until the client hangs up. */
export function drip(res: http.ServerResponse, everyMs: number): void {
  res.writeHead(200, { 'Content-Type': 'video/mp4' });
  const timer = setInterval(() => res.write('x'), everyMs);
  res.once('close', () => clearInterval(timer));
}

/** Sends `mib` MiB of zeros in 64 KiB chunks, without announcing a length, as fast as the client reads. */
export function flood(res: http.ServerResponse, mib: number): void {
  res.writeHead(200, { 'Content-Type': 'video/mp4' });
  const chunk = Buffer.alloc(64 * 1024);
  let left = mib * 16;
  const more = (): void => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  res.once('close', () => (left = 0));
  more();
}
