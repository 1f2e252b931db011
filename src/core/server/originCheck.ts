/**
 * ComfyUI's "origin only" guard (comfyui-protocol.md 1.3), applied to every route and to `/ws`: a web page
 * on another site must not drive a server on this machine through the user's browser. A request a browser
 * marks `Sec-Fetch-Site: cross-site` is refused, and so is one whose `Origin` names another host than its
 * `Host` when that host is a loopback address. Clients outside browsers send neither header and pass.
 */
import type * as http from 'node:http';
import { isIP } from 'node:net';

/** True for `localhost` and loopback addresses (127.0.0.0/8, ::1, and IPv4-mapped 127.x). */
function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare.startsWith('::ffff:127.');
}

/** `host[:port]` as a URL would split it; undefined when it does not parse. */
function split(hostAndPort: string): { hostname: string; port: string } | undefined {
  try {
    const url = new URL(`http://${hostAndPort}`);
    return { hostname: url.hostname, port: url.port };
  } catch {
    return undefined;
  }
}

/** True when the request must be refused with 403. */
export function refusedByOrigin(req: http.IncomingMessage): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const { host, origin } = req.headers;
  if (!host || !origin) return false;
  const target = split(host);
  let source: { hostname: string; port: string };
  try {
    source = new URL(origin);
  } catch {
    return false;
  }
  if (!target || !isLoopback(target.hostname)) return false;
  // Ports count only when both sides name one, as in ComfyUI (some browsers leave it out).
  const samePort = !target.port || !source.port || target.port === source.port;
  return target.hostname.toLowerCase() !== source.hostname.toLowerCase() || !samePort;
}
