/**
 * What activation does for the runs panel, and no more: register the serializer that brings panels
 * back after a window reload, and open panels on run once the runner is open. Both call into the heavy
 * half (loadCore) only when there is something to do.
 */
import * as vscode from 'vscode';
import type { CommandContext } from '../commandContext';
import { loadCore } from '../loadCore';

/** The panel's view type; the same as runsPanels.ts RUNS_PANEL_VIEW. */
const VIEW_TYPE = 'comfyuiRunner.runsPanel';

/** Registers the runs panel's serializer and its open-on-run; returns what to dispose. */
export function registerRunsPanel(ctx: CommandContext, extensionUri: vscode.Uri): vscode.Disposable {
  let stopOpening: (() => void) | undefined;
  return vscode.Disposable.from(
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => loadCore().restoreRunsPanel(ctx, extensionUri, panel, state),
    }),
    ctx.host.onDidOpen((runner) => {
      stopOpening?.();
      stopOpening = loadCore().openPanelsOnRun(ctx, extensionUri, runner);
    }),
    { dispose: () => stopOpening?.() },
  );
}
