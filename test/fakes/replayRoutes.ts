/**
 * The HTTP side of the replaying server: answers each route the way ComfyUI 0.8.0 did in the recordings,
 * with prompt ids rewritten to the ones our client chose. `/queue` and `/history/{id}` are derived from the
 * replay position (a recorded snapshot describes the recorder's timing, not ours); static routes come from
 * the recording, or from 12_http_misc when the scenario did not call them.
 */
import { fileKey } from './replayScenario';
import type { PostedPrompt, ReplayState } from './replayState';
import { fakeViewBody } from './replayTranscript';

/** A request as the routes see it: the path below the base, without `/api`. */
export interface RouteRequest {
  method: string;
  /** e.g. `/prompt`, `/history/<id>`, `/jobs/<id>/cancel`. */
  route: string;
  query: URLSearchParams;
  /** Whether the request came under `/api`. */
  api: boolean;
  body: Buffer;
}

/** A reply. */
export interface RouteReply {
  status: number;
  json?: unknown;
  raw?: { data: Buffer; contentType: string };
}

/** What the routes may do to the replay. */
export interface RouteContext {
  state: ReplayState;
  jobsApi: boolean;
  /** Plays on, after a request may have opened a gate. */
  pump(): void;
  /** Play a posted prompt's frames before answering the POST. */
  eventsBeforeReply: boolean;
}

const empty: RouteReply = { status: 200, raw: { data: Buffer.alloc(0), contentType: 'text/plain' } };

function jsonBody(req: RouteRequest): Record<string, unknown> {
  try {
    return JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function postPrompt(ctx: RouteContext, req: RouteRequest): RouteReply {
  const body = jsonBody(req) as PostedPrompt['body'] & { prompt_id?: string };
  const recorded = ctx.state.matchPrompt(body);
  if (!recorded) return { status: 500, json: { error: 'replay: no recorded POST /prompt is left' } };
  ctx.state.post(recorded, body, body.prompt_id);
  if (ctx.eventsBeforeReply) ctx.pump();
  else setImmediate(() => ctx.pump());
  if (recorded.line.response === undefined) {
    return {
      status: recorded.line.status,
      raw: { data: Buffer.from(recorded.line.response_text ?? ''), contentType: 'text/plain' },
    };
  }
  return { status: recorded.line.status, json: ctx.state.rewrite(recorded.line.response) };
}

function deleteFromQueue(ctx: RouteContext, req: RouteRequest): RouteReply {
  const body = jsonBody(req) as { delete?: string[]; clear?: boolean };
  for (const p of ctx.state.posted.values()) {
    const hit = body.clear === true || (body.delete ?? []).includes(p.id);
    if (hit && p.phase === 'pending') p.phase = 'deleted';
  }
  ctx.state.credit('queue');
  ctx.pump();
  return empty;
}

function gated(ctx: RouteContext, kind: 'interrupt' | 'history'): RouteReply {
  ctx.state.credit(kind);
  ctx.pump();
  return empty;
}

function upload(ctx: RouteContext, req: RouteRequest): RouteReply {
  const text = req.body.toString('latin1');
  const file = /name="image"; filename="([^"]+)"/.exec(text);
  if (!file) return { status: 400, raw: { data: Buffer.from('no file'), contentType: 'text/plain' } };
  ctx.state.uploads.push({ filename: file[1]!, form: text });
  ctx.state.credit('upload');
  ctx.pump();
  const recorded = ctx.state.scenario.uploadReply;
  return { status: 200, json: recorded ?? { name: file[1], subfolder: '', type: 'input' } };
}

function view(ctx: RouteContext, req: RouteRequest): RouteReply {
  const filename = req.query.get('filename') ?? '';
  const subfolder = req.query.get('subfolder') ?? '';
  const type = req.query.get('type') ?? 'output';
  if (filename.startsWith('/') || filename.includes('..')) return { status: 400 };
  const size = ctx.state.scenario.files.get(fileKey(type, subfolder, filename));
  if (size === undefined) return { status: 404 };
  return {
    status: 200,
    raw: { data: fakeViewBody(filename, subfolder, type, size), contentType: 'image/png' },
  };
}

