/**
 * The server's route table. Every route answers both at `/<path>` and at `/api/<path>`, as ComfyUI mirrors
 * its main table since mid-2024; routes declared `apiOnly` (the jobs API) exist only under `/api`, as in
 * ComfyUI, where those paths carry the prefix already. A handler that throws gets aiohttp's plain 500.
 */
import type * as http from 'node:http';
import { BodyTooLarge, readRequestBody, sendEmpty, sendInternalError } from './httpKit';
import { refusedByOrigin } from './originCheck';

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

/**
 * A request listener over a route table: cross-site browser requests get 403 (originCheck.ts), unknown
 * paths 404, bodies over `maxBody` 413.
 */
export function routeRequests(routes: readonly Route[], maxBody: number): http.RequestListener {
  return (req, res) => {
    if (refusedByOrigin(req)) {
      req.resume();
      return sendEmpty(res, 403);
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
      body: () => (body ??= readRequestBody(req, maxBody)),
    };
    void Promise.resolve()
      .then(() => found.route.handle(ctx))
      .catch((e: unknown) => (e instanceof BodyTooLarge ? sendEmpty(res, 413) : sendInternalError(res)));
  };
}
