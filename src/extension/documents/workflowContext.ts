/**
 * The context keys menus and palette entries are gated on: `comfyuiRunner.isWorkflow` (the active
 * editor holds a workflow) and `comfyuiRunner.workflowFormat` (`api`, `editor` or `png`; absent when it
 * holds none). They follow the active editor, the active tab (a PNG opens in the image preview, which is
 * not a text editor) and, through {@link WorkflowFormats.onDidChange}, edits of the active document.
 */
import * as vscode from 'vscode';
import type { WorkflowFormat, WorkflowFormats } from './workflowFormats';

/** The context key that says the active editor holds a workflow. */
export const IS_WORKFLOW = 'comfyuiRunner.isWorkflow';
/** The context key that names the active workflow's format. */
export const WORKFLOW_FORMAT = 'comfyuiRunner.workflowFormat';

/** The URI of what a tab shows, when it shows one file (a text or custom editor such as the image preview). */
export function tabUri(tab: vscode.Tab | undefined): vscode.Uri | undefined {
  const input = tab?.input as { uri?: unknown } | undefined;
  return input?.uri instanceof vscode.Uri ? input.uri : undefined;
}

/** Keeps the context keys in step with the active editor; returns what stops it. */
export function trackActiveWorkflow(formats: WorkflowFormats): vscode.Disposable {
  let shown: WorkflowFormat | undefined | null = null;
  let asked = 0;
  const show = (format: WorkflowFormat | undefined) => {
    if (format === shown) return;
    shown = format;
    void vscode.commands.executeCommand('setContext', IS_WORKFLOW, format !== undefined);
    void vscode.commands.executeCommand('setContext', WORKFLOW_FORMAT, format);
  };
  const update = () => {
    const ask = ++asked;
    const editor = vscode.window.activeTextEditor;
    if (editor) return show(formats.formatOf(editor.document));
    const uri = tabUri(vscode.window.tabGroups.activeTabGroup.activeTab);
    if (!uri || !/\.png$/i.test(uri.path)) return show(undefined);
    // Only the latest question is answered: an earlier tab's answer may arrive after a later one's.
    void formats.isPngWorkflow(uri).then((png) => ask === asked && show(png ? 'png' : undefined));
  };
  update();
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.window.tabGroups.onDidChangeTabs(update),
    formats.onDidChange((doc) => {
      if (vscode.window.activeTextEditor?.document === doc) update();
    }),
  );
}
