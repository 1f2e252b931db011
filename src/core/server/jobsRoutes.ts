/**
 * The jobs API (comfyui-protocol.md 2.6), only under `/api` as in ComfyUI: `GET /api/jobs` with status,
 * workflow, sorting and paging; `GET /api/jobs/{id}`; `POST /api/jobs/{id}/cancel`; `POST /api/jobs/cancel`.
 * A cancel acts on whatever state the job is in now: a pending job is dequeued, a running one interrupted,
 * a finished or unknown one left alone. The server runs on one thread, so no prompt can start between the
 * look and the act.
 */
import { isObject, parseJsonBody, sendJson, sendJsonLeavingOut } from './httpKit';
import { finishedJob, jobStatuses, type JobStatus, type JobEntry, queuedJob, sortKey } from './jobEntry';
import { isCanonicalUuid } from './queueItem';
import type { Route, RouteContext } from './router';
import { leftOutBy, type ServerState } from './serverState';

/** The jobs routes. */
export function jobsRoutes(state: ServerState): Route[] {
  return [
    { method: 'GET', path: 'jobs', apiOnly: true, handle: (ctx) => listJobs(state, ctx) },
    { method: 'GET', path: 'jobs/{id}', apiOnly: true, handle: (ctx) => getJob(state, ctx) },
    {
      method: 'POST',
      path: 'jobs/{id}/cancel',
      apiOnly: true,
      handle: ({ res, params }) => sendJson(res, 200, { cancelled: cancelJob(state, params.id) }),
    },
    { method: 'POST', path: 'jobs/cancel', apiOnly: true, handle: (ctx) => cancelJobs(state, ctx) },
  ];
}

/** Cancels one job; true when it was pending or running. */
function cancelJob(state: ServerState, id: string): boolean {
  return state.queue.dequeue(id) || state.queue.interrupt(id);
}

/** Every job, unfiltered. */
function allJobs(state: ServerState, statuses: ReadonlySet<JobStatus>): JobEntry[] {
  const { running, pending } = state.queue.snapshot();
  const jobs: JobEntry[] = [];
  if (statuses.has('in_progress')) jobs.push(...running.map((i) => queuedJob(i, 'in_progress')));
  if (statuses.has('pending')) jobs.push(...pending.map((i) => queuedJob(i, 'pending')));
  for (const [id, entry] of state.history.all()) {
    const job = finishedJob(id, entry);
    if (statuses.has(job.status)) jobs.push(job);
  }
  return jobs;
}

interface ListQuery {
  statuses: ReadonlySet<JobStatus>;
  workflowId: string | null;
  sortBy: 'created_at' | 'execution_duration';
  desc: boolean;
  limit?: number;
  offset: number;
}

/** The list query, or the 400 message that refuses it (ComfyUI's wording). */
function parseListQuery(q: URLSearchParams): ListQuery | string {
  const wanted = (q.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const invalid = wanted.filter((s) => !jobStatuses.includes(s as JobStatus));
  if (invalid.length > 0)
    return `Invalid status value(s): ${invalid.join(', ')}. Valid values: ${jobStatuses.join(', ')}`;
  const sortBy = (q.get('sort_by') ?? 'created_at').toLowerCase();
  if (sortBy !== 'created_at' && sortBy !== 'execution_duration')
    return "sort_by must be 'created_at' or 'execution_duration'";
  const order = (q.get('sort_order') ?? 'desc').toLowerCase();
  if (order !== 'asc' && order !== 'desc') return "sort_order must be 'asc' or 'desc'";
  const limit = q.has('limit') ? Number(q.get('limit')) : undefined;
  if (limit !== undefined && !Number.isInteger(limit)) return 'limit must be an integer';
  if (limit !== undefined && limit <= 0) return 'limit must be a positive integer';
  const offset = q.has('offset') ? Number(q.get('offset')) : 0;
  if (!Number.isInteger(offset)) return 'offset must be an integer';
  const statuses = new Set<JobStatus>(wanted.length > 0 ? (wanted as JobStatus[]) : jobStatuses);
  return {
    statuses,
    workflowId: q.get('workflow_id'),
    sortBy,
    desc: order === 'desc',
    limit,
    offset: Math.max(0, offset),
  };
}

function listJobs(state: ServerState, { res, url }: RouteContext): void {
  const query = parseListQuery(url.searchParams);
  if (typeof query === 'string') return sendJson(res, 400, { error: query });
  let jobs = allJobs(state, query.statuses);
  if (query.workflowId) jobs = jobs.filter((j) => j.workflow_id === query.workflowId);
  const sign = query.desc ? -1 : 1;
  jobs.sort((a, b) => sign * (sortKey(a, query.sortBy) - sortKey(b, query.sortBy)));
  const total = jobs.length;
  const page = jobs.slice(query.offset, query.limit === undefined ? undefined : query.offset + query.limit);
  const pagination = {
    offset: query.offset,
    limit: query.limit ?? null,
    total,
    has_more: query.offset + page.length < total,
  };
  sendJsonLeavingOut(res, { jobs: page, pagination }, 2, leftOutBy(state, 'GET /api/jobs'));
}

function getJob(state: ServerState, { res, params }: RouteContext): void {
  const entry = state.history.get(params.id);
  if (entry) return sendJson(res, 200, finishedJob(params.id, entry, true));
  const { running, pending } = state.queue.snapshot();
  const run = running.find((i) => i.promptId === params.id);
  if (run) return sendJson(res, 200, queuedJob(run, 'in_progress', true));
  const wait = pending.find((i) => i.promptId === params.id);
  if (wait) return sendJson(res, 200, queuedJob(wait, 'pending', true));
  sendJson(res, 404, { error: 'Job not found' });
}

async function cancelJobs(state: ServerState, ctx: RouteContext): Promise<void> {
  const value = parseJsonBody(await ctx.body());
  const ids = isObject(value) ? value.job_ids : undefined;
  if (!Array.isArray(ids)) return sendJson(ctx.res, 400, { error: 'job_ids must be a list' });
  const invalid = ids.filter((id) => !isCanonicalUuid(id));
  if (invalid.length > 0) {
    const shown = invalid.map((id) => (typeof id === 'string' ? id : JSON.stringify(id)));
    return sendJson(ctx.res, 400, { error: 'job_ids contains invalid id(s)', invalid_ids: shown });
  }
  let cancelled = false;
  for (const id of ids as string[]) cancelled = cancelJob(state, id) || cancelled;
  sendJson(ctx.res, 200, { cancelled });
}
