/**
 * `comfy-runner jobs resume --store <dir>`: takes over a store whose process died (or that has jobs
 * queued by `jobs retry` while nobody ran it) and finishes its work: jobs that were on a server are
 * taken back there under the same client id and prompt id (followed, or their outputs collected if they
 * finished meanwhile, or lost if the server forgot them), and queued jobs are run. The pool is the one
 * the run kept in `runner.json` plus every server a job was on, or exactly the `--server`s given.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { storeInUse } from '../core/store/storeInUse';
import { terminalStates } from '../core/jobs/jobState';
import type { JobStore } from '../core/store/jobStore';
import type { CliIo } from './output';
import { printSummary } from './progressView';
import { openPlaces } from '../core/run/poolPlaces';
import { readRunnerSettings, writeRunnerSettings, type RunnerSettings } from '../core/run/runnerSettings';
import { exitCodeOf, followJobs, startCliRunner, stopOnSignals, stoppedExitCode } from './runSession';

/** Options of `jobs resume`. */
export interface ResumeOptions {
  /** The pool; empty means the stored pool and the servers jobs were on. */
  servers: string[];
  /** The global cap; undefined means the stored one. */
  concurrency?: number;
  /** The local input folder; undefined means the stored one. */
  inputDir?: string;
  json: boolean;
}

/** The pool and folders for a resumption: what was stored, changed by what was given. */
async function resumeSettings(
  store: JobStore,
  opts: ResumeOptions,
  servedOn: string[],
): Promise<RunnerSettings> {
  const saved = await readRunnerSettings(store.dir);
  const servers = opts.servers.length > 0 ? opts.servers : [...(saved?.servers ?? []), ...servedOn];
  return {
    servers: servers.length > 0 ? servers : ['embedded'],
    clientId: saved?.clientId ?? randomUUID(),
    inputDir: opts.inputDir ?? saved?.inputDir ?? 'input',
    out: saved?.out ?? dirname(store.dir),
    ...((opts.concurrency ?? saved?.concurrency) !== undefined && {
      concurrency: opts.concurrency ?? saved?.concurrency,
    }),
  };
}

/** Runs `jobs resume` on an open store; returns the exit code. The caller closes the store. */
export async function resumeJobs(store: JobStore, opts: ResumeOptions, io: CliIo): Promise<number> {
  const acquired = await store.acquire();
  if (!acquired.acquired) throw storeInUse(store.dir, acquired.owner);
  const unfinished = (await store.list()).filter((j) => !terminalStates.has(j.state));
  if (unfinished.length === 0) {
    if (opts.json) printSummary(io, [], true);
    else io.out(`nothing to resume in ${store.dir}`);
    return 0;
  }
  const servedOn = unfinished.flatMap((j) => (j.state !== 'queued' && j.server ? [j.server] : []));
  const settings = await resumeSettings(store, opts, servedOn);
  await writeRunnerSettings(store.dir, settings);
  const places = await openPlaces(settings);
  const runner = await startCliRunner(store, places, settings.concurrency, io);
  const stop = stopOnSignals();
  try {
    const r = runner.restored;
    if (!opts.json) {
      const counts = `${r.reattached.length} taken back from their servers, ${r.queued.length + r.requeued.length} queued, ${r.lost.length} lost`;
      io.out(`resuming ${store.dir}: ${counts}`);
    }
    const seed = [...r.reattached, ...r.requeued, ...r.queued, ...r.lost];
    const jobs = await followJobs(runner, io, opts.json, seed, () => undefined, stop.signal);
    printSummary(io, jobs, opts.json);
    return stop.signal.aborted ? stoppedExitCode : exitCodeOf(jobs);
  } finally {
    stop.dispose();
    await runner.close();
  }
}
