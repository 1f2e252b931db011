/**
 * A rejected prompt's error made readable: the message lists every problem with file, node and input,
 * and the details keep ComfyUI's `node_errors` for a UI. Shared by every run target.
 */
import { isRunnerError, RunnerError } from '../../util/runnerError';
import type { ValidationResult } from '../../workflow/types';
import { formatProblem, listProblems } from '../../workflow/validate';
import type { Job } from '../../jobs/job';

/** `e` with its problems spelled out when it is a prompt rejection carrying a ValidationResult; else `e`. */
export function rejectionWithProblems(e: unknown, job: Job): unknown {
  if (!isRunnerError(e, 'prompt_rejected')) return e;
  const result = e.details as ValidationResult | undefined;
  if (!result) return e;
  const lines = listProblems(result, job.prompt).map((p) => formatProblem(p, job.workflow.file));
  return new RunnerError('prompt_rejected', [e.message, ...lines].join('\n'), e.location, {
    node_errors: result.node_errors,
  });
}
