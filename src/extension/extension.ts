/**
 * Activation only wires: a table of command ids to small functions, the views, and the owners of
 * everything with a lifetime. Nothing heavy loads here: the runner opens on first use.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { runnerLastRuns } from './documents/lastRuns';
import { createNodeDefinitions } from './documents/nodeDefinitions';
import { registerWorkflowDocuments } from './documents/workflowDocuments';
import { loadCore } from './loadCore';
import { createRunnerHost, type RunnerHost } from './runnerHost';
import { DOWNLOAD_SETTINGS, readRunnerConfig, SECTION } from './settings';
import type { CommandContext } from './commandContext';
import { registerJobViews } from './views/registerJobViews';
import { registerRunsPanel } from './panel/registerRunsPanel';

/** The ids of every command; their handlers are in extensionCore.ts, loaded on the first call. */
export const commandIds: readonly string[] = [
  'comfyuiRunner.validateWorkflow',
  'comfyuiRunner.convertWorkflow',
  'comfyuiRunner.runWorkflow',
  'comfyuiRunner.runWorkflowTimes',
  'comfyuiRunner.runSweep',
  'comfyuiRunner.runOutputNode',
  'comfyuiRunner.runSplit',
  'comfyuiRunner.revealOutputs',
  'comfyuiRunner.cancelAllQueued',
  'comfyuiRunner.retryAllFailed',
  'comfyuiRunner.retryJobOnAnotherServer',
  'comfyuiRunner.pauseQueue',
  'comfyuiRunner.resumeQueue',
  'comfyuiRunner.addServer',
  'comfyuiRunner.removeServer',
  'comfyuiRunner.enableServer',
  'comfyuiRunner.disableServer',
  'comfyuiRunner.setServerSlots',
  'comfyuiRunner.setServerCredentials',
  'comfyuiRunner.testServerConnection',
  'comfyuiRunner.showLog',
  'comfyuiRunner.openRunsPanel',
  'comfyuiRunner.compareRuns',
];

/** Settings whose change means opening the runner again (jobs on servers are taken back by prompt id). */
const RUNNER_SETTINGS = [
  'servers',
  'scheduler.maxConcurrentJobs',
  'scheduler.retryUnaccepted',
  'outputs.folder',
  'engine.slots',
  ...DOWNLOAD_SETTINGS,
].map((k) => `${SECTION}.${k}`);

/** When activation looks for a store once more, for one made while its file watcher was starting. */
const STORE_RECHECK_MS = 3_000;

let host: RunnerHost | undefined;

/** Called by VS Code when the extension activates. */
export function activate(context: vscode.ExtensionContext): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('comfyui-runner');
  const log = vscode.window.createOutputChannel('ComfyUI Runner', { log: true });
  host = createRunnerHost({
    secrets: context.secrets,
    log,
    cliPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath,
    stateDir: (context.storageUri ?? context.globalStorageUri).fsPath,
  });
  // Nothing is read until the first workflow needs the definitions.
  const definitions = createNodeDefinitions();
  const lastRuns = runnerLastRuns(host);
  context.subscriptions.push(diagnostics, log, host, definitions, lastRuns);
  context.subscriptions.push(registerWorkflowDocuments({ diagnostics, definitions, lastRuns, log }));
  const shared: CommandContext = {
    diagnostics,
    definitions,
    host,
    log,
    secrets: context.secrets,
    extensionUri: context.extensionUri,
  };
  for (const id of commandIds) {
    const run = (...args: unknown[]) => loadCore().commandTable[id](shared, ...args);
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  }
  registerJobViews(context, host);
  context.subscriptions.push(registerRunsPanel(shared, context.extensionUri));
  const runnerHost = host;
  context.subscriptions.push(
    runnerHost.onDidOpen((runner) => {
      const stop = loadCore().notifyOutcomes(runner);
      context.subscriptions.push({ dispose: stop });
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => resumeInBackground(runnerHost, log)),
    watchForStore(runnerHost, log),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!RUNNER_SETTINGS.some((k) => e.affectsConfiguration(k))) return;
      void runnerHost.reopen().catch((err: unknown) => log.error(`reopening the runner: ${String(err)}`));
    }),
  );
  resumeInBackground(runnerHost, log);
}

/**
 * Takes the store back soon after activation when the workspace has one (a window reload mid-run):
 * queued jobs go on and jobs on servers are reattached by prompt id. Deferred, so activation itself
 * stays light; never in an untrusted workspace, where nothing runs or connects.
 */
function resumeInBackground(runnerHost: RunnerHost, log: vscode.LogOutputChannel): void {
  if (!vscode.workspace.isTrusted || !runnerHost.folder) return;
  const store = join(runnerHost.folder, readRunnerConfig().outputFolder, '.store', 'store.json');
  if (!existsSync(store)) return;
  setTimeout(() => {
    runnerHost.ensure().then(
      (runner) => log.info(`took the job store back: ${JSON.stringify(summary(runner.restored))}`),
      (e: unknown) =>
        log.error(`could not take the job store back: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, 0);
}

/**
 * Notices the workspace's store appearing (a `comfy-runner run` in a terminal made it) and then does as
 * at activation: the host takes the store, or follows it while that process owns it, so its jobs show.
 */
function watchForStore(runnerHost: RunnerHost, log: vscode.LogOutputChannel): vscode.Disposable {
  if (!runnerHost.folder) return { dispose: () => undefined };
  const relative = `${readRunnerConfig().outputFolder}/.store/store.json`;
  const pattern = new vscode.RelativePattern(runnerHost.folder, relative);
  const watcher = vscode.workspace.createFileSystemWatcher(pattern, false, true, true);
  const notice = (file: string) => {
    if (runnerHost.current || runnerHost.watched) return;
    log.info(`noticed a job store: ${file}`);
    resumeInBackground(runnerHost, log);
  };
  const created = watcher.onDidCreate((uri) => notice(uri.fsPath));
  // A store made while the watcher was still starting is seen by neither it nor activation: look once more.
  const store = join(runnerHost.folder, relative);
  const again = setTimeout(() => {
    if (existsSync(store)) notice(store);
  }, STORE_RECHECK_MS);
  return vscode.Disposable.from(created, watcher, { dispose: () => clearTimeout(again) });
}

/** How many stored jobs were taken back, by what became of them. */
function summary(r: Record<'queued' | 'reattached' | 'requeued' | 'restarted' | 'lost', string[]>) {
  return {
    queued: r.queued.length,
    reattached: r.reattached.length,
    requeued: r.requeued.length,
    restarted: r.restarted.length,
    lost: r.lost.length,
  };
}

/** Called by VS Code on shutdown: the runner stops writing and gives its store up; jobs on servers go on. */
export async function deactivate(): Promise<void> {
  await host?.close();
  host = undefined;
}
