/**
 * `POST /prompt` and `GET /prompt` (comfyui-protocol.md 2.1, 2.2), answering with ComfyUI's bodies and
 * statuses: 200 `{prompt_id, number, node_errors}` and 400 `{error, node_errors}`.
 *
 * Deliberate differences:
 * - a prompt id that is already queued, running or in history is not queued a second time; the answer
 *   repeats the first acceptance. A client retrying a POST whose answer it lost therefore never runs its
 *   prompt twice. ComfyUI would queue the duplicate.
 * - a body that is not JSON, nests deeper than `MAX_JSON_DEPTH` (httpKit.ts), or is not an object, a
 *   `prompt` that is not an object, and a malformed `number`, `extra_data` or
 *   `partial_execution_targets` get 400 `invalid_request` with a message naming what is wrong, where
 *   ComfyUI 0.8.0's handler raises and aiohttp answers a bare 500 (the 06 recording shows one).
 */
import { randomUUID } from 'node:crypto';
import type { ApiPrompt } from '../workflow/types';
import { validatePrompt } from '../workflow/validate';
import { BadRequest, isObject, parseJsonBody, sendJson } from './httpKit';
import { isCanonicalUuid, sensitiveExtraDataKeys, type QueueItem } from './queueItem';
import type { Route, RouteContext } from './router';
import type { ServerState } from './serverState';

/** `{exec_info: {queue_remaining}}`, the body of `GET /prompt` and the `status` of socket messages. */
export function queueInfo(state: ServerState): { exec_info: { queue_remaining: number } } {
  return { exec_info: { queue_remaining: state.queue.remaining() } };
}

/** The routes of `/prompt`. */
export function promptRoutes(state: ServerState): Route[] {
  return [
    { method: 'GET', path: 'prompt', handle: ({ res }) => sendJson(res, 200, queueInfo(state)) },
    { method: 'POST', path: 'prompt', handle: (ctx) => postPrompt(state, ctx) },
  ];
}

function errorBody(type: string, message: string, details: string) {
  return { error: { type, message, details, extra_info: {} }, node_errors: {} };
}

/** A malformed request: 400 with ComfyUI's error shape, where ComfyUI's handler would raise. */
function refuse(what: string): never {
  throw new BadRequest(what);
}

/**
 * The body as an object. Arrays and strings count as empty (ComfyUI's `"prompt" in body` finds nothing
 * in them); numbers, booleans and null are refused.
 */
function asBody(value: unknown): Record<string, unknown> {
  if (isObject(value)) return value;
  return Array.isArray(value) || typeof value === 'string'
    ? {}
    : refuse('The request body must be a JSON object');
}

async function postPrompt(state: ServerState, ctx: RouteContext): Promise<void> {
  const body = await ctx.body();
  try {
    await submit(state, ctx, asBody(parseJsonBody(body)));
  } catch (e) {
    if (!(e instanceof BadRequest)) throw e;
    sendJson(ctx.res, 400, errorBody('invalid_request', e.message, e.message));
  }
}

async function submit(state: ServerState, ctx: RouteContext, body: Record<string, unknown>): Promise<void> {
  // The counter advances before anything is checked, rejected and prompt-less requests included.
  const number = priorityOf(state, body);
  if (!('prompt' in body))
    return sendJson(ctx.res, 400, errorBody('no_prompt', 'No prompt provided', 'No prompt provided'));
  const promptId = promptIdOf(body);
  if (promptId === undefined) return sendJson(ctx.res, 400, invalidPromptId());
  if (!isObject(body.prompt)) refuse('prompt must be a JSON object of nodes by id');
  const known = state.queue.find(promptId)?.number ?? state.history.get(promptId)?.prompt[0];
  if (known !== undefined)
    return sendJson(ctx.res, 200, { prompt_id: promptId, number: known, node_errors: {} });
  await accept(state, ctx, body, { number, promptId, prompt: body.prompt as ApiPrompt });
}

async function accept(
  state: ServerState,
  ctx: RouteContext,
  body: Record<string, unknown>,
  base: { number: number; promptId: string; prompt: ApiPrompt },
): Promise<void> {
  const partialTargets = targetsOf(body.partial_execution_targets);
  const result = validatePrompt(base.prompt, await state.definitions(), { partialTargets });
  const { extraData, sensitive } = extraDataOf(body);
  if (!result.ok) {
    const error = result.error ?? {
      type: 'prompt_outputs_failed_validation',
      message: 'Prompt outputs failed validation',
      details: '',
      extra_info: {},
    };
    return sendJson(ctx.res, 400, { error, node_errors: result.node_errors });
  }
  extraData.create_time = Date.now();
  const item: QueueItem = {
    ...base,
    prompt: result.prompt ?? base.prompt,
    extraData,
    outputs: result.outputs,
    partialTargets,
    sensitive,
  };
  state.queue.put(item);
  sendJson(ctx.res, 200, { prompt_id: base.promptId, number: base.number, node_errors: result.node_errors });
}

function invalidPromptId() {
  return errorBody(
    'invalid_prompt_id',
    'prompt_id must be a valid UUID',
    'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one',
  );
}

/** The priority: an explicit `number`, else the counter (negated for `front`), which then advances. */
function priorityOf(state: ServerState, body: Record<string, unknown>): number {
  if ('number' in body) {
    const n = Number(body.number);
    return Number.isFinite(n) ? n : refuse('number must be a number');
  }
  const n = state.counter++;
  return body.front ? -n : n;
}

/** The client's prompt id if it is canonical, a fresh one if absent or null, undefined if malformed. */
function promptIdOf(body: Record<string, unknown>): string | undefined {
  const id = body.prompt_id;
  if (id === undefined || id === null) return randomUUID();
  return isCanonicalUuid(id) ? id : undefined;
}

function targetsOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value)
    ? value.map(String)
    : refuse('partial_execution_targets must be a list of node ids');
}

/** `extra_data` with `client_id` copied in and the sensitive keys held apart. */
function extraDataOf(body: Record<string, unknown>): {
  extraData: Record<string, unknown>;
  sensitive: Record<string, unknown>;
} {
  const given = body.extra_data ?? {};
  if (!isObject(given)) refuse('extra_data must be a JSON object');
  const extraData: Record<string, unknown> = { ...given };
  if ('client_id' in body) extraData.client_id = body.client_id;
  const sensitive: Record<string, unknown> = {};
  for (const key of sensitiveExtraDataKeys) {
    if (key in extraData) {
      sensitive[key] = extraData[key];
      delete extraData[key];
    }
  }
  return { extraData, sensitive };
}
