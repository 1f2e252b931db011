/**
 * How to reach one ComfyUI server: its base URL (which may carry a path prefix such as `/comfy/` behind a
 * reverse proxy), the credentials a proxy or ComfyUI-Login wants, and TLS trust. HTTP calls and the
 * WebSocket upgrade both read this, so they always send the same credentials (comfyui-protocol.md 1.2).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { rootCertificates } from 'node:tls';
import { RunnerError } from '../util/runnerError';

/** What the user configures for a server. */
export interface ServerOptions {
  /** `http(s)://host[:port][/prefix/]`; `user:pass@` in it is used as HTTP Basic credentials. */
  baseUrl: string;
  /** Extra headers sent on every request and on the WebSocket upgrade (e.g. `Comfy-User`, `X-API-KEY`). */
  headers?: Record<string, string>;
  /** HTTP Basic user name; overrides one given in the URL. */
  username?: string;
  /** HTTP Basic password; overrides one given in the URL. */
  password?: string;
  /** Sent as `Authorization: Bearer <token>`; takes the place of Basic credentials when both are set. */
  bearerToken?: string;
  /** Appended as `?token=` to every HTTP and WebSocket URL (ComfyUI-Login, Comfy Cloud). */
  queryToken?: string;
  /** PEM certificate(s) to trust in addition to the system's, for self-signed servers. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Verify the server's certificate. Default true; false only for a server the user explicitly marked so. */
  rejectUnauthorized?: boolean;
  /** A request fails with reason `timeout` after this long without any byte. Default 30 000 ms. */
  requestTimeoutMs?: number;
}

/** TLS settings for `https.request` and `ws`. */
export interface TlsSettings {
  ca?: (string | Buffer)[];
  rejectUnauthorized: boolean;
}

/** A server's options, checked and turned into what the transports need. */
export interface ResolvedServer {
  /** The base URL without credentials; its path ends with `/`. */
  readonly base: URL;
  /** Headers for every request: extra headers plus `Authorization`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly queryToken?: string;
  readonly tls: TlsSettings;
  /** One keep-alive agent per server, so its TLS settings never leak to another server. */
  readonly agent: http.Agent;
  readonly requestTimeoutMs: number;
}

function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

function authorization(options: ServerOptions, url: URL): string | undefined {
  if (options.bearerToken) return `Bearer ${options.bearerToken}`;
  const user = options.username ?? decodeURIComponent(url.username);
  const password = options.password ?? decodeURIComponent(url.password);
  return user || password ? basicAuth(user, password) : undefined;
}

function parseBase(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new RunnerError('bad_input', `Not a server URL: ${baseUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RunnerError('bad_input', `A server URL must start with http:// or https://: ${baseUrl}`);
  }
  return url;
}

function tlsSettings(options: ServerOptions): TlsSettings {
  const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  // Node's `ca` replaces the system store, so the custom certificates are added to the bundled roots.
  const ca = extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
  return { ca, rejectUnauthorized: options.rejectUnauthorized ?? true };
}

/** Checks a server's options and prepares headers, TLS settings and an agent. */
export function resolveServer(options: ServerOptions): ResolvedServer {
  const url = parseBase(options.baseUrl);
  const auth = authorization(options, url);
  const base = new URL(url.href);
  base.username = '';
  base.password = '';
  base.search = '';
  base.hash = '';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const tls = tlsSettings(options);
  const agent =
    base.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized })
      : new http.Agent({ keepAlive: true });
  return {
    base,
    headers: { ...(auth ? { Authorization: auth } : {}), ...options.headers },
    queryToken: options.queryToken,
    tls,
    agent,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  };
}

/** The URL of `path` (relative, no leading slash) under the server's base, with the query token if any. */
export function serverUrl(server: ResolvedServer, path: string, query: Record<string, string> = {}): URL {
  const url = new URL(path, server.base);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  if (server.queryToken) url.searchParams.set('token', server.queryToken);
  return url;
}

/** The WebSocket URL: `ws[s]://host/base/ws?clientId=<id>[&token=...]`. */
export function webSocketUrl(server: ResolvedServer, clientId: string): URL {
  const url = serverUrl(server, 'ws', { clientId });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}
