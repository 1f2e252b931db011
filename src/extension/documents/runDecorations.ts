/**
 * The Explorer's mark on a workflow file whose latest run is waiting, running, failed or succeeded, with
 * a tooltip saying how it stands. A cancelled run leaves no mark: the user knows why it stopped.
 */
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { lastRunStatus, lastRunSummary, type LastRunStatus } from '../../core/run/lastRun';
import type { Job } from '../../core/jobs/job';
import type { LastRuns } from './lastRuns';

/**
 * Badge and colour per status. Failures take `list.errorForeground`, the colour VS Code's own problem
 * decorations give Explorer rows (plain `errorForeground` is meant for text on the editor background
 * and reads poorly on a selected row). Success has a badge but no colour, so green does not flood a
 * folder of workflows that all ran.
 */
const LOOKS: Record<Exclude<LastRunStatus, 'cancelled'>, { badge: string; color?: string }> = {
  waiting: { badge: '●', color: 'charts.yellow' },
  running: { badge: '▶', color: 'charts.blue' },
  failed: { badge: '!', color: 'list.errorForeground' },
  succeeded: { badge: '✓' },
};

/** The decoration of a file whose latest run is `job`; undefined for a cancelled run. */
export function runDecoration(job: Job): vscode.FileDecoration | undefined {
  const status = lastRunStatus(job);
  if (status === 'cancelled') return undefined;
  const look = LOOKS[status];
  return new vscode.FileDecoration(
    look.badge,
    `ComfyUI Runner: last run ${lastRunSummary(job)}`,
    look.color ? new vscode.ThemeColor(look.color) : undefined,
  );
}

/** Decorates workflow files in the Explorer by their latest run. */
export class RunDecorationProvider implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly listening: vscode.Disposable;

  constructor(private readonly lastRuns: LastRuns) {
    this.listening = lastRuns.onDidChange((files) =>
      this.changed.fire(files?.map((f) => vscode.Uri.file(resolve(f)))),
    );
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== 'file') return undefined;
    const job = this.lastRuns.lastRunOf(uri.fsPath);
    return job && runDecoration(job);
  }

  dispose(): void {
    this.listening.dispose();
    this.changed.dispose();
  }
}
