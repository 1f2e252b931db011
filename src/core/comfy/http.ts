/**
 * A small HTTP layer for one ComfyUI server. It calls `/api/<route>` (as the official frontend does) and, for
 * servers older than mid-2024, falls back once to the bare `/<route>` on a 404 and remembers that. It uses
 * node:http(s) rather than fetch so that each server gets its own TLS trust and agent.
 *
 * Every failure before a response becomes `server_unreachable`; 401/403 become `auth`; a proxy's
 * 502/503/504 (the server behind it is down) becomes `server_unreachable`; silence longer than the timeout
 * becomes `timeout`. Other statuses are returned to the caller, who knows what they mean for its route.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { z } from 'zod';
import { RunnerError } from '../util/runnerError';
import { type ResolvedServer, serverUrl } from './serverConfig';

/** Which path a route is served under. */
export type RoutePrefix =
  /** `/api/<route>`, falling back to `/<route>` on 404 (every core route). */
  | 'api'
  /** Only `/api/<route>` exists (the jobs routes), so a 404 is the answer. */
  | 'apiOnly';

/** One request. */
export interface HttpRequest {
  /** Default GET. */
  method?: 'GET' | 'POST' | 'DELETE';
  /** The route without a leading slash or `api/`, e.g. `prompt`, `history/<id>`, `jobs`. */
  route: string;
  query?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body with its content type (multipart uploads). */
  body?: { data: Buffer; contentType: string };
  /** Default `api`. */
  prefix?: RoutePrefix;
  /** Overrides the server's request timeout. */
  timeoutMs?: number;
}

/** A buffered reply. */
export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const PROXY_DOWN = new Set([502, 503, 504]);

/** HTTP access to one server. */
export class ComfyHttp {
  /** Set once a server answered a bare path where `/api/...` gave 404: an old server. */
  private legacyPaths = false;

  constructor(readonly server: ResolvedServer) {}

  /** The server as shown to the user: its base URL without credentials, query token or trailing slash. */
  get displayName(): string {
    return this.server.base.href.replace(/\/$/, '');
  }

  /** Sends a request and buffers the reply; throws a {@link RunnerError} for transport and auth failures. */
  async request(req: HttpRequest): Promise<HttpReply> {
    const res = await this.open(req);
    return {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body: await readBody(res, this.timeoutOf(req)),
    };
  }

  /**
   * Sends a request and returns the reply as a stream, for downloads. The caller must consume or destroy
   * it. Statuses are checked as for {@link request}.
   */
  async stream(req: HttpRequest): Promise<http.IncomingMessage> {
    return this.open(req);
  }

  /** Sends a request and parses a 2xx JSON reply with `schema`; anything else is a `protocol` error. */
  async json<S extends z.ZodType>(req: HttpRequest, schema: S): Promise<z.output<S>> {
    const reply = await this.request(req);
    return parseJsonReply(reply, schema, `${req.method ?? 'GET'} ${req.route}`);
  }

  private timeoutOf(req: HttpRequest): number {
    return req.timeoutMs ?? this.server.requestTimeoutMs;
  }

  private async open(req: HttpRequest): Promise<http.IncomingMessage> {
    const apiPath = `api/${req.route}`;
    const prefix = req.prefix ?? 'api';
    if (prefix === 'api' && this.legacyPaths) return this.checked(req, req.route);
    const res = await this.send(req, apiPath);
    if (res.statusCode !== 404 || prefix === 'apiOnly') return this.check(res, req);
    res.resume();
    const bare = await this.send(req, req.route);
    if (bare.statusCode !== 404) this.legacyPaths = true;
    return this.check(bare, req);
  }

  private async checked(req: HttpRequest, path: string): Promise<http.IncomingMessage> {
    return this.check(await this.send(req, path), req);
  }

  private async check(res: http.IncomingMessage, req: HttpRequest): Promise<http.IncomingMessage> {
    const status = res.statusCode ?? 0;
    if (status !== 401 && status !== 403 && !PROXY_DOWN.has(status)) return res;
    const text = (await readBody(res, this.timeoutOf(req)).catch(() => Buffer.alloc(0))).toString('utf8');
    const details = { status, route: req.route, body: text.slice(0, 500) };
    if (PROXY_DOWN.has(status)) {
      throw new RunnerError(
        'server_unreachable',
        `The proxy in front of ${this.where()} answered ${status}`,
        {},
        details,
      );
    }
    throw new RunnerError('auth', `${this.where()} refused the credentials (HTTP ${status})`, {}, details);
  }

  private where(): string {
    return `ComfyUI at ${this.server.base.origin}${this.server.base.pathname}`;
  }

  private send(req: HttpRequest, path: string): Promise<http.IncomingMessage> {
    const url = serverUrl(this.server, path, req.query);
    const payload = requestBody(req);
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json, */*', ...this.server.headers };
    if (payload) {
      headers['Content-Type'] = payload.contentType;
      headers['Content-Length'] = payload.data.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const options: https.RequestOptions = { method: req.method ?? 'GET', headers, agent: this.server.agent };
    return new Promise((resolve, reject) => {
      const r = transport.request(url, options, resolve);
      r.setTimeout(this.timeoutOf(req), () => r.destroy(timeoutError(url, this.timeoutOf(req))));
      r.on('error', (e) => reject(transportError(e, url)));
      r.end(payload?.data);
    });
  }
}

function requestBody(req: HttpRequest): { data: Buffer; contentType: string } | undefined {
  if (req.body) return req.body;
  if (req.json === undefined) return undefined;
  return { data: Buffer.from(JSON.stringify(req.json), 'utf8'), contentType: 'application/json' };
}

function timeoutError(url: URL, ms: number): RunnerError {
  return new RunnerError(
    'timeout',
    `No answer from ${url.origin}${url.pathname} within ${ms} ms`,
    {},
    { url: url.href },
  );
}

const TLS_CODE = /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function transportError(e: Error, url: URL): RunnerError {
  if (e instanceof RunnerError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const tls = TLS_CODE.test(code);
  const hint = tls ? ' (TLS: trust its certificate authority, or mark the server as not verified)' : '';
  const message = `Cannot reach ${url.origin}${url.pathname}: ${code || e.message}${hint}`;
  return new RunnerError('server_unreachable', message, {}, { code, tls, cause: e.message });
}

/** Reads a whole reply; silence longer than `timeoutMs` is a `timeout`. */
export function readBody(res: http.IncomingMessage, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.setTimeout(timeoutMs, () =>
      res.destroy(new RunnerError('timeout', `The reply stalled for ${timeoutMs} ms`)),
    );
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', (e) =>
      reject(e instanceof RunnerError ? e : new RunnerError('server_unreachable', e.message)),
    );
  });
}

/** Parses a 2xx JSON reply with `schema`; `what` names the call in error messages. */
export function parseJsonReply<S extends z.ZodType>(reply: HttpReply, schema: S, what: string): z.output<S> {
  const text = reply.body.toString('utf8');
  if (reply.status < 200 || reply.status >= 300) {
    throw new RunnerError(
      'protocol',
      `${what} answered HTTP ${reply.status}`,
      {},
      { status: reply.status, body: text.slice(0, 500) },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RunnerError(
      'protocol',
      `${what} did not answer JSON`,
      {},
      { status: reply.status, body: text.slice(0, 500) },
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new RunnerError(
      'protocol',
      `${what} answered an unexpected shape`,
      {},
      { issues: parsed.error.issues },
    );
  }
  return parsed.data;
}
