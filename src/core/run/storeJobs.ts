/**
 * The jobs of a store, for a front end that does not run it: listed, cancelled, retried or pruned, also
 * while another process runs them. With a live owner, cancel, retry and prune are asked of it through
 * the store's request files and its answer is returned; with none (it finished, or died), the store is
 * taken for a moment and the records are changed here.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ComfyClient } from '../comfy/client';
import { cancelStoredJob, retryStoredJob, stopPromptOn } from '../durable/durableOffline';
import type { Job } from '../jobs/job';
import { terminalStates } from '../jobs/jobState';
import type { JobStore, StoreOptions } from '../store/jobStore';
import { openStore } from '../store/openStore';
import { storeInUse } from '../store/storeInUse';
import type { StoreRequestOp } from '../store/storeRequests';
import { RunnerError } from '../util/runnerError';
import { readRunnerSettings } from './runnerSettings';

/** How long an answer of a live owner is waited for, and a cancelled job's end after it. */
const ANSWER_WAIT_MS = 30_000;

/** What became of one job asked to change. */
export interface JobChange {
  ok: boolean;
  message: string;
  /** The new job of a retry. */
  newJob?: string;
}

/** Who runs a store. */
export interface StoreOwnerInfo {
  pid: number;
  hostname: string;
  /** False when the owner stopped without giving the store up. */
  live: boolean;
}

/** The operations on a store's jobs; see the file comment. */
export interface StoreJobs {
  /** The store's folder, absolute. */
  readonly dir: string;
  /** Every readable job, oldest first. */
  list(): Promise<Job[]>;
  /** Who owns the store, if anyone. */
  owner(): Promise<StoreOwnerInfo | undefined>;
  /** Job files the last listing could not read, each naming its file. */
  problems(): RunnerError[];
  /** The full ids that ids or unambiguous prefixes name; `bad_input` for one naming none, or several. */
  resolveIds(ids: readonly string[]): Promise<string[]>;
  /** Cancels or retries jobs, through the live owner when there is one; one answer per job, in order. */
  change(op: 'cancel' | 'retry', ids: readonly string[]): Promise<JobChange[]>;
  /** Removes finished jobs older than `olderThanMs` (their outputs stay); returns their ids. */
  prune(olderThanMs: number): Promise<string[]>;
  /** Gives the store up. */
  close(): Promise<void>;
}

/** Opens a store's jobs; with `mustExist`, a folder that holds no store is `bad_input`. */
export async function openStoreJobs(
  dir: string,
  options: { mustExist: boolean; store?: StoreOptions },
): Promise<StoreJobs> {
  const root = resolve(dir);
  if (options.mustExist && !existsSync(join(root, 'store.json')))
    throw new RunnerError('bad_input', `no job store in ${root}`, { file: root });
  const store = await openStore(root, options.store);
  return {
    dir: store.dir,
    list: () => store.list(),
    owner: async () => {
      const o = await store.owner();
      return o && { pid: o.record.pid, hostname: o.record.hostname, live: o.live };
    },
    problems: () => store.problems(),
    resolveIds: (ids) => resolveIds(store, ids),
    change: (op, ids) => changeJobs(store, op, ids),
    prune: (olderThanMs) => pruneJobs(store, olderThanMs),
    close: () => store.close(),
  };
}

/**
 * The unfinished jobs a resumption would take over, read without taking the store; `bad_input` when the
 * folder holds no store or a live process runs it.
 */
export async function jobsToResume(dir: string, options?: StoreOptions): Promise<Job[]> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'store.json')))
    throw new RunnerError('bad_input', `no job store in ${root}`, { file: root });
  const store = await openStore(root, options);
  try {
    const owner = await store.owner();
    if (owner?.live) throw storeInUse(store.dir, owner.record);
    return (await store.list()).filter((j) => !terminalStates.has(j.state));
  } finally {
    await store.close();
  }
}

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

async function changeJobs(store: JobStore, op: StoreRequestOp, ids: readonly string[]): Promise<JobChange[]> {
  const acquired = await store.acquire();
  const apply = acquired.acquired ? await offlineChange(store, op) : (id: string) => askOwner(store, op, id);
  // A retry of a part retries its whole split run: parts of one run named together are retried once
  // (one id alone cannot repeat a run, so the store is read for this only when several are named).
  const runOf =
    op === 'retry' && ids.length > 1
      ? new Map((await store.list()).map((j) => [j.id, j.split?.id]))
      : undefined;
  const runsDone = new Map<string, JobChange>();
  const changes: JobChange[] = [];
  for (const id of ids) {
    const run = runOf?.get(id);
    const earlier = run === undefined ? undefined : runsDone.get(run);
    if (earlier) {
      changes.push({ ...earlier, message: `${earlier.message} (with the rest of its split run)` });
      continue;
    }
    const change = await apply(id);
    if (run !== undefined) runsDone.set(run, change);
    changes.push(change);
  }
  return changes;
}

/** Applies an operation to a store this process owns: nobody else dispatches its jobs. */
async function offlineChange(
  store: JobStore,
  op: StoreRequestOp,
): Promise<(id: string) => Promise<JobChange>> {
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
async function askOwner(store: JobStore, op: StoreRequestOp, id: string): Promise<JobChange> {
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

/** Prunes directly when nobody runs the store, else by asking the live owner to remove each job. */
async function pruneJobs(store: JobStore, olderThanMs: number): Promise<string[]> {
  const acquired = await store.acquire();
  if (acquired.acquired) return store.prune({ olderThan: olderThanMs });
  const cutoff = Date.now() - olderThanMs;
  const ended = (await store.list({ states: [...terminalStates] })).filter(
    (j) => (j.times.finished ?? j.times.queued) <= cutoff,
  );
  const removed: string[] = [];
  for (const job of ended) if ((await askOwner(store, 'prune', job.id)).ok) removed.push(job.id);
  return removed;
}
