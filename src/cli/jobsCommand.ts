/**
 * `comfy-runner jobs list|cancel|retry|resume|prune --store <dir>`: the jobs of a store, also while
 * another process runs them. With a live owner, cancel and retry are asked of it through the store's
 * request files and its answer is printed; with none (it finished, or died), this command takes the store
 * for a moment and changes the records itself. Prune needs the store to itself. Resume is jobsResume.ts.
 */
import { RunnerError } from '../core/util/runnerError';
import { ComfyClient } from '../core/comfy/client';
import { cancelStoredJob, retryStoredJob, stopPromptOn } from '../core/durable/durableOffline';
import type { Job } from '../core/jobs/job';
import { terminalStates } from '../core/jobs/jobState';
import type { JobStore } from '../core/store/jobStore';
import type { StoreRequestOp } from '../core/store/storeRequests';
import { resumeJobs, type ResumeOptions } from './jobsResume';
import type { CliIo } from './output';
import { summarize } from './progressView';
import { readRunnerSettings } from '../core/run/runnerSettings';
import { openCliStore } from './runSession';

/** The actions of `comfy-runner jobs`. */
export const jobsActions = ['list', 'cancel', 'retry', 'resume', 'prune'] as const;

/** One action of `comfy-runner jobs`. */
export type JobsAction = (typeof jobsActions)[number];

/** Options of `comfy-runner jobs`. */
export interface JobsOptions extends ResumeOptions {
  action: JobsAction;
  /** Job ids, or unambiguous prefixes of them (cancel, retry). */
  ids: string[];
  store: string;
  /** Prune: the least age of a finished job, in ms. */
  olderThanMs: number;
}

/** How long an answer of a live owner is waited for, and a cancelled job's end after it. */
const ANSWER_WAIT_MS = 30_000;

/** Runs `comfy-runner jobs <action>`; returns the exit code. */
export async function jobsCommand(opts: JobsOptions, io: CliIo): Promise<number> {
  const store = await openCliStore(opts.store, true);
  try {
    switch (opts.action) {
      case 'list':
        return await listJobs(store, opts.json, io);
      case 'cancel':
      case 'retry':
        return await changeJobs(store, opts.action, opts, io);
      case 'prune':
        return await pruneJobs(store, opts, io);
      case 'resume':
        return await resumeJobs(store, opts, io);
    }
  } finally {
    await store.close();
  }
}

/** Prints every job of the store, oldest first, and who runs the store. */
async function listJobs(store: JobStore, json: boolean, io: CliIo): Promise<number> {
  const [jobs, owner] = [await store.list(), await store.owner()];
  if (json) {
    const rows = jobs.map((j) => ({
      ...summarize(j),
      attempt: j.attempt,
      retryOf: j.retryOf ?? null,
      overrides: j.overrides,
    }));
    const who = owner ? { pid: owner.record.pid, hostname: owner.record.hostname, live: owner.live } : null;
    io.out(JSON.stringify({ type: 'jobs', store: store.dir, owner: who, jobs: rows }));
    return 0;
  }
  const runBy = owner?.live
    ? `run by process ${owner.record.pid} on ${owner.record.hostname}`
    : 'not running';
  io.out(`${store.dir}: ${jobs.length} job(s), ${runBy}`);
  for (const j of jobs) {
    const error = j.error ? `  ${j.error.message.split('\n')[0]}` : '';
    const overrides = j.overrides.map((o) => `${o.node}.${o.input}=${JSON.stringify(o.value)}`).join(' ');
    io.out(
      `${j.id.slice(0, 8)}  ${j.state.padEnd(11)} ${(j.server ?? '-').padEnd(24)} ${j.workflow.file}` +
        `${overrides ? `  ${overrides}` : ''}  ${j.outputs.length} output(s)${error}`,
    );
  }
  for (const p of store.problems()) io.err(`comfy-runner: ${p.message}`);
  return 0;
}

/** The full ids the given ids or prefixes name; `bad_input` for one that names none, or several. */
async function resolveIds(store: JobStore, ids: readonly string[]): Promise<string[]> {
  const all = (await store.list()).map((j) => j.id);
  return ids.map((given) => {
    if (all.includes(given)) return given;
    const matches = all.filter((id) => id.startsWith(given));
    if (matches.length === 1) return matches[0];
    const why = matches.length === 0 ? 'no job' : `${matches.length} jobs`;
    throw new RunnerError('bad_input', `${why} in ${store.dir} match "${given}"`);
  });
}

/** What happened to one job. */
interface Outcome {
  ok: boolean;
  message: string;
  /** The new job of a retry. */
  newJob?: string;
}

