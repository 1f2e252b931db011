/**
 * The lenses above a workflow's first line: Run, Run ×N…, Sweep… and Validate, and, once it has run,
 * how its latest run went ("last run: succeeded in 1.2 s, 3 outputs · open", which reveals the run
 * folder). Run lenses appear only in a trusted workspace; Validate runs nothing and is always there.
 */
import * as vscode from 'vscode';
import { lastRunSummary } from '../../core/run/lastRun';
import type { LastRuns } from './lastRuns';
import type { WorkflowFormats } from './workflowFormats';

const FIRST_LINE = new vscode.Range(0, 0, 0, 0);

/** The lens of the latest run of `doc`'s file, or undefined when it never ran. */
export function lastRunLens(
  doc: vscode.TextDocument,
  lastRuns: LastRuns,
  now = Date.now(),
): vscode.CodeLens | undefined {
  const job = lastRuns.lastRunOf(doc.uri.fsPath);
  if (!job) return undefined;
  const title = `last run: ${lastRunSummary(job, now)}`;
  // A queued job has no run folder yet: its lens is plain text (a command without an id).
  if (job.state === 'queued') return new vscode.CodeLens(FIRST_LINE, { title, command: '' });
  return new vscode.CodeLens(FIRST_LINE, {
    title: `${title} · open`,
    command: 'comfyuiRunner.revealOutputs',
    arguments: [job.id],
    tooltip: `Reveal the run folder ${job.outDir}`,
  });
}

/** The command lenses of a workflow document; without the run lenses when the workspace is not trusted. */
export function workflowLenses(doc: vscode.TextDocument, trusted: boolean): vscode.CodeLens[] {
  const lens = (title: string, command: string, tooltip: string) =>
    new vscode.CodeLens(FIRST_LINE, { title, command, tooltip, arguments: [doc.uri] });
  const run = trusted
    ? [
        lens('$(play) Run', 'comfyuiRunner.runWorkflow', 'Queue one run of this workflow'),
        lens('$(run-all) Run ×N…', 'comfyuiRunner.runWorkflowTimes', 'Queue this workflow several times'),
        lens(
          '$(settings-gear) Sweep…',
          'comfyuiRunner.runSweep',
          'Queue one run per combination of the values you choose',
        ),
      ]
    : [];
  return [
    ...run,
    lens('$(check) Validate', 'comfyuiRunner.validateWorkflow', 'List its problems in the Problems panel'),
    lens('$(preview) Runs', 'comfyuiRunner.openRunsPanel', 'Open the runs panel: progress, outputs, compare'),
  ];
}

/** Lenses for every workflow document; redrawn when a format, a latest run or the workspace's trust changes. */
export class WorkflowLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly listening: vscode.Disposable;

  constructor(
    private readonly formats: WorkflowFormats,
    private readonly lastRuns: LastRuns,
  ) {
    const redraw = () => this.changed.fire();
    this.listening = vscode.Disposable.from(
      formats.onDidChange(redraw),
      lastRuns.onDidChange(redraw),
      vscode.workspace.onDidGrantWorkspaceTrust(redraw),
    );
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.formats.formatOf(doc)) return [];
    const last = lastRunLens(doc, this.lastRuns);
    return [...workflowLenses(doc, vscode.workspace.isTrusted), ...(last ? [last] : [])];
  }

  dispose(): void {
    this.listening.dispose();
    this.changed.dispose();
  }
}
