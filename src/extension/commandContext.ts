/** What the command handlers are given, kept apart so that handlers and activation need not import each other. */
import type * as vscode from 'vscode';
import type { RunnerHost } from './runnerHost';
import type { WorkflowCommandContext } from './workflowCommands';

/** What every command handler is given: the extension-lifetime services. */
export interface CommandContext extends WorkflowCommandContext {
  readonly host: RunnerHost;
  readonly log: vscode.LogOutputChannel;
  /** Where server credentials are kept; never settings, logs or files. */
  readonly secrets: vscode.SecretStorage;
  /** The extension's folder, where the webview bundles are; absent in tests that need no panel. */
  readonly extensionUri?: vscode.Uri;
}

/** A command handler; `args` are what VS Code passes (a tree item, a URI), if anything. */
export type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => Promise<void>;
