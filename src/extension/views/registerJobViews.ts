/**
 * The ComfyUI Runner activity-bar container's views and what goes with them: the Jobs tree with its
 * badge and actions, the Servers tree, and the jobs status bar item. They show an empty state until the
 * runner opens, and attach to it when it does (the runner is never opened for them).
 */
import * as vscode from 'vscode';
import type { Runner } from '../../core/run/runner';
import type { RunnerHost } from '../runnerHost';
import { readRunnerConfig } from '../settings';
import { jobCommands, type JobActionContext } from './jobActions';
import { createJobsStatusBar } from './jobsStatusBar';
import { JobsTreeProvider } from './jobsTree';
import { ServersTreeProvider } from './serversTree';

/** The view ids, as package.json contributes them. */
export const JOBS_VIEW = 'comfyuiRunner.jobs';
export const SERVERS_VIEW = 'comfyuiRunner.servers';

/** What {@link registerJobViews} made, for tests. */
export interface JobViews {
  readonly jobs: JobsTreeProvider;
  readonly servers: ServersTreeProvider;
}

function setContext(key: string, value: unknown): void {
  void vscode.commands.executeCommand('setContext', key, value);
}

/**
 * Registers the Jobs and Servers views, the status bar item and the Jobs tree's commands; every
 * disposable goes to `context.subscriptions`.
 */
export function registerJobViews(context: vscode.ExtensionContext, host: RunnerHost): JobViews {
  const jobs = new JobsTreeProvider();
  const configured = () => readRunnerConfig().servers.length > 0;
  const servers = new ServersTreeProvider({ configured });
  const jobsView = vscode.window.createTreeView(JOBS_VIEW, {
    treeDataProvider: jobs,
    canSelectMany: true,
    showCollapseAll: true,
  });
  const serversView = vscode.window.createTreeView(SERVERS_VIEW, { treeDataProvider: servers });
  const statusBar = createJobsStatusBar();
  context.subscriptions.push(jobs, servers, jobsView, serversView, statusBar);
  jobs.onDidChangeCounts((counts) => {
    const total = counts.running + counts.queued;
    const tooltip = `${counts.running} running, ${counts.queued} queued`;
    jobsView.badge = total > 0 ? { value: total, tooltip } : undefined;
    statusBar.update(counts, jobs.overview.paused);
  });
  registerCommands(context, { host, tree: jobs }, servers);
  watchSettingsAndEditor(context, servers, configured);
  const attach = (runner: Runner) => {
    setContext('comfyuiRunner.runnerOpen', true);
    jobs.attach(runner);
    servers.attach(runner);
  };
  context.subscriptions.push(host.onDidOpen(attach));
  if (host.current) attach(host.current);
  return { jobs, servers };
}

function registerCommands(
  context: vscode.ExtensionContext,
  ctx: JobActionContext,
  servers: ServersTreeProvider,
): void {
  for (const [id, action] of Object.entries(jobCommands)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => action(ctx, ...args)),
    );
  }
  context.subscriptions.push(
    vscode.commands.registerCommand('comfyuiRunner.refreshServers', () => servers.refresh()),
  );
}

/** Keeps the "servers configured" key and the workflow in the active editor up to date. */
function watchSettingsAndEditor(
  context: vscode.ExtensionContext,
  servers: ServersTreeProvider,
  configured: () => boolean,
): void {
  setContext('comfyuiRunner.serversConfigured', configured());
  const onEditor = (editor: vscode.TextEditor | undefined) => void servers.setWorkflow(editor?.document);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('comfyuiRunner.servers')) return;
      setContext('comfyuiRunner.serversConfigured', configured());
      servers.configurationChanged();
    }),
    vscode.window.onDidChangeActiveTextEditor(onEditor),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc === vscode.window.activeTextEditor?.document) void servers.setWorkflow(doc);
    }),
  );
  onEditor(vscode.window.activeTextEditor);
}
