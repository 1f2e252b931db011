/**
 * Activation only wires: a table of command ids to small functions, each owning nothing beyond its
 * call. Everything with behaviour lives in src/core.
 */
import * as vscode from 'vscode';
import {
  convertActiveWorkflow,
  validateActiveWorkflow,
  type WorkflowCommandContext,
} from './workflowCommands';

/** Command ids to handlers; every id here is contributed in package.json and vice versa. */
export const commandTable: Record<string, (ctx: WorkflowCommandContext) => Promise<void>> = {
  'comfyuiRunner.validateWorkflow': validateActiveWorkflow,
  'comfyuiRunner.convertWorkflow': convertActiveWorkflow,
};

/** Called by VS Code when the extension activates. */
export function activate(context: vscode.ExtensionContext): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('comfyui-runner');
  context.subscriptions.push(diagnostics);
  const shared: WorkflowCommandContext = { diagnostics };
  for (const [id, handler] of Object.entries(commandTable)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, () => handler(shared)));
  }
}

/** Called by VS Code on shutdown; every disposable is owned by `context.subscriptions`. */
export function deactivate(): void {}
