/**
 * `comfy-runner validate <file> [--nodes <object_info.json>] [--input-dir <dir>] [--json]`: checks a
 * workflow the way a ComfyUI server would before running it, and reports every problem at once.
 */
import { isRunnerError } from '../core/util/runnerError';
import { loadWorkflowFile } from '../core/workflow/loadWorkflow';
import { formatProblem, listProblems, validatePrompt, type Problem } from '../core/workflow/validate';
import { workflowDefinitions } from '../core/run/workflowDefinitions';
import { paint, type CliIo } from './output';

/** Options of the validate command. */
export interface ValidateOptions {
  file: string;
  nodes?: string;
  inputDir: string;
  json: boolean;
}

/** Runs the validate command; returns the exit code (0 valid, 2 the input is at fault). */
export async function validateCommand(opts: ValidateOptions, io: CliIo): Promise<number> {
  const defs = await workflowDefinitions({ file: opts.nodes, inputDir: opts.inputDir });
  let problems: Problem[];
  let format = 'unknown';
  try {
    const loaded = await loadWorkflowFile(opts.file, defs);
    format = loaded.format;
    const result = validatePrompt(loaded.prompt, defs);
    problems = listProblems(result, loaded.prompt);
    for (const w of loaded.warnings) io.err(`${opts.file}: warning: ${w}`);
  } catch (e) {
    if (!isRunnerError(e, 'bad_input')) throw e;
    problems = [{ type: 'bad_input', message: e.message, details: '', ...e.location }];
  }
  if (opts.json) {
    io.out(JSON.stringify({ file: opts.file, format, ok: problems.length === 0, problems }));
  } else if (problems.length === 0) {
    io.out(`${opts.file}: ${paint('valid', 'green')} (${format} format)`);
  } else {
    for (const p of problems) io.err(p.type === 'bad_input' ? p.message : formatProblem(p, opts.file));
    io.err(paint(`${problems.length} problem${problems.length === 1 ? '' : 's'}`, 'red'));
  }
  return problems.length === 0 ? 0 : 2;
}
