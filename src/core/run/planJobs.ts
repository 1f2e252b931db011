/**
 * The jobs of a run: each workflow, once per combination of the sweep values (the cartesian product),
 * `runs` times each, with the overrides and that combination's values applied and recorded on the job,
 * and the conversion's warnings (a muted or bypassed node's input that disappeared) carried on it.
 *
 * Running N times means N results, as ComfyUI's Queue button gives them: each seed follows its
 * control (workflow/seeds.ts) from run to run, and the values chosen are recorded on each job as
 * overrides, with the job's run number in its batch. Runs that would still send the same prompt (no
 * seed, fixed seeds) are refused unless the request allows them, since a server would answer all but
 * the first from its cache.
 *
 * Every distinct prompt (each run's, when its seeds differ) is checked against the pool before
 * anything is queued, through the scheduler's own capability check (whose verdicts the dispatch then
 * reuses): a prompt no server can run (a node class or model file missing everywhere) is
 * `no_capable_server` with the reasons server by server; a prompt that is wrong wherever it could run
 * is `bad_input` naming file, node and input.
 */
import { randomUUID } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import type { NewJob } from '../jobs/job';
import type { TargetVerdict } from '../scheduler/pool/capabilityCheck';
import { noCapableServer, type ServerVerdict } from '../scheduler/pool/promptRequirements';
import { RunnerError } from '../util/runnerError';
import { loadWorkflowBytes, readWorkflowBytes, type LoadedWorkflow } from '../workflow/loadWorkflow';
import { promptHash } from '../workflow/graph';
import {
  applyOverrides,
  resolveNode,
  sweepCombinations,
  type Override,
  type Sweep,
} from '../workflow/overrides';
import { partialPrompt, resolveOutputNodes } from '../workflow/partialPrompt';
import { seedOverridesByRun, type ControlOf, type SeedControl } from '../workflow/seeds';
import type { ApiPrompt, NodeDefs } from '../workflow/types';
import { formatProblem, listProblems, validatePrompt } from '../workflow/validate';
import { splitJob } from './splitPlan';

/** A workflow to run: a file, or the text of an editor that may not be saved. */
export interface WorkflowSource {
  /** The file's path; it names the workflow in messages and run folders. */
  readonly file: string;
  /**
   * What to run instead of the file's bytes on disk (an editor's unsaved content).
   * @default the file's bytes
   */
  readonly content?: string | Uint8Array;
}

/** What a run asks for. */
export interface PlanRequest {
  readonly workflows: readonly WorkflowSource[];
  /**
   * Runs per workflow and sweep combination.
   * @default 1
   */
  readonly runs?: number;
  /** Input values set on every prompt. @default [] */
  readonly sets?: readonly Override[];
  /** One dimension of the cartesian product of runs each. @default [] */
  readonly sweeps?: readonly Sweep[];
  /**
   * How every seed changes from one run to the next, whatever the workflow saved (seeds.ts).
   * @default each seed's own control as an editor file saved it, else {@link defaultSeedControl}
   */
  readonly seedControl?: SeedControl;
  /**
   * How a seed changes from run to run when the workflow saves no control for it: every seed of an
   * API-format file.
   * @default 'increment'
   */
  readonly defaultSeedControl?: SeedControl;
  /**
   * Plan runs that would send the same prompt (no seed, or fixed seeds, and nothing swept), which a
   * server answers from its cache with the first run's outputs. Refused with `bad_input` otherwise.
   * @default false
   */
  readonly allowIdentical?: boolean;
  /**
   * Run only these output nodes (ids or titles) and what they need: each prompt is pruned to them and
   * their ancestors (partialPrompt.ts), and the overrides recorded are those on nodes that remain.
   * @default every output node
   */
  readonly outputs?: readonly string[];
  /**
   * Split each run by branch across servers (splitPlan.ts): at most `servers` parts (default: as many as
   * capable servers with a free slot), and only when more than one such server is free. `false` or
   * absent: each run is one job.
   * @default undefined (whole)
   */
  readonly split?: { readonly servers?: number } | false;
  /** The folder the run folders go in. */
  readonly out: string;
}

