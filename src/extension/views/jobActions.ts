/**
 * The actions of the Jobs tree, each a small function over the runner: cancel, retry, move in the queue,
 * open the run record, copy the prompt id, refresh, show more. Each takes what VS Code passes: the item
 * clicked and the items selected (the tree allows selecting many), or a job id. Reveal Outputs is the
 * queue commands' (queueCommands.ts), which takes a job item as these do (its `jobId`).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { onePerSplitRun, type Job } from '../../core/jobs/job';
import type { QueueMove } from '../../core/scheduler/jobQueue';
import { isRunnerError } from '../../core/util/runnerError';
import type { ContainerNode, OverviewNode } from '../../core/run/jobsOverviewNodes';
import { trustedOrSay } from '../runCommands';
import type { RunnerHost } from '../runnerHost';
import type { JobsTreeProvider } from './jobsTree';

/** What every action is given. */
export interface JobActionContext {
  readonly host: RunnerHost;
  readonly tree: JobsTreeProvider;
}

/** An action; `args` are what VS Code passes. */
export type JobAction = (ctx: JobActionContext, ...args: unknown[]) => Promise<void>;

const active = new Set(['queued', 'dispatching', 'running']);
const retryable = new Set(['failed', 'cancelled', 'lost']);

function isNode(value: unknown): value is OverviewNode {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

/** The items an action is about: the selection when the clicked item is in it, else the clicked item. */
function nodesOf(args: readonly unknown[]): (OverviewNode | string)[] {
  const [clicked, selected] = args;
  if (Array.isArray(selected) && selected.includes(clicked)) return selected.filter(isNode);
  if (typeof clicked === 'string') return [clicked];
  if (isNode(clicked)) return [clicked];
  if (
    typeof clicked === 'object' &&
    clicked !== null &&
    typeof (clicked as { jobId?: unknown }).jobId === 'string'
  )
    return [(clicked as { jobId: string }).jobId];
  return [];
}

/**
 * The job ids an action is about, each once, in order: a batch or group stands for its jobs, a split
 * run (its item or its id) for its parts.
 */
export function jobIdsOf(ctx: JobActionContext, args: readonly unknown[]): string[] {
  const { overview } = ctx.tree;
  const idsOf = (id: string) => {
    const under = overview.jobsOf(id);
    return under.length > 0 ? under : [id];
  };
  const ids = nodesOf(args).flatMap((n) => (typeof n === 'string' ? idsOf(n) : overview.jobsUnder(n)));
  return [...new Set(ids)];
}

/** The current record of a job: the runner's, else the one the tree shows. */
function jobOf(ctx: JobActionContext, id: string): Job | Omit<Job, 'prompt'> | undefined {
  return ctx.host.current?.job(id) ?? ctx.tree.overview.entry(id)?.job;
}

function say(text: string): void {
  void vscode.window.showInformationMessage(`ComfyUI Runner: ${text}`);
}

/** Cancels the jobs (on their servers too) that have not ended. */
export async function cancelJobs(ctx: JobActionContext, ...args: unknown[]): Promise<void> {
  const runner = ctx.host.current;
  if (!runner) return askOwner(ctx, 'cancel', args, active);
  for (const id of jobIdsOf(ctx, args)) {
    if (!active.has(jobOf(ctx, id)?.state ?? '')) continue;
    if (runner.cancel(id)) ctx.tree.overview.noteCancelling(id);
  }
  ctx.tree.schedule();
}

/** Runs the failed, cancelled or lost jobs again, each as a new attempt; never in an untrusted workspace. */
export async function retryJobs(ctx: JobActionContext, ...args: unknown[]): Promise<void> {
  const runner = ctx.host.current;
  if (!trustedOrSay()) return;
  if (!runner) return askOwner(ctx, 'retry', args, retryable);
  const failures: string[] = [];
  for (const id of retryIdsOf(ctx, args)) {
    try {
      runner.retry(id);
    } catch (e) {
      if (!isRunnerError(e)) throw e;
      failures.push(e.message);
    }
  }
  if (failures.length > 0) void vscode.window.showErrorMessage(`ComfyUI Runner: ${failures.join('; ')}`);
}

/** The retryable jobs an action is about, one per split run (a retry of a part is the whole run again). */
function retryIdsOf(ctx: JobActionContext, args: readonly unknown[]): string[] {
  const jobs = jobIdsOf(ctx, args).flatMap((id) => jobOf(ctx, id) ?? []);
  return onePerSplitRun(jobs.filter((j) => retryable.has(j.state)));
}

/**
 * Asks the process that owns the followed store to cancel or retry the jobs it can, one request each,
 * and says what it answered when it refused.
 */
async function askOwner(
  ctx: JobActionContext,
  op: 'cancel' | 'retry',
  args: readonly unknown[],
  states: ReadonlySet<string>,
): Promise<void> {
  const watch = ctx.host.watched;
  if (!watch) return;
  const ids =
    op === 'retry'
      ? retryIdsOf(ctx, args)
      : jobIdsOf(ctx, args).filter((id) => states.has(jobOf(ctx, id)?.state ?? ''));
  const answers = await Promise.all(
    ids.map((id) =>
      watch.request(op, id).catch((e: unknown) => ({
        ok: false,
        message: `no answer from the process that runs the store (${e instanceof Error ? e.message : String(e)})`,
      })),
    ),
  );
  const refused = answers.filter((a) => !a.ok).map((a) => a.message);
  if (refused.length > 0) void vscode.window.showErrorMessage(`ComfyUI Runner: ${refused.join('; ')}`);
}

/** Moves queued jobs; several moved down or to the front start with the lowest, so they keep their order. */
async function move(ctx: JobActionContext, where: QueueMove, args: readonly unknown[]): Promise<void> {
  const runner = ctx.host.current;
  if (!runner) return;
  const ids = jobIdsOf(ctx, args).filter((id) => jobOf(ctx, id)?.state === 'queued');
  const queue = ctx.tree.overview.list('queued');
  ids.sort((a, b) => (queue.positionOf(a) ?? 0) - (queue.positionOf(b) ?? 0));
  if (where === 'down' || where === 'toTop') ids.reverse();
  for (const id of ids) runner.reorder(id, where);
}

export const moveJobsUp: JobAction = (ctx, ...args) => move(ctx, 'up', args);
export const moveJobsDown: JobAction = (ctx, ...args) => move(ctx, 'down', args);
export const moveJobsToFront: JobAction = (ctx, ...args) => move(ctx, 'toTop', args);

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Opens the first job's `run.json` in an editor. */
export async function openRunRecord(ctx: JobActionContext, ...args: unknown[]): Promise<void> {
  const [id] = jobIdsOf(ctx, args);
  const job = id === undefined ? undefined : jobOf(ctx, id);
  if (!job) return;
  const file = join(job.outDir, 'run.json');
  if (!(await exists(file))) return say(`job ${job.id} has no run record (yet): ${file}`);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}

/** Copies the prompt ids of the jobs, one a line. */
export async function copyPromptIds(ctx: JobActionContext, ...args: unknown[]): Promise<void> {
  const ids = jobIdsOf(ctx, args).flatMap((id) => jobOf(ctx, id)?.promptId ?? []);
  if (ids.length === 0) return say('no prompt id: the job has not been sent to a server');
  await vscode.env.clipboard.writeText(ids.join('\n'));
  say(ids.length === 1 ? `copied prompt id ${ids[0]}` : `copied ${ids.length} prompt ids`);
}

/** Reads every job again from the runner. */
export async function refreshJobs(ctx: JobActionContext): Promise<void> {
  ctx.tree.reload();
}

/** Shows the next page of a group or batch. */
export async function showMoreJobs(ctx: JobActionContext, ...args: unknown[]): Promise<void> {
  const [more] = args;
  if (!isNode(more) || more.kind !== 'more') return;
  ctx.tree.overview.showMore(more.parent as ContainerNode);
  ctx.tree.flush();
}

/** The Jobs tree's command ids and their actions; each is contributed in package.json. */
export const jobCommands: Record<string, JobAction> = {
  'comfyuiRunner.cancelJob': cancelJobs,
  'comfyuiRunner.retryJob': retryJobs,
  'comfyuiRunner.moveJobUp': moveJobsUp,
  'comfyuiRunner.moveJobDown': moveJobsDown,
  'comfyuiRunner.moveJobToFront': moveJobsToFront,
  'comfyuiRunner.openRunRecord': openRunRecord,
  'comfyuiRunner.copyPromptId': copyPromptIds,
  'comfyuiRunner.refreshJobs': refreshJobs,
  'comfyuiRunner.showMoreJobs': showMoreJobs,
};
