/**
 * Notifications when a job fails or a batch (a run of N, a sweep) finishes, with Open and Retry; the
 * `comfyuiRunner.outputs.notifications` setting turns them off.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Job } from '../core/jobs/job';
import { terminalStates } from '../core/jobs/jobState';
import { jobLabel } from '../core/run/jobLabel';
import type { Runner } from '../core/run/runner';
import { SECTION } from './settings';

const enabled = () => vscode.workspace.getConfiguration(SECTION).get<boolean>('outputs.notifications', true);

/** The name of a job as a notification says it. */
function nameOf(job: Job): string {
  const label = jobLabel(job);
  const file = job.workflow.file.split(/[\\/]/).pop() ?? job.workflow.file;
  return label ? `${file} ${label}` : file;
}

/** Opens a job's run record. */
async function openRecord(job: Job): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(join(job.outDir, 'run.json')));
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** Tells the user of failures and finished batches of `runner`; returns the function that stops it. */
export function notifyOutcomes(runner: Runner): () => void {
  // Per batch, counted from events: a snapshot of every job per ended job would cost O(jobs) each time.
  const batches = new Map<string, { ended: number; succeeded: number }>();
  return runner.subscribe((event) => {
    if (event.type !== 'job/state' || !terminalStates.has(event.to)) return;
    const job = event.job;
    if (enabled() && (event.to === 'failed' || event.to === 'lost')) {
      const message = `ComfyUI Runner: ${nameOf(job)} ${event.to}: ${job.error?.message.split('\n')[0] ?? ''}`;
      void vscode.window.showErrorMessage(message, 'Open', 'Retry').then((choice) => {
        if (choice === 'Open') return openRecord(job);
        if (choice === 'Retry') runner.retry(job.id);
      });
    }
    const batch = job.batch;
    if (!batch || batch.size < 2) return;
    const count = batches.get(batch.id) ?? { ended: 0, succeeded: 0 };
    batches.set(batch.id, count);
    count.ended++;
    if (event.to === 'succeeded') count.succeeded++;
    if (count.ended < batch.size) return;
    batches.delete(batch.id);
    if (!enabled()) return;
    const file = job.workflow.file.split(/[\\/]/).pop();
    const text = `ComfyUI Runner: ${file}: ${count.succeeded} of ${batch.size} runs succeeded.`;
    void vscode.window.showInformationMessage(text, 'Open').then((choice) => {
      if (choice === 'Open')
        void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(job.outDir));
    });
  });
}
