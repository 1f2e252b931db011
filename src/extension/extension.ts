/**
 * Activation only wires: a table of command ids to small functions, the views, and the owners of
 * everything with a lifetime. Nothing heavy loads here: the runner opens on first use.
 */
import * as vscode from 'vscode';
import { createRunnerHost, type RunnerHost } from './runnerHost';
import { registerJobViews } from './views/registerJobViews';
import {
  convertActiveWorkflow,
  validateActiveWorkflow,
  type WorkflowCommandContext,
} from './workflowCommands';

/** What every command handler is given: the extension-lifetime services. */
export interface CommandContext extends WorkflowCommandContext {
  readonly host: RunnerHost;
  readonly log: vscode.LogOutputChannel;
}

/** A command handler; `args` are what VS Code passes (a tree item, a URI), if anything. */
export type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => Promise<void>;

/** Command ids to handlers; every id here is contributed in package.json and vice versa. */
export const commandTable: Record<string, CommandHandler> = {
  'comfyuiRunner.validateWorkflow': validateActiveWorkflow,
  'comfyuiRunner.convertWorkflow': convertActiveWorkflow,
};

let host: RunnerHost | undefined;

/** Called by VS Code when the extension activates. */
export function activate(context: vscode.ExtensionContext): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('comfyui-runner');
  const log = vscode.window.createOutputChannel('ComfyUI Runner', { log: true });
  host = createRunnerHost({ secrets: context.secrets, log });
  context.subscriptions.push(diagnostics, log, host);
  const shared: CommandContext = { diagnostics, host, log };
  for (const [id, handler] of Object.entries(commandTable)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args) => handler(shared, ...args)));
  }
  registerJobViews(context, host);
}

/** Called by VS Code on shutdown: the runner stops writing and gives its store up; jobs on servers go on. */
export async function deactivate(): Promise<void> {
  await host?.close();
  host = undefined;
}