/** Cancels or retries jobs: through the live owner when there is one, else directly. */
async function changeJobs(
  store: JobStore,
  op: StoreRequestOp,
  opts: JobsOptions,
  io: CliIo,
): Promise<number> {
  const ids = await resolveIds(store, opts.ids);
  const acquired = await store.acquire();
  const apply = acquired.acquired ? await offlineChange(store, op) : (id: string) => askOwner(store, op, id);
  let failed = false;
  for (const id of ids) {
    const outcome = await apply(id);
    failed ||= !outcome.ok;
    if (opts.json) io.out(JSON.stringify({ type: op, job: id, ...outcome }));
    else (outcome.ok ? io.out : io.err)(`${id.slice(0, 8)}: ${outcome.message}`);
  }
  return failed ? 1 : 0;
}

/** Applies an operation to a store this command owns: nobody else dispatches its jobs. */
async function offlineChange(store: JobStore, op: StoreRequestOp): Promise<(id: string) => Promise<Outcome>> {
  if (op === 'retry') {
    return async (id) => {
      const job = await retryStoredJob(store, id);
      const hint = `comfy-runner jobs resume --store ${store.dir}`;
      return { ok: true, message: `queued again as job ${job.id}; "${hint}" runs it`, newJob: job.id };
    };
  }
  const clientId = (await readRunnerSettings(store.dir))?.clientId;
  return (id) => cancelStoredJob(store, id, (job) => stopOnServer(job, clientId));
}

/** Stops a job's prompt on its server, if it is a server (the embedded engine died with its process). */
async function stopOnServer(job: Job, clientId: string | undefined): Promise<string | undefined> {
  if (!job.server || !/^https?:\/\//.test(job.server)) return undefined;
  const client = new ComfyClient({ baseUrl: job.server, clientId });
  try {
    return await stopPromptOn(client, job);
  } finally {
    await client.dispose();
  }
}

/** Asks the live owner and waits for its answer, and for a cancelled job's end. */
async function askOwner(store: JobStore, op: StoreRequestOp, id: string): Promise<Outcome> {
  const request = await store.request(op, id);
  const answer = await store.waitForAnswer(request.id, AbortSignal.timeout(ANSWER_WAIT_MS));
  const outcome = { ok: answer.ok, message: answer.message, ...(answer.jobId && { newJob: answer.jobId }) };
  if (op !== 'cancel' || !answer.ok) return outcome;
  const state = await endOf(store, id);
  return { ...outcome, message: terminalStates.has(state) ? state : `${answer.message} (still ${state})` };
}

/** The job's state once it ended, or its state when the wait ran out. */
async function endOf(store: JobStore, id: string): Promise<Job['state']> {
  const deadline = Date.now() + ANSWER_WAIT_MS;
  for (;;) {
    const state = (await store.get(id))?.state ?? 'lost';
    if (terminalStates.has(state) || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Removes finished jobs older than `--older-than` from a store (their output folders stay): directly when
 * nobody runs the store, else by asking the live owner to remove each one.
 */
async function pruneJobs(store: JobStore, opts: JobsOptions, io: CliIo): Promise<number> {
  const acquired = await store.acquire();
  const removed = acquired.acquired
    ? await store.prune({ olderThan: opts.olderThanMs })
    : await pruneThroughOwner(store, opts.olderThanMs);
  if (opts.json) io.out(JSON.stringify({ type: 'pruned', jobs: removed }));
  else io.out(`pruned ${removed.length} finished job(s) from ${store.dir}; their output folders are kept`);
  return 0;
}

/** Asks the owner to remove every ended job finished at least `olderThanMs` ago; returns those it removed. */
async function pruneThroughOwner(store: JobStore, olderThanMs: number): Promise<string[]> {
  const cutoff = Date.now() - olderThanMs;
  const ended = (await store.list({ states: [...terminalStates] })).filter(
    (j) => (j.times.finished ?? j.times.queued) <= cutoff,
  );
  const removed: string[] = [];
  for (const job of ended) if ((await askOwner(store, 'prune', job.id)).ok) removed.push(job.id);
  return removed;
}

/** Parses an age such as `0`, `90s`, `30m`, `12h` or `7d` into ms. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  if (!m || (m[2] === undefined && Number(m[1]) !== 0))
    throw new RunnerError('bad_input', `--older-than takes an age such as 0, 30m, 12h or 7d, not "${text}"`);
  return Number(m[1]) * unit[(m[2] ?? 'ms') as keyof typeof unit];
}
