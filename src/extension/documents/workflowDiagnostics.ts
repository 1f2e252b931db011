/**
 * Validation problems of workflow documents in the Problems panel, as the user types: each document is
 * validated once the user pauses (per version: a newer edit makes an older answer moot), on open too,
 * and again when the node definitions change. Problems sit at the node or input key, with ComfyUI's error
 * type as the code. They go when the document closes or stops being a workflow. The Validate command
 * builds its diagnostics with the same {@link workflowDiagnostics}. The same pause is when a document's
 * format is looked at again ({@link WorkflowFormats.recheck}), for the context keys and the lenses.
 */
import * as vscode from 'vscode';
import { isRunnerError } from '../../core/util/runnerError';
import { loadCore } from '../loadCore';
import type { NodeDefs } from '../../core/workflow/types';
import type { Problem } from '../../core/workflow/validate';
import type { NodeDefinitions } from './nodeDefinitions';
import type { WorkflowFormats } from './workflowFormats';

/** The source every diagnostic of the extension names. */
export const DIAGNOSTIC_SOURCE = 'ComfyUI Runner';

/** One diagnostic per problem of the workflow in `doc`, validated against `defs`. */
export function workflowDiagnostics(doc: vscode.TextDocument, defs: NodeDefs): vscode.Diagnostic[] {
  return loadCore()
    .workflowTextProblems(doc.fileName, doc.getText(), defs)
    .map(({ problem, span }) =>
      problemDiagnostic(
        problem,
        new vscode.Range(span.line, span.startCharacter, span.line, span.endCharacter),
      ),
    );
}

/** A diagnostic for `problem` at `range`, coded with ComfyUI's error type. */
export function problemDiagnostic(problem: Problem, range: vscode.Range): vscode.Diagnostic {
  const d = new vscode.Diagnostic(range, loadCore().formatProblem(problem), vscode.DiagnosticSeverity.Error);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = problem.type;
  return d;
}

/** Options of {@link validateAsYouType}. */
export interface AsYouTypeOptions {
  readonly diagnostics: vscode.DiagnosticCollection;
  readonly formats: WorkflowFormats;
  readonly definitions: NodeDefinitions;
  /** How long the user must pause before a document is validated. */
  readonly debounceMs: number;
  /** Told when validation itself fails (a bug, never a problem of the workflow). */
  readonly log?: vscode.LogOutputChannel;
}

/** Validates workflow documents as they open and change; returns what stops it. */
export function validateAsYouType(options: AsYouTypeOptions): vscode.Disposable {
  const { diagnostics, formats, definitions } = options;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const cancel = (doc: vscode.TextDocument) => {
    clearTimeout(timers.get(doc.uri.toString()));
    timers.delete(doc.uri.toString());
  };
  const validate = async (doc: vscode.TextDocument) => {
    const version = doc.version;
    formats.recheck(doc);
    if (!formats.isParsedWorkflow(doc)) {
      // Not a workflow, or not valid JSON just now: JSON's own diagnostics say where it breaks.
      diagnostics.delete(doc.uri);
      return;
    }
    const found = await definitions.get().then(
      (defs) => () => workflowDiagnostics(doc, defs),
      (e: unknown) => () => [definitionsDiagnostic(e)],
    );
    // A newer version has its own validation coming; a closed document keeps nothing.
    if (doc.isClosed || doc.version !== version) return;
    diagnostics.set(doc.uri, found());
  };
  const schedule = (doc: vscode.TextDocument) => {
    cancel(doc);
    const timer = setTimeout(() => {
      timers.delete(doc.uri.toString());
      validate(doc).catch((e: unknown) => options.log?.error(`validating ${doc.fileName}: ${String(e)}`));
    }, options.debounceMs);
    timers.set(doc.uri.toString(), timer);
  };
  for (const doc of vscode.workspace.textDocuments) schedule(doc);
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument(schedule),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0) schedule(e.document);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      cancel(doc);
      diagnostics.delete(doc.uri);
    }),
    definitions.onDidChange(() => vscode.workspace.textDocuments.forEach(schedule)),
    { dispose: () => [...timers.values()].forEach(clearTimeout) },
  );
}

/** The one diagnostic of a workflow whose node definitions could not be had. */
function definitionsDiagnostic(e: unknown): vscode.Diagnostic {
  if (!isRunnerError(e, 'bad_input')) throw e;
  return problemDiagnostic(
    { type: 'bad_input', message: `Cannot validate: ${e.message}`, details: '' },
    new vscode.Range(0, 0, 0, 0),
  );
}
