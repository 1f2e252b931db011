/**
 * `comfy-runner run <workflow files...>`: runs workflows as jobs through the durable scheduler over a
 * pool (`--server <url>`, repeatable; `embedded` is the built-in engine and the default), with `--runs`
 * (each run's seeds stepped by their control, or by `--seed`; identical runs refused unless
 * `--allow-identical`), `--sweep` (one job per combination of values), `--set`, `--only` (chosen
 * output nodes and what they need), `--split` (each run's independent branches at once on as many free
 * servers, at most `--split-servers`; `--no-split`, the default, runs each whole), a global `--concurrency` cap, live progress, one output folder
 * per job, and a summary. Jobs are kept in a store (`--store`, default `<out>/.store`), so that if this process dies, `comfy-runner jobs resume
 * --store <dir>` takes them back. Argument parsing and printing only: the run is core/run's.
 */
import { join } from 'node:path';
import { openRunner, type Runner, type RunnerOptions } from '../core/run/runner';
import { RunnerError } from '../core/util/runnerError';
import { parseOverride, parseSweep, sweepCombinations } from '../core/workflow/overrides';
import { seedControls, type SeedControl } from '../core/workflow/seeds';
import type { CliIo } from './output';
import { attachView, printSummary } from './progressView';
import { cliRunnerOptions, exitCodeOf, stopOnSignals, stoppedExitCode } from './runSession';

/** Options of the run command. */
export interface RunOptions {
  files: string[];
  runs: number;
  sets: string[];
  /** `<node>.<input>=<v1>,<v2>,...`, each a dimension of the cartesian product of runs. */
  sweeps: string[];
  /** `--only <node>`: run only these output nodes (ids or titles) and what they need. @default all */
  only?: string[];
  /**
   * `--seed`: how every seed changes from run to run, over what an editor file saved.
   * @default each editor seed's saved control; increment for API files
   */
  seed?: SeedControl;
  /**
   * `--split` / `--split-servers N`: each run split by branch across the free capable servers (at most N);
   * `--no-split` or neither: each run whole.
   * @default false
   */
  split?: { servers?: number } | false;
  /** `--allow-identical`: run N times even when every run would send the same prompt. */
  allowIdentical: boolean;
  out: string;
  inputDir: string;
  /** The most jobs on servers at once over the pool; undefined leaves it to each server's slots. */
  concurrency?: number;
  /** `--download-stall-timeout`, `--download-deadline`, `--max-output-mb`. @default each limit's default */
  downloads?: RunnerOptions['downloads'];
  /** Server URLs and `embedded`; empty means the embedded engine. */
  servers: string[];
  /**
   * `--engine-slots N`: prompts the embedded engine runs at once, so a split run's branches spread
   * over it as over N servers. @default 1
   */
  engineSlots?: number;
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

/** Reads `--split`, `--no-split` and `--split-servers N` (which implies `--split`). */
export function splitOption(
  split: boolean,
  noSplit: boolean,
  servers: string | undefined,
): RunOptions['split'] {
  if (noSplit && (split || servers !== undefined))
    throw new RunnerError('bad_input', '--no-split cannot go with --split or --split-servers');
  if (!split && servers === undefined) return false;
  return servers === undefined ? {} : { servers: positiveInt('split-servers', servers, 1) };
}

/** Parses `--seed`: one of the seed controls. */
export function seedControlOption(text: string | undefined): SeedControl | undefined {
  if (text === undefined) return undefined;
  const control = seedControls.find((c) => c === text);
  if (!control) throw new RunnerError('bad_input', `--seed takes ${seedControls.join(', ')}, not "${text}"`);
  return control;
}

/** The pool `--server` asks for; throws `bad_input` for `--engine-slots` without the engine in it. */
function poolOf(opts: Pick<RunOptions, 'servers' | 'engineSlots'>): string[] {
  const servers = opts.servers.length > 0 ? opts.servers : ['embedded'];
  if (opts.engineSlots !== undefined && !servers.includes('embedded'))
    throw new RunnerError('bad_input', '--engine-slots is for the embedded engine: add --server embedded');
  return servers;
}

/** Runs the command; returns 0 when every job succeeded, 3 when no server could run one, 1 otherwise. */
export async function runCommand(opts: RunOptions, io: CliIo): Promise<number> {
  const sets = opts.sets.map(parseOverride);
  const sweeps = opts.sweeps.map(parseSweep);
  // Checked before any server is asked anything: a sweep too large to run is the user's to fix.
  sweepCombinations(sweeps);
  const runner = await openRunner({
    storeDir: opts.store ?? join(opts.out, '.store'),
    unfinished: 'refuse',
    servers: poolOf(opts),
    engineSlots: opts.engineSlots,
    out: opts.out,
    inputDir: opts.inputDir,
    concurrency: opts.concurrency,
    downloads: opts.downloads,
    ...cliRunnerOptions(io),
  });
  try {
    const workflows = opts.files.map((file) => ({ file }));
    const planned = await runner.plan({
      workflows,
      runs: opts.runs,
      sets,
      sweeps,
      seedControl: opts.seed,
      allowIdentical: opts.allowIdentical,
      outputs: opts.only,
      split: opts.split,
      out: opts.out,
    });
    if (opts.split && opts.split.servers !== 1 && !planned.some((j) => j.split))
      io.err(
        '--split: each run went whole, for want of a second free server that can run it (or a second branch)',
      );
    return await followToEnd(runner, [], () => runner.add(planned), opts.json, io);
  } finally {
    await runner.close();
  }
}

/**
 * Follows jobs to their end with live progress and prints the summary; Ctrl-C cancels them. Returns the
 * exit code. Shared by `run` and `jobs resume`.
 */
export async function followToEnd(
  runner: Runner,
  seed: readonly string[],
  add: () => void,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const stop = stopOnSignals();
  const followed = seed.flatMap((id) => runner.job(id) ?? []);
  const view = attachView(io, json, followed, (id) => runner.progressOf(id));
  try {
    const ended = await runner.follow(seed, add, { stop: stop.signal, onEvent: (e) => view.event(e) });
    view.dispose();
    printSummary(io, ended, json);
    return stop.signal.aborted ? stoppedExitCode : exitCodeOf(ended);
  } finally {
    view.dispose();
    stop.dispose();
  }
}
