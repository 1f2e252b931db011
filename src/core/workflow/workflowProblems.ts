/**
 * Every problem of a workflow given as an editor's text, each with the span of text to mark: what the
 * extension's Problems panel shows as the user types and what its Validate command reports. The text is
 * loaded the way a run loads it (editor format converted with `defs`), then validated; a file that
 * cannot be loaded at all is one `bad_input` problem.
 */
import { isRunnerError } from '../util/runnerError';
import { loadWorkflowBytes } from './loadWorkflow';
import { locateEditorProblem, locateProblem, type TextSpan } from './problemLocation';
import type { NodeDefs } from './types';
import { listProblems, validatePrompt, type Problem } from './validate';
import { detectWorkflowText } from './workflowText';

/** A problem and where to mark it. */
export interface LocatedProblem {
  readonly problem: Problem;
  readonly span: TextSpan;
}

/** The problems of the workflow `text` (named `file` in messages), validated against `defs`. */
export function workflowTextProblems(file: string, text: string, defs: NodeDefs): LocatedProblem[] {
  const locate =
    detectWorkflowText(text, { maxLength: Infinity }) === 'editor' ? locateEditorProblem : locateProblem;
  return loadedProblems(file, Buffer.from(text, 'utf8'), defs).map((problem) => ({
    problem,
    span: locate(text, problem.nodeId, problem.inputName),
  }));
}

/** The problems of a workflow given as bytes (a PNG, say), without locations. */
export function workflowBytesProblems(file: string, bytes: Uint8Array, defs: NodeDefs): Problem[] {
  return loadedProblems(file, bytes, defs);
}

function loadedProblems(file: string, bytes: Uint8Array, defs: NodeDefs): Problem[] {
  try {
    const loaded = loadWorkflowBytes(file, bytes, defs);
    return listProblems(validatePrompt(loaded.prompt, defs), loaded.prompt);
  } catch (e) {
    if (!isRunnerError(e, 'bad_input')) throw e;
    return [{ type: 'bad_input', message: e.message, details: '', ...e.location }];
  }
}
