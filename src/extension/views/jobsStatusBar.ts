/**
 * The status bar item with the jobs running and queued, hidden while nothing runs or waits; clicking it
 * opens the Jobs view.
 */
import * as vscode from 'vscode';
import type { JobGroup } from '../../core/run/jobsOverviewNodes';

/** The command VS Code makes for focusing the Jobs view. */
const FOCUS_JOBS = 'comfyuiRunner.jobs.focus';

/** What the status bar shows for these counts; undefined when it hides. */
export function statusText(counts: Record<JobGroup, number>, paused: boolean): string | undefined {
  const { running, queued } = counts;
  if (running === 0 && queued === 0) return undefined;
  const icon = running > 0 ? '$(sync~spin)' : paused ? '$(debug-pause)' : '$(clock)';
  const parts = [
    running > 0 && `${running} running`,
    queued > 0 && `${queued.toLocaleString('en-US')} queued`,
  ];
  return `${icon} ${parts.filter(Boolean).join(', ')}${paused ? ' (paused)' : ''}`;
}

/** The status bar item; update it with each group's counts. */
export function createJobsStatusBar(): vscode.StatusBarItem & {
  update(counts: Record<JobGroup, number>, paused: boolean): void;
} {
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  item.name = 'ComfyUI Runner jobs';
  item.command = FOCUS_JOBS;
  return Object.assign(item, {
    update(counts: Record<JobGroup, number>, paused: boolean) {
      const text = statusText(counts, paused);
      if (text === undefined) return item.hide();
      item.text = text;
      item.tooltip = `ComfyUI Runner: ${counts.running} running, ${counts.queued} queued. Show the jobs.`;
      item.show();
    },
  });
}
