/**
 * The Validate and Convert commands on the active editor's workflow: glue between VS Code's editor,
 * Problems panel and notifications and the core's workflow functions.
 */
import * as vscode from 'vscode';
import { isRunnerError } from '../core/util/runnerError';
import { workflowDefinitions } from '../core/run/workflowDefinitions';
import { loadWorkflowBytes } from '../core/workflow/loadWorkflow';
import type { NodeDefs } from '../core/workflow/types';
import { formatProblem, listProblems, validatePrompt, type Problem } from '../core/workflow/validate';
import { locateProblem } from '../core/workflow/problemLocation';

/** What the command handlers share: the extension-lifetime diagnostics collection. */
export interface WorkflowCommandContext {
  diagnostics: vscode.DiagnosticCollection;
}

/** The definitions of the setting's file (checked, as the command line checks `--nodes`), else the engine's. */
function nodeDefinitions(): Promise<NodeDefs> {
  const file = vscode.workspace.getConfiguration('comfyuiRunner').get<string>('nodeDefinitionsFile', '');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return workflowDefinitions({ file, inputDir: `${folder}/input` });
}

/** The definitions, or undefined after telling the user what is wrong with the setting's file. */
async function definitionsOrReport(): Promise<NodeDefs | undefined> {
  try {
    return await nodeDefinitions();
  } catch (e) {
    if (!isRunnerError(e, 'bad_input')) throw e;
    const open = 'Open Settings';
    const choice = await vscode.window.showErrorMessage(`ComfyUI Runner: ${e.message}`, open);
    if (choice === open)
      await vscode.commands.executeCommand(
        'workbench.action.openSettings',
        'comfyuiRunner.nodeDefinitionsFile',
      );
    return undefined;
  }
}

function activeDocument(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) void vscode.window.showWarningMessage('ComfyUI Runner: open a workflow file first.');
  return doc;
}

function problemsOf(doc: vscode.TextDocument, defs: NodeDefs): Problem[] {
  try {
    const loaded = loadWorkflowBytes(doc.fileName, Buffer.from(doc.getText(), 'utf8'), defs);
    return listProblems(validatePrompt(loaded.prompt, defs), loaded.prompt);
  } catch (e) {
    if (!isRunnerError(e, 'bad_input')) throw e;
    return [{ type: 'bad_input', message: e.message, details: '', ...e.location }];
  }
}

function rangeOf(doc: vscode.TextDocument, p: Problem): vscode.Range {
  const span = locateProblem(doc.getText(), p.nodeId, p.inputName);
  return new vscode.Range(span.line, span.startCharacter, span.line, span.endCharacter);
}

/** Validates the active workflow and lists every problem in the Problems panel. */
export async function validateActiveWorkflow(ctx: WorkflowCommandContext): Promise<void> {
  const doc = activeDocument();
  if (!doc) return;
  const defs = await definitionsOrReport();
  if (!defs) return;
  const problems = problemsOf(doc, defs);
  ctx.diagnostics.set(
    doc.uri,
    problems.map((p) => {
      const d = new vscode.Diagnostic(rangeOf(doc, p), formatProblem(p), vscode.DiagnosticSeverity.Error);
      d.source = 'ComfyUI Runner';
      d.code = p.type;
      return d;
    }),
  );
  const name = vscode.workspace.asRelativePath(doc.uri);
  if (problems.length === 0) void vscode.window.showInformationMessage(`ComfyUI Runner: ${name} is valid.`);
  else
    void vscode.window.showErrorMessage(
      `ComfyUI Runner: ${name} has ${problems.length} problem(s); see the Problems panel.`,
    );
}

/** Converts the active editor-format workflow to API format in a new editor. */
export async function convertActiveWorkflow(_ctx: WorkflowCommandContext): Promise<void> {
  const doc = activeDocument();
  if (!doc) return;
  const defs = await definitionsOrReport();
  if (!defs) return;
  try {
    const loaded = loadWorkflowBytes(doc.fileName, Buffer.from(doc.getText(), 'utf8'), defs);
    const out = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(loaded.prompt, null, 2),
    });
    await vscode.window.showTextDocument(out, { preview: false });
  } catch (e) {
    if (!isRunnerError(e, 'bad_input')) throw e;
    void vscode.window.showErrorMessage(`ComfyUI Runner: ${e.message}`);
  }
}
