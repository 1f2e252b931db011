/**
 * The per-launch token of a server started for one front end (`comfy-runner serve --token`): every HTTP
 * request and the WebSocket upgrade must carry it, the way ComfyUI-Login takes it (comfyui-protocol.md
 * 1.2): as `Authorization: Bearer <token>` or as a `?token=<token>` query parameter. Our client sends
 * either (ServerCredentials `bearerToken`, `queryToken`). Tokens are compared in constant time, and the
 * token is never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';

/** The environment variable `comfy-runner serve --token-from-env` reads its token from. */
export const tokenEnvVariable = 'COMFY_RUNNER_TOKEN';

/** The tokens a request presents: its bearer token and its `token` query parameter, when present. */
function presented(req: http.IncomingMessage): string[] {
  const found: string[] = [];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (bearer) found.push(bearer[1]);
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
  if (query) found.push(query);
  return found;
}

/**
 * True when `given` equals `expected`. Both are hashed first, so the comparison takes the same time
 * whatever the lengths and wherever they differ.
 */
export function sameToken(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when the server wants a token (`expected` is set) and the request carries no right one. */
export function refusedByToken(req: http.IncomingMessage, expected: string | undefined): boolean {
  if (expected === undefined) return false;
  // Every presented token is compared, so that timing does not tell which one was right.
  return !presented(req)
    .map((t) => sameToken(t, expected))
    .reduce((a, b) => a || b, false);
}

/** `text` with every occurrence of the token replaced, for anything the server shows (its argv). */
export function redactToken(text: string, token: string | undefined): string {
  return token ? text.split(token).join('<token>') : text;
}
