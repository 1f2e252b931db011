/**
 * The jobs of a run: each workflow, once per combination of the sweep values (the cartesian product),
 * `runs` times each, with the overrides and that combination's values applied and recorded on the job,
 * and the conversion's warnings (a muted or bypassed node's input that disappeared) carried on it. Every
 * prompt is checked against the pool before anything is queued, through the scheduler's own capability
 * check (whose verdicts the dispatch then reuses): a prompt no server can run (a node class or model
 * file missing everywhere) is `no_capable_server` with the reasons server by server; a prompt that is
 * wrong wherever it could run is `bad_input` naming file, node and input.
 */
import { randomUUID } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import type { NewJob } from '../jobs/job';
import type { TargetVerdict } from '../scheduler/pool/capabilityCheck';
import { noCapableServer, type ServerVerdict } from '../scheduler/pool/promptRequirements';
import { RunnerError } from '../util/runnerError';
import { loadWorkflowBytes, readWorkflowBytes, type LoadedWorkflow } from '../workflow/loadWorkflow';
import { applyOverrides, sweepCombinations, type Override, type Sweep } from '../workflow/overrides';
import type { ApiPrompt, NodeDefs } from '../workflow/types';
import { formatProblem, listProblems, validatePrompt } from '../workflow/validate';

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
  /** The folder the run folders go in. */
  readonly out: string;
}

/** What planning needs of the pool. */
export interface PlanContext {
  /** Node definitions per place, by target name, in pool order; the first converts editor files. */
  readonly defs: ReadonlyMap<string, NodeDefs>;
  /** The scheduler's verdict of each target on a job not yet added. */
  verdicts(job: NewJob & { id: string }): { target: string; verdict: TargetVerdict }[];
}

/** A run's folder: `<out>/<workflow stem>-<date>-<time>-<job id prefix>`, unique per job. */
function runFolder(out: string, file: string, jobId: string): string {
  const stem = basename(file, extname(file));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join(out, `${stem}-${stamp}-${jobId.slice(0, 8)}`);
}

/** Reads a workflow source: the given content, else the file. */
async function loadSource(source: WorkflowSource, defs: NodeDefs): Promise<LoadedWorkflow> {
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
    for (const combination of combinations) {
      const overrides = [...(request.sets ?? []), ...combination];
      const prompt: ApiPrompt = applyOverrides(w.prompt, overrides);
      for (let i = 0; i < (request.runs ?? 1); i++) {
        const id = randomUUID();
        const job = {
          id,
          workflow: { file: w.file, sourceHash: w.sourceHash, promptHash: w.promptHash },
          prompt,
          extraPngInfo: w.extraPngInfo,
          overrides,
          outDir: runFolder(request.out, source.file, id),
          warnings: w.warnings,
        };
        // Runs of one combination share their prompt: checked once, for the first of them.
        if (i === 0) checkRunnable(job, source.file, ctx);
        jobs.push(job);
      }
    }
  }
  return jobs;
}