function recordedGet(ctx: RouteContext, req: RouteRequest): RouteReply | undefined {
  const target = req.route + (req.query.size > 0 ? `?${req.query.toString()}` : '');
  const line = ctx.state.scenario.gets.find((l) => l.path === target || l.path === `/api${target}`);
  if (!line) return undefined;
  return { status: line.status, json: ctx.state.rewrite(line.response) };
}

function job(ctx: RouteContext, id: string): RouteReply {
  const p = ctx.state.byId(id);
  if (!p || ctx.state.restarted || p.phase === 'deleted')
    return { status: 404, json: { error: 'Job not found' } };
  const history = ctx.state.history(id) as
    { status?: { status_str?: string; messages?: [string][] } } | undefined;
  let status = p.phase === 'pending' ? 'pending' : 'in_progress';
  if (history) {
    const interrupted = history.status?.messages?.some((m) => m[0] === 'execution_interrupted');
    status = history.status?.status_str === 'success' ? 'completed' : interrupted ? 'cancelled' : 'failed';
  }
  return { status: 200, json: { id, status, priority: p.number } };
}

function cancelJob(ctx: RouteContext, id: string): RouteReply {
  const p = ctx.state.byId(id);
  let cancelled = false;
  if (p?.phase === 'pending') {
    p.phase = 'deleted';
    ctx.state.credit('queue');
    cancelled = true;
  } else if (p?.phase === 'running') {
    ctx.state.credit('interrupt');
    cancelled = true;
  }
  ctx.pump();
  return { status: 200, json: { cancelled } };
}

function jobsRoute(ctx: RouteContext, req: RouteRequest): RouteReply {
  const parts = req.route.split('/').filter(Boolean);
  if (req.method === 'GET' && parts.length === 1) {
    const jobs = [...ctx.state.posted.values()].map((p) => job(ctx, p.id).json).filter(Boolean);
    return {
      status: 200,
      json: { jobs, pagination: { offset: 0, limit: null, total: jobs.length, has_more: false } },
    };
  }
  if (req.method === 'GET' && parts.length === 2) return job(ctx, parts[1]!);
  if (req.method === 'POST' && parts.length === 3 && parts[2] === 'cancel') return cancelJob(ctx, parts[1]!);
  return { status: 404 };
}

function getRoute(ctx: RouteContext, req: RouteRequest): RouteReply {
  const { state } = ctx;
  if (req.route === '/queue') return { status: 200, json: state.queue() };
  if (req.route === '/prompt') {
    const q = state.queue();
    return {
      status: 200,
      json: { exec_info: { queue_remaining: q.queue_running.length + q.queue_pending.length } },
    };
  }
  if (req.route.startsWith('/history/')) {
    const id = decodeURIComponent(req.route.slice('/history/'.length));
    const entry = state.history(id);
    return { status: 200, json: entry ? { [id]: entry } : {} };
  }
  if (req.route === '/view') return view(ctx, req);
  return recordedGet(ctx, req) ?? { status: 404 };
}

/** Answers one request. */
export function route(ctx: RouteContext, req: RouteRequest): RouteReply {
  if (req.route.startsWith('/jobs')) return req.api && ctx.jobsApi ? jobsRoute(ctx, req) : { status: 404 };
  if (req.method === 'GET') return getRoute(ctx, req);
  if (req.method !== 'POST') return { status: 405 };
  switch (req.route) {
    case '/prompt':
      return postPrompt(ctx, req);
    case '/queue':
      return deleteFromQueue(ctx, req);
    case '/interrupt':
      return gated(ctx, 'interrupt');
    case '/history':
      return gated(ctx, 'history');
    case '/upload/image':
      return upload(ctx, req);
    default:
      return { status: 404 };
  }
}
