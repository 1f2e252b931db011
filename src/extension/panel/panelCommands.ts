/**
 * Open Runs Panel and Compare Runs: from the editor title and CodeLens (a workflow file's URI), the
 * Jobs tree (a job item, or several selected), or the palette (the active editor's workflow).
 */
import * as vscode from 'vscode';
import type { CommandContext } from '../commandContext';
import { jobIdOf } from '../queueCommands';
import { showRunsPanel } from './runsPanels';

/** The workflow file a command is about: a URI, a job's (an id or a tree item), or the active editor's. */
function workflowFileOf(ctx: CommandContext, arg: unknown): string | undefined {
  const uri = arg as { fsPath?: unknown } | undefined;
  if (typeof uri?.fsPath === 'string') return uri.fsPath;
  const id = jobIdOf(arg);
  const file = id ? ctx.host.current?.job(id)?.workflow.file : undefined;
  if (file) return file;
  const fromItem = (arg as { job?: { workflow?: { file?: unknown } } } | undefined)?.job?.workflow?.file;
  if (typeof fromItem === 'string') return fromItem;
  return vscode.window.activeTextEditor?.document.fileName;
}

function extensionUriOf(ctx: CommandContext): vscode.Uri | undefined {
  if (ctx.extensionUri) return ctx.extensionUri;
  void vscode.window.showErrorMessage('ComfyUI Runner: the runs panel is not available.');
  return undefined;
}

/** Opens the runs panel of the workflow the command is about. */
export async function openRunsPanel(ctx: CommandContext, arg?: unknown): Promise<void> {
  const file = workflowFileOf(ctx, arg);
  const extensionUri = extensionUriOf(ctx);
  if (!extensionUri) return;
  if (!file) {
    void vscode.window.showWarningMessage('ComfyUI Runner: open a workflow file first.');
    return;
  }
  await showRunsPanel(ctx, extensionUri, file);
}

/** Opens the runs panel comparing 2 to 4 runs: those selected in the Jobs tree, else those the user picks. */
export async function compareRuns(ctx: CommandContext, arg?: unknown, selected?: unknown): Promise<void> {
  const extensionUri = extensionUriOf(ctx);
  if (!extensionUri) return;
  const given = Array.isArray(selected) ? selected.flatMap((s) => jobIdOf(s) ?? []) : [];
  const file = workflowFileOf(ctx, given[0] ?? arg);
  if (!file) {
    void vscode.window.showWarningMessage('ComfyUI Runner: open a workflow file first.');
    return;
  }
  let ids = given.length >= 2 ? given.slice(0, 4) : await pickRuns(ctx, file);
  if (!ids) return;
  ids = ids.slice(0, 4);
  await showRunsPanel(ctx, extensionUri, file, { compare: ids });
}

/** Asks which finished runs of `file` to compare; undefined when fewer than two were picked. */
async function pickRuns(ctx: CommandContext, file: string): Promise<string[] | undefined> {
  const runner = ctx.host.current ?? ctx.host.watched;
  const jobs = (runner?.snapshot().jobs ?? [])
    .map((j) => j.job)
    .filter((j) => j.workflow.file === file && j.state === 'succeeded');
  if (jobs.length < 2) {
    void vscode.window.showInformationMessage(
      'ComfyUI Runner: compare needs two finished runs of this workflow.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    jobs.map((j, i) => ({ label: `Run ${i + 1}`, description: j.server ?? '', id: j.id })),
    { title: 'Compare Runs: pick 2 to 4 runs', canPickMany: true },
  );
  const ids = (picked as unknown as { id: string }[] | undefined)?.map((p) => p.id) ?? [];
  return ids.length >= 2 ? ids : undefined;
}
