/**
 * `comfy-runner run <workflow files...>`: runs workflows as jobs through the durable scheduler over a
 * pool (`--server <url>`, repeatable; `embedded` is the built-in engine and the default), with `--runs`,
 * `--sweep` (one job per combination of values), `--set`, a global `--concurrency` cap, live progress,
 * one output folder per job, and a summary. Jobs are kept in a store (`--store`, default `<out>/.store`),
 * so that if this process dies, `comfy-runner jobs resume --store <dir>` takes them back.
 */
import { join, resolve } from 'node:path';
import { RunnerError } from '../core/util/runnerError';
import { terminalStates } from '../core/jobs/jobState';
import type { Scheduler } from '../core/scheduler/scheduler';
import type { JobStore } from '../core/store/jobStore';
import { storeInUse } from '../core/store/storeInUse';
import { parseOverride, parseSweep, sweepCombinations } from '../core/workflow/overrides';
import type { CliIo } from './output';
import { printSummary } from './progressView';
import { planJobs } from '../core/run/planJobs';
import { closePlaces, openPlaces, type Place } from '../core/run/poolPlaces';
import { readRunnerSettings, runSettings, writeRunnerSettings } from '../core/run/runnerSettings';
import {
  exitCodeOf,
  followJobs,
  openCliStore,
  startCliRunner,
  stopOnSignals,
  stoppedExitCode,
} from './runSession';

/** Options of the run command. */
export interface RunOptions {
  files: string[];
  runs: number;
  sets: string[];
  /** `<node>.<input>=<v1>,<v2>,...`, each a dimension of the cartesian product of runs. */
  sweeps: string[];
  out: string;
  inputDir: string;
  /** The most jobs on servers at once over the pool; undefined leaves it to each server's slots. */
  concurrency?: number;
  /** Server URLs and `embedded`; empty means the embedded engine. */
  servers: string[];
  /** The job store's folder. @default `<out>/.store` */
  store?: string;
  json: boolean;
}

/** Parses a positive whole number option, naming it in the error. */
export function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new RunnerError('bad_input', `--${name} takes a whole number of at least 1, not "${text}"`);
  return n;
}

/** Takes the store for this run: refused while another process runs it, or while it has unfinished jobs. */
async function takeStore(dir: string): Promise<JobStore> {
  const store = await openCliStore(dir, false);
  try {
    const acquired = await store.acquire();
    if (!acquired.acquired) throw storeInUse(store.dir, acquired.owner);
    const unfinished = (await store.list()).filter((j) => !terminalStates.has(j.state));
    if (unfinished.length > 0) {
      throw new RunnerError(
        'bad_input',
        `the job store ${store.dir} has ${unfinished.length} unfinished job(s) of a run that stopped: ` +
          `finish them with "comfy-runner jobs resume --store ${store.dir}", cancel them with ` +
          `"comfy-runner jobs cancel <id> --store ${store.dir}", or run with another --store`,
        { file: store.dir },
      );
    }
    return store;
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Runs the command; returns 0 when every job succeeded, 3 when no server could run one, 1 otherwise. */
export async function runCommand(opts: RunOptions, io: CliIo): Promise<number> {
  const sets = opts.sets.map(parseOverride);
  const sweeps = opts.sweeps.map(parseSweep);
  // Checked before any server is asked anything: a sweep too large to run is the user's to fix.
  sweepCombinations(sweeps);
  const servers = opts.servers.length > 0 ? opts.servers : ['embedded'];
  const store = await takeStore(resolve(opts.store ?? join(opts.out, '.store')));
  let places: Place[] = [];
  let started = false;
  try {
    const settings = runSettings(await readRunnerSettings(store.dir), { ...opts, servers });
    await writeRunnerSettings(store.dir, settings);
    places = await openPlaces(settings);
    const request = { files: opts.files, runs: opts.runs, sets, sweeps, out: opts.out };
    const specs = await planJobs(request, places);
    // From the call on, the runner owns the places and the store, and closes them if it fails to start.
    started = true;
    const runner = await startCliRunner(store, places, opts.concurrency, io);
    const stop = stopOnSignals();
    try {
      const add = (s: Scheduler) => specs.forEach((spec) => s.add(spec));
      const jobs = await followJobs(runner, io, opts.json, [], add, stop.signal);
      printSummary(io, jobs, opts.json);
      return stop.signal.aborted ? stoppedExitCode : exitCodeOf(jobs);
    } finally {
      stop.dispose();
      await runner.close();
    }
  } finally {
    // Until the runner starts, the places and the store are this function's to close.
    if (!started) {
      await closePlaces(places);
      await store.close();
    }
  }
}
