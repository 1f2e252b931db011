/**
 * A WebSocket client that does the handshake itself over a plain TCP connection, so that tests and
 * benchmarks can send what a well-behaved client never would: part of a frame, or a frame header that
 * announces more bytes than follow.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';

/** An open raw socket and the close code of the first close frame the server sends (-1 if none came). */
export interface RawSocket {
  conn: net.Socket;
  closeCode: Promise<number>;
}

/** A client text frame header (masked, as clients must send) announcing `length` payload bytes. */
export function textFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81; // FIN, text
  header[1] = 0x80 | 127; // masked, a 64-bit length follows
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** Connects to `<url>/ws?clientId=<clientId>` and sends the upgrade request. */
export async function rawSocket(url: string, clientId = 'raw'): Promise<RawSocket> {
  const { hostname, port } = new URL(url);
  const conn = net.connect(Number(port), hostname);
  await once(conn, 'connect');
  const key = randomBytes(16).toString('base64');
  conn.write(
    `GET /ws?clientId=${clientId} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let received = Buffer.alloc(0);
  const closeCode = new Promise<number>((done) => {
    conn.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const code = closeCodeIn(received);
      if (code !== undefined) done(code);
    });
    conn.on('error', () => done(-1));
    conn.on('close', () => done(-1));
  });
  return { conn, closeCode };
}

/** The close code of the first close frame after the HTTP head in `bytes`, once it is complete. */
function closeCodeIn(bytes: Buffer): number | undefined {
  let at = bytes.indexOf('\r\n\r\n');
  if (at < 0) return undefined;
  at += 4;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    let length = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) [length, start] = [bytes.readUInt16BE(at + 2), at + 4];
    else if (length === 127) [length, start] = [Number(bytes.readBigUInt64BE(at + 2)), at + 10];
    if (start + length > bytes.length) return undefined;
    if (opcode === 8) return bytes.readUInt16BE(start);
    at = start + length;
  }
  return undefined;
}
