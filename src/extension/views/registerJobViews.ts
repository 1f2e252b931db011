/**
 * The ComfyUI Runner activity-bar container's views and what goes with them: the Jobs tree with its
 * badge and actions, the Servers tree, and the jobs status bar item. They show an empty state (and
 * the views' welcome content) until the runner opens; then their providers, with the commands'
 * handlers, are loaded from the heavy half (jobViewsCore.ts through extensionCore.ts) and attached.
 * While another process owns the workspace's store, the Jobs tree shows that store's jobs.
 * Only types of the heavy half are imported here, so activation stays light.
 */
import * as vscode from 'vscode';
import type { JobSource, Runner } from '../../core/run/runner';
import { serverName } from '../../core/run/runnerSettings';
import { loadCore } from '../loadCore';
import type { RunnerHost } from '../runnerHost';
import { readRunnerConfig } from '../settings';
import type { JobViewsCore } from './jobViewsCore';
import { createJobsStatusBar } from './jobsStatusBar';
import { LazyTree } from './lazyTree';

/** The view ids, as package.json contributes them. */
export const JOBS_VIEW = 'comfyuiRunner.jobs';
export const SERVERS_VIEW = 'comfyuiRunner.servers';

/** The ids of the views' commands; their handlers are in jobViewsCore.ts, loaded with the runner. */
export const viewCommandIds: readonly string[] = [
  'comfyuiRunner.cancelJob',
  'comfyuiRunner.retryJob',
  'comfyuiRunner.moveJobUp',
  'comfyuiRunner.moveJobDown',
  'comfyuiRunner.moveJobToFront',
  'comfyuiRunner.openRunRecord',
  'comfyuiRunner.copyPromptId',
  'comfyuiRunner.refreshJobs',
  'comfyuiRunner.showMoreJobs',
  'comfyuiRunner.refreshServers',
];

/** What {@link registerJobViews} made: the providers once the runner has opened, for tests. */
export interface JobViews {
  readonly core: JobViewsCore | undefined;
}

function setContext(key: string, value: unknown): void {
  void vscode.commands.executeCommand('setContext', key, value);
}

/**
 * Registers the Jobs and Servers views, the status bar item and the views' commands; every disposable
 * goes to `context.subscriptions`. Call it from `activate`.
 */
export function registerJobViews(context: vscode.ExtensionContext, host: RunnerHost): JobViews {
  const jobsTree = new LazyTree<unknown>();
  const serversTree = new LazyTree<unknown>();
  const jobsView = vscode.window.createTreeView(JOBS_VIEW, {
    treeDataProvider: jobsTree,
    canSelectMany: true,
    showCollapseAll: true,
  });
  const serversView = vscode.window.createTreeView(SERVERS_VIEW, { treeDataProvider: serversTree });
  const statusBar = createJobsStatusBar();
  context.subscriptions.push(jobsTree, serversTree, jobsView, serversView, statusBar);
  const configured = () => readRunnerConfig().servers.length > 0;
  let core: JobViewsCore | undefined;
  const load = (): JobViewsCore => {
    if (!core) {
      const made = loadCore().openJobViews(host, { configured, urlOf: configuredUrl });
      core = made;
      context.subscriptions.push({ dispose: () => made.dispose() });
      made.jobs.onDidChangeCounts((counts) => {
        const total = counts.running + counts.queued;
        const tooltip = `${counts.running} running, ${counts.queued} queued`;
        jobsView.badge = total > 0 ? { value: total, tooltip } : undefined;
        statusBar.update(counts, made.jobs.overview.paused);
        setContext('comfyuiRunner.queuePaused', made.jobs.overview.paused);
      });
      void made.servers.setWorkflow(vscode.window.activeTextEditor?.document);
      jobsTree.attach(made.jobs as vscode.TreeDataProvider<unknown>);
      serversTree.attach(made.servers as vscode.TreeDataProvider<unknown>);
    }
    return core;
  };
  const open = (runner: Runner) => {
    setContext('comfyuiRunner.runnerOpen', true);
    load().attach(runner);
  };
  // Another process runs the store: its jobs show, the servers are that process's own.
  const follow = (watch: JobSource) => load().jobs.attach(watch);
  for (const id of viewCommandIds) {
    // Before the runner opens the views are empty: there is nothing to act on.
    const run = (...args: unknown[]) => core?.run(id, args) ?? Promise.resolve();
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  }
  watchSettingsAndEditor(context, () => core, configured);
  context.subscriptions.push(host.onDidOpen(open), host.onDidWatch(follow));
  if (host.current) open(host.current);
  return {
    get core() {
      return core;
    },
  };
}

/** The URL of the configured server that the pool calls `name`. */
function configuredUrl(name: string): string | undefined {
  const poolName = (url: string) => {
    try {
      return serverName(url);
    } catch {
      return undefined; // A malformed URL in the setting joins no pool.
    }
  };
  return readRunnerConfig().servers.find((s) => (s.name ?? poolName(s.url)) === name)?.url;
}

/** Keeps the "servers configured" key and the workflow in the active editor up to date. */
function watchSettingsAndEditor(
  context: vscode.ExtensionContext,
  core: () => JobViewsCore | undefined,
  configured: () => boolean,
): void {
  setContext('comfyuiRunner.serversConfigured', configured());
  const onEditor = (editor: vscode.TextEditor | undefined) =>
    void core()?.servers.setWorkflow(editor?.document);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('comfyuiRunner.servers')) return;
      setContext('comfyuiRunner.serversConfigured', configured());
      core()?.servers.configurationChanged();
    }),
    vscode.window.onDidChangeActiveTextEditor(onEditor),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc === vscode.window.activeTextEditor?.document) void core()?.servers.setWorkflow(doc);
    }),
  );
}
