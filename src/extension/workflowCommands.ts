/**
 * The Validate and Convert commands on a workflow: the one the command was given (a lens or the editor
 * title passes its URI), else the active editor's. Glue between VS Code's editor, Problems panel and
 * notifications and the core's workflow functions; Validate builds its diagnostics with the same
 * function as validation as the user types.
 */
import * as vscode from 'vscode';
import { isRunnerError } from '../core/util/runnerError';
import { loadWorkflowBytes } from '../core/workflow/loadWorkflow';
import type { NodeDefs } from '../core/workflow/types';
import { workflowBytesProblems } from '../core/workflow/workflowProblems';
import type { NodeDefinitions } from './documents/nodeDefinitions';
import { tabUri } from './documents/workflowContext';
import { problemDiagnostic, workflowDiagnostics } from './documents/workflowDiagnostics';

/** What the command handlers share: the extension-lifetime diagnostics and node definitions. */
export interface WorkflowCommandContext {
  diagnostics: vscode.DiagnosticCollection;
  definitions: NodeDefinitions;
}

/** The definitions, read afresh, or undefined after telling the user what is wrong with the setting's file. */
async function definitionsOrReport(ctx: WorkflowCommandContext): Promise<NodeDefs | undefined> {
  try {
    return await ctx.definitions.get({ fresh: true });
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

/** The workflow a command is about: a text document, or the URI of a PNG; undefined after a warning. */
async function targetWorkflow(arg: unknown): Promise<vscode.TextDocument | vscode.Uri | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : undefined;
  if (uri && /\.png$/i.test(uri.path)) return uri;
  if (uri) {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return open ?? vscode.workspace.openTextDocument(uri);
  }
  const doc = vscode.window.activeTextEditor?.document;
  if (doc) return doc;
  const shown = tabUri(vscode.window.tabGroups.activeTabGroup.activeTab);
  if (shown && /\.png$/i.test(shown.path)) return shown;
  void vscode.window.showWarningMessage('ComfyUI Runner: open a workflow file first.');
  return undefined;
}

/** The diagnostics of a PNG's workflow: all on its first line, since an image has no text to point at. */
async function pngDiagnostics(uri: vscode.Uri, defs: NodeDefs): Promise<vscode.Diagnostic[]> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  const first = new vscode.Range(0, 0, 0, 0);
  return workflowBytesProblems(uri.fsPath, bytes, defs).map((p) => problemDiagnostic(p, first));
}

/** Validates a workflow and lists every problem in the Problems panel. */
export async function validateActiveWorkflow(ctx: WorkflowCommandContext, arg?: unknown): Promise<void> {
  const target = await targetWorkflow(arg);
  if (!target) return;
  const defs = await definitionsOrReport(ctx);
  if (!defs) return;
  const uri = target instanceof vscode.Uri ? target : target.uri;
  const found =
    target instanceof vscode.Uri ? await pngDiagnostics(target, defs) : workflowDiagnostics(target, defs);
  ctx.diagnostics.set(uri, found);
  const name = vscode.workspace.asRelativePath(uri);
  if (found.length === 0) void vscode.window.showInformationMessage(`ComfyUI Runner: ${name} is valid.`);
  else
    void vscode.window.showErrorMessage(
      `ComfyUI Runner: ${name} has ${found.length} problem(s); see the Problems panel.`,
    );
}

/** Converts an editor-format workflow (or a PNG's) to API format in a new editor. */
export async function convertActiveWorkflow(ctx: WorkflowCommandContext, arg?: unknown): Promise<void> {
  const target = await targetWorkflow(arg);
  if (!target) return;
  const defs = await definitionsOrReport(ctx);
  if (!defs) return;
  try {
    const loaded =
      target instanceof vscode.Uri
        ? loadWorkflowBytes(target.fsPath, await vscode.workspace.fs.readFile(target), defs)
        : loadWorkflowBytes(target.fileName, Buffer.from(target.getText(), 'utf8'), defs);
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