/** What planning needs of the pool. */
export interface PlanContext {
  /** Node definitions per place, by target name, in pool order; the first converts editor files. */
  readonly defs: ReadonlyMap<string, NodeDefs>;
  /** The scheduler's verdict of each target on a job not yet added. */
  verdicts(job: NewJob & { id: string }): { target: string; verdict: TargetVerdict }[];
  /** How many capable targets have a free slot now for the job (split runs need it). @default 1 */
  freePlaces?(job: NewJob): number;
}

/** A run's folder: `<out>/<workflow stem>-<date>-<time>-<job id prefix>`, unique per job. */
function runFolder(out: string, file: string, jobId: string): string {
  const stem = basename(file, extname(file));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join(out, `${stem}-${stamp}-${jobId.slice(0, 8)}`);
}

/** Reads a workflow source: the given content, else the file. */
export async function loadSource(source: WorkflowSource, defs: NodeDefs): Promise<LoadedWorkflow> {
  const { file, content } = source;
  const bytes =
    content === undefined
      ? await readWorkflowBytes(file)
      : typeof content === 'string'
        ? Buffer.from(content, 'utf8')
        : content;
  return loadWorkflowBytes(file, bytes, defs);
}

/**
 * Throws unless some target can run the job: node classes and model files first (the scheduler's
 * verdicts), then the validation of every input against a capable target's definitions.
 */
function checkRunnable(job: NewJob & { id: string }, file: string, ctx: PlanContext): void {
  const blocked: ServerVerdict[] = [];
  let problems: string[] | undefined;
  for (const { target, verdict } of ctx.verdicts(job)) {
    if (verdict.kind === 'incapable') {
      blocked.push({ server: target, reasons: verdict.reasons });
      continue;
    }
    const defs = ctx.defs.get(target);
    // A target that runs anything (no definitions) validates the prompt itself when it runs.
    if (!defs) return;
    const found = listProblems(validatePrompt(job.prompt, defs), job.prompt);
    if (found.length === 0) return;
    problems ??= found.map((x) => formatProblem(x, file));
  }
  if (problems) throw new RunnerError('bad_input', problems.join('\n'), { file });
  const none = noCapableServer(blocked);
  throw new RunnerError('no_capable_server', `${file}: ${none.message}`, { file }, none.details);
}

/**
 * The jobs of a run, in order: by workflow, then by sweep combination (the first sweep varying
 * slowest), then by run. Nothing is queued: the caller adds them once every one is known to be good.
 */
export async function planJobs(request: PlanRequest, ctx: PlanContext): Promise<NewJob[]> {
  const combinations = sweepCombinations([...(request.sweeps ?? [])]);
  const firstDefs = ctx.defs.values().next().value ?? {};
  const jobs: NewJob[] = [];
  for (const source of request.workflows) {
    const w = await loadSource(source, firstDefs);
    const outputs = request.outputs?.length
      ? resolveOutputNodes(w.prompt, firstDefs, request.outputs, source.file)
      : undefined;
    jobs.push(...planWorkflow(w, source, combinations, request, ctx, outputs));
  }
  return jobs;
}

