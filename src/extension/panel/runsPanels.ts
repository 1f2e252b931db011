/**
 * The runs panels: one `WebviewPanel` per workflow file, beside its editor, each fed by its own
 * RunsPanelFeed (core/run) from the window's runner, or from the store another process owns while the
 * runner cannot open. Thin glue: what a panel shows is the feed's; what the webview asks is checked by
 * the protocol's parser and mapped onto the extension's existing commands.
 *
 * Part of the heavy half (loaded through loadCore): activation only registers the serializer
 * (registerRunsPanel.ts), which calls {@link restoreRunsPanel} after a window reload.
 */
import { randomBytes } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { setOutputStarred } from '../../core/jobs/runRecordStars';
import type { JobSource, Runner } from '../../core/run/runner';
import { RunsPanelFeed } from '../../core/run/runsPanelFeed';
import {
  parsePanelState,
  parseWebviewMessage,
  type HostMessage,
  type WebviewMessage,
} from '../../shared/protocol';
import type { CommandContext } from '../commandContext';
import { readRunnerConfig, SECTION } from '../settings';
import { makeNonce, runsPanelHtml } from './runsPanelHtml';

/** The panel's view type, the same the serializer is registered for. */
export const RUNS_PANEL_VIEW = 'comfyuiRunner.runsPanel';

/** One open panel. */
interface OpenPanel {
  readonly panel: vscode.WebviewPanel;
  readonly feed: RunsPanelFeed;
  readonly file: string;
  /** Whether the page said it is ready; messages sent before would be lost. */
  ready: boolean;
  /** A comparison asked for before the page was ready, sent once it is. */
  compare?: string[];
}

const panels = new Map<string, OpenPanel>();

