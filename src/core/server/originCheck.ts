/**
 * Who may talk to the server, applied to every route and to the `/ws` upgrade before anything else: a web
 * page of another site must not drive a server on this machine through the user's browser, neither
 * directly (its requests carry its `Origin`) nor by DNS rebinding (a name of the attacker's that resolves
 * to 127.0.0.1, which shows only in `Host`). Stricter than ComfyUI's "origin only" guard
 * (comfyui-protocol.md 1.3):
 *
 * - Listening on loopback, the server answers only a `Host` that is a loopback literal (127.0.0.0/8, ::1,
 *   IPv4-mapped 127.x in any spelling), `localhost`, or a name of {@link HostPolicy.allowedHosts}.
 *   `localhost.` (trailing dot) and `*.localhost` are names like any other: refused unless allowed.
 * - A request carrying an `Origin` is answered only when that origin is the server's own (the same
 *   canonical host and the same port as the `Host`, default ports filled in) or its host is allowed.
 *   `Origin: null` (sandboxed frames, files) is refused.
 * - A request a browser marks `Sec-Fetch-Site: cross-site` is refused unless its `Origin` is allowed.
 *
 * Clients outside browsers (our own, scripts) send no `Origin` and a loopback `Host`, and pass. Hosts are
 * compared in the URL parser's canonical form (lower case; IPv6 compressed, so `::FFFF:127.0.0.1` is
 * `::ffff:7f00:1`; IPv4 dotted, so `127.1` is `127.0.0.1`), and loopback is decided on the parsed address.
 */
import type * as http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { RunnerError } from '../util/runnerError';

/** What {@link originRefusal} checks requests against. */
export interface HostPolicy {
  /** The server listens on a loopback address only, so the `Host` must name loopback too. */
  readonly loopbackOnly: boolean;
  /** Further host names accepted as `Host` and as an `Origin`'s host, canonical ({@link canonicalHost}). */
  readonly allowedHosts: ReadonlySet<string>;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for `localhost` and loopback addresses; `name` is canonical, without brackets. */
function isLoopbackHost(name: string): boolean {
  if (name === 'localhost') return true;
  const family = isIP(name);
  // BlockList matches IPv4-mapped IPv6 addresses against the IPv4 subnet.
  return family !== 0 && loopback.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/** A host name, an IPv4 address, or a bracketed IPv6 address, then an optional port: all `Host` may hold. */
const HOST_AND_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

/**
 * A host as an address to listen on or a name to allow is given (an IPv6 address bare or bracketed, no
 * port), in the URL parser's canonical form without brackets; undefined when it is not a host.
 */
function canonicalHost(host: string): string | undefined {
  const text = isIP(host) === 6 ? `[${host}]` : host;
  const parsed = HOST_AND_PORT.exec(text);
  if (!parsed || parsed[2] !== undefined) return undefined;
  return hostAndPort(text)?.name;
}

/** `host[:port]` canonical, the port as a number (0 when absent); undefined when it is not that. */
function hostAndPort(text: string): { name: string; port: number } | undefined {
  const parsed = HOST_AND_PORT.exec(text);
  if (!parsed) return undefined;
  const port = parsed[2] === undefined ? 0 : Number(parsed[2]);
  if (port > 65535) return undefined;
  try {
    return { name: new URL(`http://${parsed[1]}`).hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/** The policy of a server listening on `listenHost` that also accepts `allowHosts`. */
export function hostPolicy(listenHost: string, allowHosts: readonly string[] = []): HostPolicy {
  const allowedHosts = new Set<string>();
  for (const host of allowHosts) {
    const name = canonicalHost(host);
    if (name === undefined)
      throw new RunnerError(
        'bad_input',
        `Allowed host "${host}" is not a host name or address: give a name such as mybox.local, without scheme or port`,
      );
    allowedHosts.add(name);
  }
  const bound = canonicalHost(listenHost);
  return { loopbackOnly: bound !== undefined && isLoopbackHost(bound), allowedHosts };
}

/** At most 100 characters of a header, for a message. */
const shown = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** The host and effective port of an `Origin`, if it is an http(s) origin. */
function originOf(text: string): { name: string; port: number } | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { name: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** Why the request's `Host` is refused, or undefined. */
function hostRefusal(host: string | undefined, policy: HostPolicy): string | undefined {
  if (!policy.loopbackOnly) return undefined;
  if (host === undefined) return 'This server answers only requests that name it in a Host header.';
  const target = hostAndPort(host);
  if (target && (isLoopbackHost(target.name) || policy.allowedHosts.has(target.name))) return undefined;
  return (
    `Host ${shown(host)} is not a loopback address or localhost, and this server listens on loopback only; ` +
    'to reach it under this name, start it with --allow-host <name>.'
  );
}

/** True when an `Origin` is an http(s) page of an allowed host. */
function allowedOrigin(origin: string | undefined, policy: HostPolicy): boolean {
  const source = origin === undefined ? undefined : originOf(origin);
  return source !== undefined && policy.allowedHosts.has(source.name);
}

/** Why the request's `Origin` is refused, or undefined; `host` passed {@link hostRefusal}. */
function originRefusalOf(origin: string, host: string | undefined, policy: HostPolicy): string | undefined {
  if (allowedOrigin(origin, policy)) return undefined;
  const source = originOf(origin);
  const target = host === undefined ? undefined : hostAndPort(host);
  const targetPort = target?.port || 80;
  if (source && target && source.name === target.name && source.port === targetPort) return undefined;
  return (
    `Origin ${shown(origin)} is not this server's origin: requests from web pages of other sites are ` +
    'refused. To accept pages of a host, start the server with --allow-host <name>.'
  );
}

/** The message of the 403 a request (or a socket upgrade) gets, or undefined when it may pass. */
export function originRefusal(req: http.IncomingMessage, policy: HostPolicy): string | undefined {
  const { host, origin } = req.headers;
  const refusedHost = hostRefusal(host, policy);
  if (refusedHost) return refusedHost;
  const refusedOrigin = origin === undefined ? undefined : originRefusalOf(origin, host, policy);
  if (refusedOrigin) return refusedOrigin;
  if (req.headers['sec-fetch-site'] === 'cross-site' && !allowedOrigin(origin, policy))
    return 'Cross-site browser requests are refused.';
  return undefined;
}
