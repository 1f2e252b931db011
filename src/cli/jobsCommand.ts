/**
 * `comfy-runner jobs list|cancel|retry|resume|prune --store <dir>`: the jobs of a store, also while
 * another process runs them (core/run/storeJobs.ts says how). Argument handling and printing only.
 * Resume is jobsResume.ts.
 */
import { openStoreJobs, type StoreJobs } from '../core/run/storeJobs';
import { RunnerError } from '../core/util/runnerError';
import { resumeJobs, type ResumeOptions } from './jobsResume';
import type { CliIo } from './output';
import { restartText } from '../core/run/jobsOverviewItems';
import { summarize } from './progressView';
import { cliStoreOptions } from './runSession';

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

/** Runs `comfy-runner jobs <action>`; returns the exit code. */
export async function jobsCommand(opts: JobsOptions, io: CliIo): Promise<number> {
  if (opts.action === 'resume') return resumeJobs(opts.store, opts, io);
  const jobs = await openStoreJobs(opts.store, { mustExist: true, store: cliStoreOptions });
  try {
    switch (opts.action) {
      case 'list':
        return await listJobs(jobs, opts.json, io);
      case 'cancel':
      case 'retry':
        return await changeJobs(jobs, opts.action, opts, io);
      case 'prune':
        return await pruneJobs(jobs, opts, io);
    }
  } finally {
    await jobs.close();
  }
}

/** Prints every job of the store, oldest first, and who runs the store. */
async function listJobs(store: StoreJobs, json: boolean, io: CliIo): Promise<number> {
  const [jobs, owner] = [await store.list(), await store.owner()];
  if (json) {
    const rows = jobs.map((j) => ({
      ...summarize(j),
      attempt: j.attempt,
      retryOf: j.retryOf ?? null,
      overrides: j.overrides,
    }));
    io.out(JSON.stringify({ type: 'jobs', store: store.dir, owner: owner ?? null, jobs: rows }));
    return 0;
  }
  const runBy = owner?.live ? `run by process ${owner.pid} on ${owner.hostname}` : 'not running';
  io.out(`${store.dir}: ${jobs.length} job(s), ${runBy}`);
  for (const j of jobs) {
    const error = j.error ? `  ${j.error.message.split('\n')[0]}` : '';
    const overrides = j.overrides.map((o) => `${o.node}.${o.input}=${JSON.stringify(o.value)}`).join(' ');
    io.out(
      `${j.id.slice(0, 8)}  ${j.state.padEnd(11)} ${(j.server ?? '-').padEnd(24)} ${j.workflow.file}` +
        `${overrides ? `  ${overrides}` : ''}  ${j.outputs.length} output(s)${error}`,
    );
    (j.restarts ?? []).forEach((r, i) => io.out(`          ${restartText(r, i + 1)}`));
  }
  for (const p of store.problems()) io.err(`comfy-runner: ${p.message}`);
  return 0;
}

/** Cancels or retries jobs and prints what became of each. */
async function changeJobs(
  store: StoreJobs,
  op: 'cancel' | 'retry',
  opts: JobsOptions,
  io: CliIo,
): Promise<number> {
  const ids = await store.resolveIds(opts.ids);
  const changes = await store.change(op, ids);
  changes.forEach((outcome, i) => {
    const id = ids[i];
    if (opts.json) io.out(JSON.stringify({ type: op, job: id, ...outcome }));
    else (outcome.ok ? io.out : io.err)(`${id.slice(0, 8)}: ${outcome.message}`);
  });
  return changes.every((c) => c.ok) ? 0 : 1;
}

/** Removes finished jobs older than `--older-than` (their output folders stay). */
async function pruneJobs(store: StoreJobs, opts: JobsOptions, io: CliIo): Promise<number> {
  const removed = await store.prune(opts.olderThanMs);
  if (opts.json) io.out(JSON.stringify({ type: 'pruned', jobs: removed }));
  else io.out(`pruned ${removed.length} finished job(s) from ${store.dir}; their output folders are kept`);
  return 0;
}

/** Parses an age such as `0`, `90s`, `30m`, `12h` or `7d` into ms. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  if (!m || (m[2] === undefined && Number(m[1]) !== 0))
    throw new RunnerError('bad_input', `--older-than takes an age such as 0, 30m, 12h or 7d, not "${text}"`);
  return Number(m[1]) * unit[(m[2] ?? 'ms') as keyof typeof unit];
}
