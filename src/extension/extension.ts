/**
 * Activation only wires: a table of command ids to small functions, the views, and the owners of
 * everything with a lifetime. Nothing heavy loads here: the runner opens on first use.
 */
import * as vscode from 'vscode';
import { runnerLastRuns } from './documents/lastRuns';
import { createNodeDefinitions } from './documents/nodeDefinitions';
import { registerWorkflowDocuments } from './documents/workflowDocuments';
import { revealOutputs, runSweep, runWorkflow, runWorkflowTimes } from './runCommands';
import { createRunnerHost, type RunnerHost } from './runnerHost';
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
  'comfyuiRunner.runWorkflow': runWorkflow,
  'comfyuiRunner.runWorkflowTimes': runWorkflowTimes,
  'comfyuiRunner.runSweep': runSweep,
  'comfyuiRunner.revealOutputs': revealOutputs,
};

let host: RunnerHost | undefined;

/** Called by VS Code when the extension activates. */
export function activate(context: vscode.ExtensionContext): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('comfyui-runner');
  const log = vscode.window.createOutputChannel('ComfyUI Runner', { log: true });
  host = createRunnerHost({ secrets: context.secrets, log });
  // Nothing is read until the first workflow needs the definitions.
  const definitions = createNodeDefinitions();
  const lastRuns = runnerLastRuns(host);
  context.subscriptions.push(diagnostics, log, host, definitions, lastRuns);
  context.subscriptions.push(registerWorkflowDocuments({ diagnostics, definitions, lastRuns, log }));
  const shared: CommandContext = { diagnostics, definitions, host, log };
  for (const [id, handler] of Object.entries(commandTable)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args) => handler(shared, ...args)));
  }
}

/** Called by VS Code on shutdown: the runner stops writing and gives its store up; jobs on servers go on. */
export async function deactivate(): Promise<void> {
  await host?.close();
  host = undefined;
}
