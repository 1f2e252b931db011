/**
 * The small pieces of HTTP the ComfyUI-compatible server needs on top of node:http: reading a body with a
 * size cap, parsing a JSON body with a nesting cap, and answering with the exact content types aiohttp
 * (ComfyUI's web framework) uses, so that clients which look at headers see what a real server sends.
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
  sendJsonText(res, status, JSON.stringify(body));
}

function sendJsonText(res: http.ServerResponse, status: number, text: string): void {
  const data = Buffer.from(text, 'utf8');
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

/** A request the server refuses with 400 and this message (router.ts answers it). */
export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

/**
 * How deeply a JSON request body may nest, the body itself counting as one level. An editor workflow
 * with nested subgraphs in `extra_data` nests some 20 levels; a value nested several thousand deep can no
 * longer be written back by `JSON.stringify`, which would break `/history` and `/queue` for everyone.
 */
export const MAX_JSON_DEPTH = 256;

/** True when `value` nests deeper than `limit` levels; stops looking once it is, so never recurses past it. */
function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  const members: unknown[] = Array.isArray(value) ? value : Object.values(value);
  return members.some((member) => deeperThan(member, limit - 1));
}

/**
 * A request body parsed as JSON; {@link BadRequest} when it is not JSON or nests deeper than
 * {@link MAX_JSON_DEPTH} levels.
 */
export function parseJsonBody(body: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new BadRequest(`The request body is not valid JSON: ${(e as Error).message}`);
  }
  if (deeperThan(value, MAX_JSON_DEPTH))
    throw new BadRequest(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** A request body that must be a JSON object ({@link parseJsonBody}); {@link BadRequest} when it is not. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const value = parseJsonBody(body);
  if (!isObject(value)) throw new BadRequest('The request body must be a JSON object');
  return value;
}

/**
 * `value` as JSON text, leaving out each member, down to `levels` below the top, that cannot be written
 * (a cycle, a BigInt, nesting too deep for `JSON.stringify`), and telling `leftOut` its path and why, so
 * one bad history entry never breaks the answer for the others. The whole value is tried first: members
 * are written one by one only when it fails.
 */
export function jsonLeavingOut(
  value: unknown,
  levels: number,
  leftOut: (path: string, error: unknown) => void,
  path = '',
): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (levels === 0 || typeof value !== 'object' || value === null) {
      leftOut(path, e);
      return undefined;
    }
    const write = (key: string, member: unknown) =>
      jsonLeavingOut(member, levels - 1, leftOut, `${path}/${key}`);
    if (Array.isArray(value)) {
      const items = value.map((member, i) => write(String(i), member)).filter((t) => t !== undefined);
      return `[${items.join(',')}]`;
    }
    const entries = Object.entries(value).flatMap(([key, member]) => {
      const text = write(key, member);
      return text === undefined ? [] : [`${JSON.stringify(key)}:${text}`];
    });
    return `{${entries.join(',')}}`;
  }
}

/** Answers JSON as {@link sendJson} does, members that cannot be written left out ({@link jsonLeavingOut}). */
export function sendJsonLeavingOut(
  res: http.ServerResponse,
  body: unknown,
  levels: number,
  leftOut: (path: string, error: unknown) => void,
): void {
  sendJsonText(res, 200, jsonLeavingOut(body, levels, leftOut) ?? 'null');
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
