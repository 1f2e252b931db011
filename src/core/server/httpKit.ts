/**
 * The small pieces of HTTP the ComfyUI-compatible server needs on top of node:http: reading a body with a
 * size cap, and answering with the exact content types aiohttp (ComfyUI's web framework) uses, so that
 * clients which look at headers see what a real server sends.
 */
import type * as http from 'node:http';

/** A request body larger than the server accepts (aiohttp answers 413). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** Reads a whole request body; rejects with {@link BodyTooLarge} past `limit` bytes. */
export function readRequestBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Answers JSON as aiohttp's `json_response` does (`application/json; charset=utf-8`). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': data.length });
  res.end(data);
}

/** Answers with no body, as aiohttp's bare `web.Response(status=...)` does. */
export function sendEmpty(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
  res.end();
}

/** Answers plain text. */
export function sendText(res: http.ServerResponse, status: number, text: string): void {
  const data = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': data.length });
  res.end(data);
}

/** What aiohttp answers when a handler raises: the recording of malformed JSON on `POST /prompt` shows it. */
export function sendInternalError(res: http.ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  sendText(res, 500, '500 Internal Server Error\n\nServer got itself in trouble');
}

/** A body parsed as JSON, or `{ok: false}` when it is empty or not JSON (callers decide what that means). */
export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
