/**
 * What `run` and `jobs resume` share: the job store as the command line opens it, the durable runner
 * over a pool of places, following a set of jobs to their end with live progress, and the exit code.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RunnerError, type RunnerErrorReason } from '../core/util/runnerError';
import { startDurableRunner, type DurableRunner } from '../core/durable/durableRunner';
import type { Job } from '../core/jobs/job';
import type { Scheduler } from '../core/scheduler/scheduler';
import type { JobStore, StoreOptions } from '../core/store/jobStore';
import { openStore } from '../core/store/openStore';
import type { CliIo } from './output';
import { attachView } from './progressView';
import { poolTargets, type Place } from '../core/run/poolPlaces';

/**
 * Store options of the command line: requests, answers and other processes' writes are noticed within
 * a quarter of a second, which a person waiting on `jobs cancel` notices and a disk does not.
 */
export const cliStoreOptions: StoreOptions = { pollMs: 250 };

/** Opens the store in `dir`; with `mustExist`, a folder that holds no store is `bad_input`. */
export async function openCliStore(dir: string, mustExist: boolean): Promise<JobStore> {
  const root = resolve(dir);
  if (mustExist && !existsSync(join(root, 'store.json')))
    throw new RunnerError('bad_input', `no job store in ${root}`, { file: root });
  return openStore(root, cliStoreOptions);
}

/** Starts a durable runner on `store` over the places; problems it cannot throw go to stderr. */
export function startCliRunner(
  store: JobStore,
  places: readonly Place[],
  concurrency: number | undefined,
  io: CliIo,
): Promise<DurableRunner> {
  return startDurableRunner({
    store,
    targets: poolTargets(places),
    // A command line that waited for a server able to run a job would never end.
    scheduler: { concurrency, onNoTarget: 'fail' },
    paused: true,
    onProblem: (e) => io.err(`comfy-runner: ${e.message}`),
  });
}

/**
 * Follows jobs to their end: those named in `seed` and every job added from now on (by `add`, or a
 * retry another process asks for), with progress drawn as `run` draws it. When `stop` aborts, the queue
 * is paused and every one of those jobs is cancelled (on its server too), so that the store is left with
 * nothing unfinished. Returns the jobs, in order.
 */
export async function followJobs(
  runner: DurableRunner,
  io: CliIo,
  json: boolean,
  seed: readonly string[],
  add: (scheduler: Scheduler) => void,
  stop?: AbortSignal,
): Promise<Job[]> {
  const s = runner.scheduler;
  const mine = new Set(seed);
  const jobs = () => [...mine].flatMap((id) => s.job(id) ?? []);
  const view = attachView(io, json, jobs, (id) => s.progressOf(id));
  const off = s.subscribe((event) => {
    if (event.type === 'job/added') mine.add(event.job.id);
    if (event.type !== 'job/added' && !mine.has('jobId' in event ? event.jobId : '')) return;
    view(event);
  });
  const cancelAll = () => {
    s.pause();
    for (const id of mine) s.cancel(id);
  };
  stop?.addEventListener('abort', cancelAll, { once: true });
  try {
    add(s);
    if (!stop?.aborted) s.resume();
    await runner.idle();
  } finally {
    off();
    stop?.removeEventListener('abort', cancelAll);
  }
  return jobs();
}

/**
 * A signal that aborts on the first Ctrl-C (SIGINT) or SIGTERM while a command follows its jobs, so it
 * can cancel them and leave its store tidy. Its handlers are removed then (and by `dispose`), so a second
 * Ctrl-C ends the process at once, as it would without them.
 */
export function stopOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = () => {
    dispose();
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, dispose };
}

/** The exit code of a command stopped by a signal: 128 + SIGINT's number, as shells report it. */
export const stoppedExitCode = 130;

/** Job errors that mean no server could take the work, rather than that the work failed. */
const NO_SERVER: ReadonlySet<RunnerErrorReason> = new Set([
  'no_capable_server',
  'server_unreachable',
  'auth',
]);

/** 0 when every job succeeded; 3 when one failed because no server could run it; 1 otherwise. */
export function exitCodeOf(jobs: readonly Job[]): number {
  if (jobs.every((j) => j.state === 'succeeded')) return 0;
  return jobs.some((j) => j.state === 'failed' && j.error !== undefined && NO_SERVER.has(j.error.reason))
    ? 3
    : 1;
}
