/**
 * `comfy-runner run <workflow files...> [--runs N] [--set <node>.<input>=<json>]... [--out <dir>]
 * [--input-dir <dir>] [--concurrency N] [--server <url>|embedded] [--json]`: runs workflows as jobs through
 * the scheduler on the embedded engine or on a ComfyUI server, with live progress, one output folder per
 * run, and a summary. With a server, workflows are validated against its `/object_info`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { ComfyClient } from '../core/comfy/client';
import { createEngine } from '../core/engine/executor';
import { RunnerError } from '../core/errors';
import { embeddedTarget } from '../core/scheduler/embeddedTarget';
import { withLocalInputs } from '../core/scheduler/remoteInputs';
import { fetchNodeDefinitions, remoteTarget } from '../core/scheduler/remoteTarget';
import type { RunTarget } from '../core/scheduler/runTarget';
import type { Job } from '../core/scheduler/job';
import { Scheduler } from '../core/scheduler/scheduler';
import { loadWorkflowFile, type LoadedWorkflow } from '../core/workflow/loadWorkflow';
import { applyOverrides, parseOverride, type Override } from '../core/workflow/overrides';
import type { NodeDefs } from '../core/workflow/types';
import { formatProblem, listProblems, validatePrompt } from '../core/workflow/validate';
import type { CliIo } from './output';
import { attachView, printSummary } from './progressView';

/** Options of the run command. */
export interface RunOptions {
  files: string[];
  runs: number;
  sets: string[];
  out: string;
  inputDir: string;
  concurrency?: number;
  /** A ComfyUI server's URL, or `embedded` (the default). */
  server?: string;
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

/** Loads, overrides and validates each workflow; any problem is bad input naming file, node and input. */
async function prepare(files: string[], overrides: Override[], defs: NodeDefs): Promise<LoadedWorkflow[]> {
  const loaded: LoadedWorkflow[] = [];
  for (const file of files) {
    const w = await loadWorkflowFile(file, defs);
    w.prompt = applyOverrides(w.prompt, overrides);
    const problems = listProblems(validatePrompt(w.prompt, defs), w.prompt);
    if (problems.length > 0) {
      throw new RunnerError('bad_input', problems.map((p) => formatProblem(p, file)).join('\n'), { file });
    }
    loaded.push(w);
  }
  return loaded;
}

/** A run's folder: `<out>/<workflow stem>-<date>-<time>-<job id prefix>`, unique per job. */
function runFolder(out: string, file: string, jobId: string): string {
  const stem = basename(file, extname(file));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join(out, `${stem}-${stamp}-${jobId.slice(0, 8)}`);
}

/** Where the jobs run, and the node definitions to validate against there. */
interface Place {
  target: RunTarget;
  defs: NodeDefs;
}

/** The embedded engine, with its folders under `<out>/.engine`. */
async function embeddedPlace(opts: RunOptions): Promise<Place> {
  const root = resolve(opts.out, '.engine');
  const folders = {
    inputDir: resolve(opts.inputDir),
    outputDir: join(root, 'output'),
    tempDir: join(root, 'temp'),
  };
  for (const d of [folders.outputDir, folders.tempDir]) mkdirSync(d, { recursive: true });
  const engine = createEngine(folders);
  return { target: embeddedTarget(engine, folders), defs: await engine.definitions() };
}

/** A ComfyUI server; local input files count as present since they are uploaded before each prompt. */
async function serverPlace(baseUrl: string, opts: RunOptions): Promise<Place> {
  const client = new ComfyClient({ baseUrl });
  const inputDir = resolve(opts.inputDir);
  try {
    const definitions = await fetchNodeDefinitions(client);
    const target = remoteTarget({ client, inputDir, definitions });
    return { target, defs: await withLocalInputs(definitions, inputDir) };
  } catch (e) {
    await client.dispose();
    throw e;
  }
}

/** Runs the command; returns 0 when every job succeeded, 1 otherwise. */
export async function runCommand(opts: RunOptions, io: CliIo): Promise<number> {
  const overrides = opts.sets.map(parseOverride);
  const server = opts.server && opts.server !== 'embedded' ? opts.server : undefined;
  const place = server ? await serverPlace(server, opts) : await embeddedPlace(opts);
  try {
    const workflows = await prepare(opts.files, overrides, place.defs);
    const scheduler = new Scheduler({ target: place.target, concurrency: opts.concurrency });
    scheduler.subscribe(
      attachView(
        io,
        opts.json,
        () => scheduler.snapshot(),
        (id) => scheduler.progressOf(id),
      ),
    );
    const jobs: Job[] = [];
    for (const w of workflows) {
      for (let i = 0; i < opts.runs; i++) {
        const id = randomUUID();
        jobs.push(
          scheduler.add({
            id,
            workflow: { file: w.file, sourceHash: w.sourceHash, promptHash: w.promptHash },
            prompt: w.prompt,
            extraPngInfo: w.extraPngInfo,
            overrides,
            outDir: runFolder(opts.out, w.file, id),
          }),
        );
      }
    }
    await scheduler.onIdle();
    const done = scheduler.snapshot();
    printSummary(io, done, opts.json);
    return done.every((j) => j.state === 'succeeded') ? 0 : 1;
  } finally {
    await place.target.dispose();
  }
}