/** Opens (or shows) the runs panel of `file`; resolves once it is there. */
export async function showRunsPanel(
  ctx: CommandContext,
  extensionUri: vscode.Uri,
  file: string,
  options: { preserveFocus?: boolean; compare?: string[] } = {},
): Promise<void> {
  const key = resolve(file);
  let open = panels.get(key);
  if (open) open.panel.reveal(undefined, options.preserveFocus);
  else {
    const panel = vscode.window.createWebviewPanel(
      RUNS_PANEL_VIEW,
      `Runs: ${basename(file)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: options.preserveFocus ?? false },
      webviewOptions(ctx, extensionUri),
    );
    open = attach(ctx, extensionUri, panel, key);
  }
  if (!options.compare) return;
  if (open.ready) void open.panel.webview.postMessage({ type: 'view/compare', ids: options.compare });
  else open.compare = options.compare;
}

/** Takes a panel VS Code kept over a window reload back, with the state its webview kept. */
export async function restoreRunsPanel(
  ctx: CommandContext,
  extensionUri: vscode.Uri,
  panel: vscode.WebviewPanel,
  state: unknown,
): Promise<void> {
  const kept = parsePanelState(state);
  if (!kept) {
    panel.dispose();
    return;
  }
  panel.webview.options = webviewOptions(ctx, extensionUri);
  attach(ctx, extensionUri, panel, resolve(kept.file));
}

/** The open panel of a file, for the tests and the commands. */
export function runsPanelOf(file: string): { panel: vscode.WebviewPanel; feed: RunsPanelFeed } | undefined {
  return panels.get(resolve(file));
}

/** Opens the panel of each workflow a new run of starts, when the setting asks for it. */
export function openPanelsOnRun(ctx: CommandContext, extensionUri: vscode.Uri, runner: Runner): () => void {
  return runner.subscribe((event) => {
    if (event.type !== 'job/added' || event.job.retryOf) return;
    if (!vscode.workspace.getConfiguration(SECTION).get<boolean>('outputs.openPanelOnRun', false)) return;
    if (panels.has(resolve(event.job.workflow.file))) return;
    void showRunsPanel(ctx, extensionUri, event.job.workflow.file, { preserveFocus: true });
  });
}

/** Scripts on, and files only from the extension's bundles and media and the outputs folder. */
function webviewOptions(
  ctx: CommandContext,
  extensionUri: vscode.Uri,
): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  const roots = [
    vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
    vscode.Uri.joinPath(extensionUri, 'media'),
  ];
  if (ctx.host.folder) roots.push(vscode.Uri.file(join(ctx.host.folder, readRunnerConfig().outputFolder)));
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: roots };
}

function attach(
  ctx: CommandContext,
  extensionUri: vscode.Uri,
  panel: vscode.WebviewPanel,
  file: string,
): OpenPanel {
  const webview = panel.webview;
  const feed = new RunsPanelFeed({
    file,
    uriOf: (path) => webview.asWebviewUri(vscode.Uri.file(path)).toString(),
    post: (message: HostMessage) => void webview.postMessage(message),
    onProblem: (m) => ctx.log.warn(m),
  });
  const open: OpenPanel = { panel, feed, file, ready: false };
  panels.set(file, open);
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  webview.html = runsPanelHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce((n) => randomBytes(n)),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'runsPanel.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'runsPanel.css')).toString(),
  });
  const bindTo = (source: JobSource | undefined) => source && source !== feed.bound && feed.bind(source);
  bindTo(ctx.host.current ?? ctx.host.watched);
  if (!feed.bound && vscode.workspace.isTrusted)
    void ctx.host.ensure().then(bindTo, () => bindTo(ctx.host.watched));
  const disposables = [
    ctx.host.onDidOpen((runner) => bindTo(runner)),
    ctx.host.onDidWatch((watch) => bindTo(watch)),
    webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = parseWebviewMessage(raw);
      if ('problem' in parsed) return ctx.log.warn(`runs panel: ${parsed.problem}`);
      handle(ctx, open, parsed.message).catch((e: unknown) =>
        ctx.log.error(`runs panel: ${parsed.message.type}: ${e instanceof Error ? e.message : String(e)}`),
      );
    }),
  ];
  panel.onDidDispose(() => {
    panels.delete(file);
    feed.dispose();
    for (const d of disposables) d.dispose();
  });
  return open;
}

/** What a message from the webview asks, done with the extension's own commands where it has them. */
async function handle(ctx: CommandContext, open: OpenPanel, message: WebviewMessage): Promise<void> {
  const run = (command: string, ...args: unknown[]) => vscode.commands.executeCommand(command, ...args);
  switch (message.type) {
    case 'webview/ready': {
      open.ready = true;
      open.feed.webviewReady();
      if (open.compare) void open.panel.webview.postMessage({ type: 'view/compare', ids: open.compare });
      open.compare = undefined;
      return;
    }
    case 'run/cancel':
      return void (await run('comfyuiRunner.cancelJob', message.id));
    case 'run/retry':
      return void (await run(
        message.anotherServer ? 'comfyuiRunner.retryJobOnAnotherServer' : 'comfyuiRunner.retryJob',
        message.id,
      ));
    case 'run/revealOutputs':
      return void (await run('comfyuiRunner.revealOutputs', message.id));
    case 'run/openRecord':
      return void (await run('comfyuiRunner.openRunRecord', message.id));
    case 'run/rerun': {
      const overrides = open.feed.model.job(message.id)?.overrides ?? [];
      return void (await run('comfyuiRunner.runSweep', vscode.Uri.file(open.file), { overrides }));
    }
    case 'run/openPrompt': {
      const job = open.feed.model.job(message.id);
      if (!job) return;
      const doc = await vscode.workspace.openTextDocument({
        language: 'json',
        content: JSON.stringify(job.prompt, null, 2),
      });
      return void (await vscode.window.showTextDocument(doc));
    }
    case 'text/copy':
      return vscode.env.clipboard.writeText(message.text);
    case 'output/open':
    case 'output/reveal':
    case 'output/copyPath':
    case 'output/star':
      return handleOutput(ctx, open, message);
    default: {
      const never: never = message;
      return never;
    }
  }
}

/** An action on one output file; refused unless the file is an output of that run. */
async function handleOutput(
  ctx: CommandContext,
  open: OpenPanel,
  message: Extract<WebviewMessage, { type: `output/${string}` }>,
): Promise<void> {
  const job = open.feed.model.job(message.id);
  const known = job?.outputs.some((o) => join(job.outDir, o.path) === message.path);
  if (!job || !known)
    return ctx.log.warn(`runs panel: ${message.path} is not an output of run ${message.id}`);
  const uri = vscode.Uri.file(message.path);
  switch (message.type) {
    case 'output/open':
      return void (await vscode.commands.executeCommand('vscode.open', uri));
    case 'output/reveal':
      return void (await vscode.commands.executeCommand('revealFileInOS', uri));
    case 'output/copyPath':
      return vscode.env.clipboard.writeText(message.path);
    case 'output/star':
      await setOutputStarred(job.outDir, message.path, message.starred);
      return open.feed.setStarred(message.id, message.path, message.starred);
  }
}
