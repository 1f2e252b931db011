/**
 * The jobs of a command-line run: each workflow file, once per combination of the `--sweep` values (the
 * cartesian product), `--runs` times each, with the `--set` overrides and that combination's values
 * applied and recorded on the job. Every prompt is checked against the pool before anything is queued:
 * a prompt no server can run (a node class or model file missing everywhere) is `no_capable_server`
 * (exit code 3) with the reasons server by server; a prompt that is wrong wherever it could run is
 * `bad_input` (exit code 2) naming file, node and input.
 */
import { basename, extname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { RunnerError } from '../util/runnerError';
import {
  matchServer,
  noCapableServer,
  promptRequirements,
  type ServerVerdict,
} from '../scheduler/pool/promptRequirements';
import type { NewJob } from '../jobs/job';
import { loadWorkflowFile } from '../workflow/loadWorkflow';
import { applyOverrides, sweepCombinations, type Override, type Sweep } from '../workflow/overrides';
import type { ApiPrompt } from '../workflow/types';
import { formatProblem, listProblems, validatePrompt } from '../workflow/validate';
import type { Place } from './poolPlaces';

/** What a run asks for. */
export interface RunRequest {
  files: string[];
  /** Runs per workflow and sweep combination. */
  runs: number;
  sets: Override[];
  sweeps: Sweep[];
  out: string;
}

/** A run's folder: `<out>/<workflow stem>-<date>-<time>-<job id prefix>`, unique per job. */
function runFolder(out: string, file: string, jobId: string): string {
  const stem = basename(file, extname(file));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join(out, `${stem}-${stamp}-${jobId.slice(0, 8)}`);
}

/**
 * Throws unless some place can run the prompt: node classes and model files first (the scheduler's own
 * matching), then the server's validation of every input.
 */
function checkRunnable(prompt: ApiPrompt, file: string, places: readonly Place[]): void {
  const verdicts: ServerVerdict[] = [];
  let problems: string[] | undefined;
  for (const p of places) {
    const match = matchServer(promptRequirements(prompt, p.defs), p.defs);
    if (!match.ok) {
      verdicts.push({ server: p.name, reasons: match.reasons });
      continue;
    }
    const found = listProblems(validatePrompt(prompt, p.defs), prompt);
    if (found.length === 0) return;
    problems ??= found.map((x) => formatProblem(x, file));
  }
  if (problems) throw new RunnerError('bad_input', problems.join('\n'), { file });
  const none = noCapableServer(verdicts);
  throw new RunnerError('no_capable_server', `${file}: ${none.message}`, { file }, none.details);
}

/**
 * The jobs of a run, in order: by file, then by sweep combination (the first sweep varying slowest),
 * then by run. Editor-format workflows are converted with the first place's node definitions.
 */
export async function planJobs(request: RunRequest, places: readonly Place[]): Promise<NewJob[]> {
  const combinations = sweepCombinations(request.sweeps);
  const jobs: NewJob[] = [];
  for (const file of request.files) {
    const w = await loadWorkflowFile(file, places[0].defs);
    for (const combination of combinations) {
      const overrides = [...request.sets, ...combination];
      const prompt = applyOverrides(w.prompt, overrides);
      checkRunnable(prompt, file, places);
      for (let i = 0; i < request.runs; i++) {
        const id = randomUUID();
        jobs.push({
          id,
          workflow: { file: w.file, sourceHash: w.sourceHash, promptHash: w.promptHash },
          prompt,
          extraPngInfo: w.extraPngInfo,
          overrides,
          outDir: runFolder(request.out, file, id),
        });
      }
    }
  }
  return jobs;
}
