/**
 * The queue and history routes (comfyui-protocol.md 2.3 to 2.5 and 2.7): `GET /queue`, `POST /queue`
 * (clear, delete), `POST /interrupt` (global or by prompt id), `GET /history[/{id}]`, `POST /history`
 * (clear, delete) and `POST /free`. Each answers as ComfyUI does: empty 200s for the POSTs, `{}` for an
 * unknown history id, never 404.
 *
 * Unlike ComfyUI, a POST body that is not a JSON object (or nests too deep, httpKit.ts) and a `max_items`
 * or `offset` that is not a number get 400 with a message rather than aiohttp's bare 500; an empty
 * `POST /interrupt` is still a global interrupt. `GET
 * /queue` and `GET /history` write their entries one by one if need be, leaving out (and logging) one
 * that cannot be written as JSON, so that it cannot break the answer for every client.
 */
import {
  BadRequest,
  isObject,
  parseJsonBody,
  parseJsonObject,
  sendEmpty,
  sendJson,
  sendJsonLeavingOut,
} from './httpKit';
import { queueTuple } from './queueItem';
import type { Route, RouteContext } from './router';
import { leftOutBy, type ServerState } from './serverState';

/** The queue, interrupt, history and free routes. */
export function queueRoutes(state: ServerState): Route[] {
  return [
    {
      method: 'GET',
      path: 'queue',
      handle: ({ res }) => sendJsonLeavingOut(res, queueBody(state), 2, leftOutBy(state, 'GET /queue')),
    },
    { method: 'POST', path: 'queue', handle: (ctx) => postQueue(state, ctx) },
    { method: 'POST', path: 'interrupt', handle: (ctx) => postInterrupt(state, ctx) },
    { method: 'GET', path: 'history', handle: (ctx) => getHistory(state, ctx) },
    {
      method: 'GET',
      path: 'history/{id}',
      handle: ({ res, params }) => {
        const entry = state.history.get(params.id);
        sendJson(res, 200, entry ? { [params.id]: entry } : {});
      },
    },
    { method: 'POST', path: 'history', handle: (ctx) => postHistory(state, ctx) },
    { method: 'POST', path: 'free', handle: (ctx) => postFree(state, ctx) },
  ];
}

/** `GET /queue`: running and pending items as five-element tuples, pending in run order. */
function queueBody(state: ServerState) {
  const { running, pending } = state.queue.snapshot();
  return { queue_running: running.map(queueTuple), queue_pending: pending.map(queueTuple) };
}

/** The ids of a `delete` list, as strings. */
function idsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

async function postQueue(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = parseJsonObject(await ctx.body());
  if (body.clear) state.queue.clear();
  for (const id of idsOf(body.delete)) state.queue.dequeue(id);
  sendEmpty(ctx.res, 200);
}

async function postInterrupt(state: ServerState, ctx: RouteContext): Promise<void> {
  // An empty body is a global interrupt, as in ComfyUI; a malformed one interrupts nothing.
  const body = await ctx.body();
  const value = body.toString('utf8').trim() === '' ? {} : parseJsonBody(body);
  if (!isObject(value)) throw new BadRequest('The request body must be a JSON object');
  const promptId = value.prompt_id;
  if (!promptId) state.queue.interrupt();
  else if (typeof promptId === 'string') state.queue.interrupt(promptId);
  sendEmpty(ctx.res, 200);
}

function getHistory(state: ServerState, { res, url }: RouteContext): void {
  const max = url.searchParams.get('max_items');
  const offset = url.searchParams.get('offset');
  const maxItems = max === null ? undefined : Number.parseInt(max, 10);
  const from = offset === null ? -1 : Number.parseInt(offset, 10);
  if (Number.isNaN(maxItems) || Number.isNaN(from))
    throw new BadRequest('max_items and offset must be whole numbers');
  sendJsonLeavingOut(res, state.history.list(maxItems, from), 1, leftOutBy(state, 'GET /history'));
}

async function postHistory(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = parseJsonObject(await ctx.body());
  if (body.clear) state.history.clear();
  for (const id of idsOf(body.delete)) state.history.delete(id);
  sendEmpty(ctx.res, 200);
}

async function postFree(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = parseJsonObject(await ctx.body());
  // The engine holds no models; `free_memory` drops the execution cache, as in ComfyUI.
  if (body.free_memory) state.queue.clearCaches();
  sendEmpty(ctx.res, 200);
}
