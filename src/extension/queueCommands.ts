/**
 * The queue as a whole from the palette: cancel every queued job, retry every failed one, pause and
 * resume dispatching, retry a job on a server the user picks, and show the log.
 */
import * as vscode from 'vscode';
import { onePerSplitRun } from '../core/jobs/job';
import { terminalStates } from '../core/jobs/jobState';
import type { CommandContext } from './commandContext';
import { trustedOrSay } from './runCommands';

/** The open runner, or undefined after saying nothing runs yet. */
function openRunner(ctx: CommandContext) {
  const runner = ctx.host.current;
  if (!runner)
    void vscode.window.showInformationMessage('ComfyUI Runner: no job has run in this window yet.');
  return runner;
}

/** Cancels every job that waits in the queue; running jobs go on. */
export async function cancelAllQueued(ctx: CommandContext): Promise<void> {
  const runner = openRunner(ctx);
  if (!runner) return;
  const queued = runner.snapshot().jobs.filter((j) => j.job.state === 'queued');
  for (const j of queued) runner.cancel(j.job.id);
  void vscode.window.showInformationMessage(`ComfyUI Runner: cancelled ${queued.length} queued job(s).`);
}

/** Runs every failed or lost job again, each as a new attempt of its own. */
export async function retryAllFailed(ctx: CommandContext): Promise<void> {
  if (!trustedOrSay()) return;
  const runner = openRunner(ctx);
  if (!runner) return;
  const jobs = runner.snapshot().jobs.map((j) => j.job);
  const retried = new Set(jobs.flatMap((j) => (j.retryOf ? [j.retryOf] : [])));
  const failed = jobs.filter((j) => (j.state === 'failed' || j.state === 'lost') && !retried.has(j.id));
  // A split run is retried once, whole, however many of its parts failed.
  const ids = onePerSplitRun(failed);
  for (const id of ids) runner.retry(id);
  void vscode.window.showInformationMessage(`ComfyUI Runner: retrying ${ids.length} job(s).`);
}

/** Stops dispatching new jobs; jobs on servers go on. */
export async function pauseQueue(ctx: CommandContext): Promise<void> {
  openRunner(ctx)?.pause();
}

/** Dispatches queued jobs again. */
export async function resumeQueue(ctx: CommandContext): Promise<void> {
  if (!trustedOrSay()) return;
  openRunner(ctx)?.resume();
}

/** The id a command is about: a string, or a tree item's job. */
export function jobIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const item = arg as { jobId?: unknown; job?: { id?: unknown } } | undefined;
  if (typeof item?.jobId === 'string') return item.jobId;
  return typeof item?.job?.id === 'string' ? item.job.id : undefined;
}

/** Retries a failed, cancelled or lost job on a server the user picks. */
export async function retryJobOnAnotherServer(ctx: CommandContext, arg?: unknown): Promise<void> {
  if (!trustedOrSay()) return;
  const runner = openRunner(ctx);
  if (!runner) return;
  const snapshot = runner.snapshot();
  let id = jobIdOf(arg);
  if (!id) {
    const ended = snapshot.jobs.filter((j) => terminalStates.has(j.job.state) && j.job.state !== 'succeeded');
    const picked = await vscode.window.showQuickPick(
      ended.map((j) => ({
        label: j.job.workflow.file,
        description: `${j.job.state} on ${j.job.server ?? '-'}`,
        id: j.job.id,
      })),
      { title: 'Retry Job on Another Server: which job?' },
    );
    id = picked?.id;
  }
  if (!id) return;
  const job = runner.job(id);
  const targets = snapshot.targets.filter((t) => t.name !== job?.server);
  const target = await vscode.window.showQuickPick(
    targets.map((t) => ({ label: t.name, description: t.health })),
    { title: 'Retry on which server?' },
  );
  if (!target) return;
  try {
    runner.retry(id, { target: target.label });
  } catch (e) {
    void vscode.window.showErrorMessage(`ComfyUI Runner: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Shows the log output channel. */
export async function showLog(ctx: CommandContext): Promise<void> {
  ctx.log.show();
}

/** Shows a job's run folder in the operating system's file manager. */
export async function revealOutputs(ctx: CommandContext, arg?: unknown): Promise<void> {
  const id = jobIdOf(arg);
  const runner = id ? (ctx.host.current ?? (await ctx.host.ensure())) : undefined;
  // A split run's item names the run; its parts share one folder.
  const job = id ? (runner?.job(id) ?? runner?.splitParts(id)[0]) : undefined;
  if (!job) {
    void vscode.window.showWarningMessage('ComfyUI Runner: no such job in this workspace.');
    return;
  }
  await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(job.outDir));
}
