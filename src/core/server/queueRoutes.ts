/**
 * The queue and history routes (comfyui-protocol.md 2.3 to 2.5 and 2.7): `GET /queue`, `POST /queue`
 * (clear, delete), `POST /interrupt` (global or by prompt id), `GET /history[/{id}]`, `POST /history`
 * (clear, delete) and `POST /free`. Each answers as ComfyUI does: empty 200s for the POSTs, `{}` for an
 * unknown history id, never 404.
 */
import { isObject, parseJson, sendEmpty, sendInternalError, sendJson } from './httpKit';
import { queueTuple } from './queueItem';
import type { Route, RouteContext } from './router';
import type { ServerState } from './serverState';

/** The queue, interrupt, history and free routes. */
export function queueRoutes(state: ServerState): Route[] {
  return [
    { method: 'GET', path: 'queue', handle: ({ res }) => sendJson(res, 200, queueBody(state)) },
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

/** A JSON object body; aiohttp's 500 for anything else, as ComfyUI's `await request.json()` raising gives. */
async function objectBody(ctx: RouteContext): Promise<Record<string, unknown> | undefined> {
  const parsed = parseJson(await ctx.body());
  if (parsed.ok && isObject(parsed.value)) return parsed.value;
  sendInternalError(ctx.res);
  return undefined;
}

/** The ids of a `delete` list, as strings. */
function idsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

async function postQueue(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = await objectBody(ctx);
  if (!body) return;
  if (body.clear) state.queue.clear();
  for (const id of idsOf(body.delete)) state.queue.dequeue(id);
  sendEmpty(ctx.res, 200);
}

async function postInterrupt(state: ServerState, ctx: RouteContext): Promise<void> {
  // An empty or non-JSON body is a global interrupt, as in ComfyUI.
  const parsed = parseJson(await ctx.body());
  const promptId = parsed.ok && isObject(parsed.value) ? parsed.value.prompt_id : undefined;
  if (!promptId) state.queue.interrupt();
  else if (typeof promptId === 'string') state.queue.interrupt(promptId);
  sendEmpty(ctx.res, 200);
}

function getHistory(state: ServerState, { res, url }: RouteContext): void {
  const max = url.searchParams.get('max_items');
  const offset = url.searchParams.get('offset');
  const maxItems = max === null ? undefined : Number.parseInt(max, 10);
  const from = offset === null ? -1 : Number.parseInt(offset, 10);
  // ComfyUI's int() raising on a bad value gives aiohttp's 500.
  if (Number.isNaN(maxItems) || Number.isNaN(from)) return sendInternalError(res);
  sendJson(res, 200, state.history.list(maxItems, from));
}

async function postHistory(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = await objectBody(ctx);
  if (!body) return;
  if (body.clear) state.history.clear();
  for (const id of idsOf(body.delete)) state.history.delete(id);
  sendEmpty(ctx.res, 200);
}

async function postFree(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = await objectBody(ctx);
  if (!body) return;
  // The engine holds no models; `free_memory` drops the execution cache, as in ComfyUI.
  if (body.free_memory) state.queue.clearCaches();
  sendEmpty(ctx.res, 200);
}
