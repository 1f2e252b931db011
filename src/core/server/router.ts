/**
 * The server's route table. Every route answers both at `/<path>` and at `/api/<path>`, as ComfyUI mirrors
 * its main table since mid-2024; routes declared `apiOnly` (the jobs API) exist only under `/api`, as in
 * ComfyUI, where those paths carry the prefix already. A handler that throws {@link BadRequest} gets 400
 * with its message; one that throws anything else gets aiohttp's plain 500. Before any route, a request
 * passes the gate the socket upgrade passes too ({@link refusalOf}).
 */
import type * as http from 'node:http';
import {
  BadRequest,
  BodyTooLarge,
  readRequestBody,
  sendEmpty,
  sendInternalError,
  sendJson,
  sendText,
} from './httpKit';
import { refusedByToken } from './accessToken';
import { originRefusal, type HostPolicy } from './originCheck';

/** What a handler gets. */
export interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  /** Path parameters by name, decoded. */
  params: Record<string, string>;
  /** The request body, read once, capped at the server's upload limit. */
  body(): Promise<Buffer>;
}

/** One route. */
export interface Route {
  method: 'GET' | 'POST';
  /** Without a leading slash; `{name}` matches one path segment. */
  path: string;
  /** Served only as `/api/<path>`. @default false */
  apiOnly?: boolean;
  handle(ctx: RouteContext): Promise<void> | void;
}

/** Matches `segments` against a route path; the parameters, or undefined. */
function match(path: string, segments: string[]): Record<string, string> | undefined {
  const parts = path.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.startsWith('{') && part.endsWith('}')) params[part.slice(1, -1)] = segments[i];
    else if (part !== segments[i]) return undefined;
  }
  return params;
}

/** Splits a request path into decoded segments, with whether it carried the `/api` prefix. */
function segmentsOf(pathname: string): { api: boolean; segments: string[] } | undefined {
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const api = segments[0] === 'api';
  return { api, segments: api ? segments.slice(1) : segments };
}

/** Finds the route for a request, with its parameters. */
export function findRoute(
  routes: readonly Route[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  const split = segmentsOf(pathname);
  if (!split) return undefined;
  for (const route of routes) {
    if (route.method !== method || (route.apiOnly && !split.api)) continue;
    const params = match(route.path, split.segments);
    if (params) return { route, params };
  }
  return undefined;
}

/** What every request and socket upgrade is checked against before any route sees it. */
export interface Gate {
  /** The hosts and origins the server answers (originCheck.ts). */
  hosts: HostPolicy;
  /** The token every request must carry (accessToken.ts). @default none: no token is asked for */
  token?: string;
}

/** What {@link routeRequests} needs besides the routes. */
export interface RouterOptions extends Gate {
  /** Request bodies above this many bytes get 413. */
  maxBody: number;
}

/** Why a request is refused before any route: its status and a sentence for the client. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/**
 * How a request (or a socket upgrade) is refused before any route sees it: 403 for a foreign host or
 * origin (originCheck.ts), then 401 when the server wants a token and the request has no right one
 * (accessToken.ts); undefined when it passes.
 */
export function refusalOf(req: http.IncomingMessage, gate: Gate): Refusal | undefined {
  const foreign = originRefusal(req, gate.hosts);
  if (foreign) return { status: 403, message: foreign };
  if (refusedByToken(req, gate.token))
    return { status: 401, message: 'This server wants its token (Authorization: Bearer, or ?token=).' };
  return undefined;
}

/** Answers a refused request with its message; a 401 names the scheme, as HTTP asks. */
function refuse(res: http.ServerResponse, refusal: Refusal): void {
  if (refusal.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  sendText(res, refusal.status, refusal.message);
}

/** What a handler's failure is answered with. */
function answerFailure(res: http.ServerResponse, e: unknown): void {
  if (e instanceof BodyTooLarge) return sendEmpty(res, 413);
  if (e instanceof BadRequest && !res.headersSent) return sendJson(res, 400, { error: e.message });
  sendInternalError(res);
}

/**
 * A request listener over a route table: requests the gate refuses get 403 or 401 ({@link refusalOf}),
 * unknown paths 404, bodies over `maxBody` 413.
 */
export function routeRequests(routes: readonly Route[], options: RouterOptions): http.RequestListener {
  return (req, res) => {
    const refused = refusalOf(req, options);
    if (refused) {
      req.resume();
      return refuse(res, refused);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = findRoute(routes, req.method ?? 'GET', url.pathname);
    if (!found) {
      req.resume();
      return sendEmpty(res, req.method === 'OPTIONS' ? 200 : 404);
    }
    let body: Promise<Buffer> | undefined;
    const ctx: RouteContext = {
      req,
      res,
      url,
      params: found.params,
      body: () => (body ??= readRequestBody(req, options.maxBody)),
    };
    void Promise.resolve()
      .then(() => found.route.handle(ctx))
      .catch((e: unknown) => answerFailure(res, e));
  };
}