/** The jobs of one workflow: one batch, every combination's runs, each run with its seeds. */
function planWorkflow(
  w: LoadedWorkflow,
  source: WorkflowSource,
  combinations: readonly Override[][],
  request: PlanRequest,
  ctx: PlanContext,
  outputs?: readonly string[],
): NewJob[] {
  const runs = request.runs ?? 1;
  const sets = request.sets ?? [];
  const controlOf = seedControlOf(request);
  // Seeds step the same way in every combination, so a sweep compares its values at the same seeds.
  const seedsByRun =
    runs > 1 ? seedOverridesByRun(applyOverrides(w.prompt, sets), w.seeds, runs, controlOf) : [[]];
  const batch = { id: randomUUID(), size: combinations.length * runs };
  const checked = new Set<string>();
  const jobs: NewJob[] = [];
  // Runs planned so far; a split run adds several parts to `jobs` but is one run of the batch.
  let planned = 0;
  for (const combination of combinations) {
    const swept = new Set(combination.map((o) => targetKey(resolveNode(w.prompt, o), o.input)));
    const hashes = new Set<string>();
    for (let i = 0; i < runs; i++) {
      const seeds = (seedsByRun[i] ?? []).filter((o) => !swept.has(targetKey(o.node, o.input)));
      let overrides = [...sets, ...combination, ...seeds];
      let prompt: ApiPrompt = applyOverrides(w.prompt, overrides);
      if (outputs) {
        prompt = partialPrompt(prompt, outputs);
        overrides = overrides.filter((o) => Object.hasOwn(prompt, resolveNode(w.prompt, o)));
      }
      const id = randomUUID();
      const job = {
        id,
        workflow: { file: w.file, sourceHash: w.sourceHash, promptHash: w.promptHash },
        prompt,
        extraPngInfo: w.extraPngInfo,
        overrides,
        batch: { id: batch.id, index: ++planned, size: batch.size },
        outDir: runFolder(request.out, source.file, id),
        warnings: w.warnings,
      };
      const hash = promptHash(prompt);
      hashes.add(hash);
      // Runs that send the same prompt need checking once.
      if (!checked.has(hash)) checkRunnable(job, source.file, ctx);
      checked.add(hash);
      jobs.push(...splitJob(job, allDefs(ctx), splitPlaces(request, ctx, job), outputs));
    }
    if (hashes.size < runs && !request.allowIdentical) {
      // Of a part of the workflow, only the seeds of the nodes that run count.
      const sent = jobs.at(-1)!.prompt;
      const seeds = w.seeds.filter((seed) => seed.targets.some((t) => Object.hasOwn(sent, t.node)));
      throw identicalRuns({ ...w, seeds }, runs, controlOf);
    }
  }
  return jobs;
}

/** How many parts a run may have: none unless asked, else the free capable places, capped. */
function splitPlaces(request: PlanRequest, ctx: PlanContext, job: NewJob): number {
  if (!request.split) return 1;
  const free = ctx.freePlaces?.(job) ?? 1;
  return Math.min(free, request.split.servers ?? Infinity);
}

/** Every place's definitions in one: a class is an output node if any place says so. */
function allDefs(ctx: PlanContext): NodeDefs {
  return Object.assign({}, ...[...ctx.defs.values()].reverse()) as NodeDefs;
}

/** Each seed's control: the request's, else the one the file saved, else the request's default. */
function seedControlOf(request: PlanRequest): ControlOf {
  const fallback = request.defaultSeedControl ?? 'increment';
  return (seed) => request.seedControl ?? seed.control ?? fallback;
}

function targetKey(node: string, input: string): string {
  return `${node}\u0000${input}`;
}

/**
 * The refusal of runs that would send the same prompt: a server answers every one after the first
 * from its cache, so N runs would give one result N times.
 */
function identicalRuns(w: LoadedWorkflow, runs: number, controlOf: ControlOf): RunnerError {
  const names = w.seeds.flatMap((s) => s.targets.map((t) => `${t.node}.${t.input}`)).join(', ');
  const fixed = w.seeds.length > 0 && w.seeds.every((s) => controlOf(s) === 'fixed');
  const why =
    w.seeds.length === 0
      ? 'it has no seed input'
      : fixed
        ? `its seed inputs (${names}) are fixed`
        : `its seed inputs (${names}) do not change from run to run`;
  const change = fixed
    ? 'let its seeds change (a control of increment, decrement or randomize: --seed on the command line)'
    : 'give it a seed input that changes';
  const later = runs === 2 ? 'run 2' : `runs 2 to ${runs}`;
  return new RunnerError(
    'bad_input',
    `${w.file}: ${why}, so its ${runs} runs would send the same prompt and a server would answer ` +
      `${later} from its cache with the first run's outputs. To get ${runs} results, ${change} or ` +
      'sweep an input; to run it anyway, allow identical runs (--allow-identical on the command line).',
    { file: w.file },
  );
}
