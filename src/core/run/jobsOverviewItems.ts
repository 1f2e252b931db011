/**
 * What each item of the jobs overview (jobsOverview.ts) says: its label, the short description beside
 * it, the tooltip with the details (prompt id, timings, error), a key for its icon, and the tokens a UI
 * matches its actions on. Plain text, so any front end can show it; times are formatted from `now`.
 */
import type { RestartRecord } from '../jobs/job';
import { lastRunning, progressFraction } from '../protocol/promptProgress';
import type { JobsOverview } from './jobsOverview';
import type { BatchState, GroupList } from './jobsOverviewGroup';
import type { JobEntry, JobGroup, MoreNode, OverviewNode } from './jobsOverviewNodes';

/** What the icon of an item shows: a job's state (or that it is blocked or being cancelled), a group, a batch, more. */
export type OverviewIcon =
  JobEntry['job']['state'] | 'blocked' | 'cancelling' | `group-${JobGroup}` | `batch-${JobGroup}` | 'more';

/** An item as a UI draws it. */
export interface OverviewItem {
  /** Unique in the tree and stable across redraws. */
  id: string;
  label: string;
  description: string;
  tooltip: string;
  icon: OverviewIcon;
  /**
   * What the item is and which actions apply, as space-separated tokens: its kind and state first
   * (`job-failed`, `batch-queued`, `group-finished`, `more`), then `prompt` (it has a prompt id),
   * `outputs` (it has output files) and `record` (its run.json was written).
   */
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

const groupTitles: Record<JobGroup, string> = {
  running: 'Running',
  queued: 'Queued',
  finished: 'Finished',
  failed: 'Failed',
};

/** The item of `node`, its times counted to `now` (ms since the epoch). */
export function overviewItem(overview: JobsOverview, node: OverviewNode, now: number): OverviewItem {
  switch (node.kind) {
    case 'group':
      return groupItem(overview, overview.list(node.group));
    case 'batch': {
      const batch = overview.list(node.group).batch(node.batchId);
      return batchItem(node.group, node.batchId, batch);
    }
    case 'more':
      return moreItem(overview, node);
    case 'job': {
      const entry = overview.entry(node.jobId);
      if (!entry) return goneItem(node.jobId);
      return jobItem(entry, overview.list(entry.group).positionOf(entry.node.jobId), overview, now);
    }
  }
}

function groupItem(overview: JobsOverview, list: GroupList): OverviewItem {
  const count = list.size.toLocaleString('en-US');
  const paused = list.group === 'queued' && overview.paused;
  return {
    id: `group:${list.group}`,
    label: groupTitles[list.group],
    description: paused ? `${count} · paused` : count,
    tooltip: paused
      ? `${count} queued; the queue is paused`
      : `${count} ${groupTitles[list.group].toLowerCase()}`,
    icon: `group-${list.group}`,
    contextValue: `group-${list.group}`,
    collapsible: list.size === 0 ? 'none' : list.group === 'finished' ? 'collapsed' : 'expanded',
  };
}

function batchItem(group: JobGroup, batchId: string, batch: BatchState | undefined): OverviewItem {
  const count = batch?.count ?? 0;
  const size = batch?.size ?? 0;
  return {
    id: `batch:${group}:${batchId}`,
    label: batch?.name ?? 'batch',
    description: `${count} of ${size} runs`,
    tooltip: `${batch?.name ?? 'A batch'}: a batch of ${size} runs, ${count} ${groupTitles[group].toLowerCase()}`,
    icon: `batch-${group}`,
    contextValue: `batch-${group}`,
    collapsible: group === 'running' ? 'expanded' : 'collapsed',
  };
}

function moreItem(overview: JobsOverview, node: MoreNode): OverviewItem {
  const parent = node.parent;
  const list = overview.list(parent.group);
  const hidden = parent.kind === 'group' ? list.hidden : (list.batch(parent.batchId)?.hidden ?? 0);
  const parentId =
    parent.kind === 'group' ? `group:${parent.group}` : `batch:${parent.group}:${parent.batchId}`;
  return {
    id: `more:${parentId}`,
    label: `Show ${Math.min(hidden, overview.pageSize).toLocaleString('en-US')} more`,
    description: `${hidden.toLocaleString('en-US')} not shown`,
    tooltip: `${hidden.toLocaleString('en-US')} more jobs`,
    icon: 'more',
    contextValue: 'more',
    collapsible: 'none',
  };
}

function goneItem(jobId: string): OverviewItem {
  return {
    id: `job:${jobId}`,
    label: jobId,
    description: '',
    tooltip: '',
    icon: 'lost',
    contextValue: 'job-gone',
    collapsible: 'none',
  };
}

function jobItem(
  entry: JobEntry,
  position: number | undefined,
  overview: JobsOverview,
  now: number,
): OverviewItem {
  const { job } = entry;
  const inBatch = entry.batchId !== undefined;
  const label =
    entry.partLabel ??
    (inBatch ? entry.label || entry.name : [entry.name, entry.label].filter(Boolean).join(' '));
  const tokens = [`job-${job.state}`];
  if (entry.parts) tokens.push('split');
  if (job.promptId) tokens.push('prompt');
  if (job.outputs.length > 0) tokens.push('outputs');
  if (job.times.finished !== undefined && job.times.dispatched !== undefined) tokens.push('record');
  return {
    id: `job:${job.id}`,
    label,
    description: jobDescription(entry, position, overview, now),
    tooltip: jobTooltip(entry, label, now),
    icon: entry.cancelling
      ? 'cancelling'
      : job.state === 'queued' && job.blockedReason
        ? 'blocked'
        : job.state,
    contextValue: tokens.join(' '),
    collapsible: !entry.parts ? 'none' : entry.group === 'running' ? 'expanded' : 'collapsed',
  };
}

/** The line beside a job: where it stands, at a glance. */
export function jobDescription(
  entry: JobEntry,
  position: number | undefined,
  overview: JobsOverview,
  now: number,
): string {
  const { job } = entry;
  const attempt = job.attempt > 1 ? [`attempt ${job.attempt}`] : [];
  // A split run says how many parts it went in, after the rest.
  const split = entry.parts ? [`${entry.parts.length} parts`] : [];
  const parts = (...more: (string | undefined)[]) =>
    [...attempt, ...more, ...split].filter((p): p is string => !!p).join(' · ');
  if (entry.cancelling) return parts('cancelling…', job.server);
  switch (job.state) {
    case 'queued': {
      if (job.blockedReason) return parts('no server can run it');
      const waiting = waitingFor(entry, overview);
      if (waiting > 0) return parts(`waiting for ${waiting} job${waiting === 1 ? '' : 's'}`);
      return parts(position === undefined ? 'queued' : `#${position + 1} in queue`);
    }
    case 'dispatching':
      return parts(`submitting to ${job.server ?? 'a server'}`);
    case 'running':
      return parts(...runningParts(entry, now), job.server);
    case 'succeeded':
      return parts(ranFor(entry), outputsText(job.outputs.length), job.server);
    case 'cancelled': {
      // A part of a split run stopped because a sibling failed says which one.
      const by = job.error?.reason === 'split_stopped' ? job.error.stoppedBy : undefined;
      return parts(by ? `stopped: part ${by.index} failed` : 'cancelled', job.server);
    }
    case 'failed':
    case 'lost':
      return parts(firstLine(job.error?.message) ?? job.state, job.server);
  }
}

function runningParts(entry: JobEntry, now: number): string[] {
  const p = entry.progress;
  const parts: string[] = [];
  if (p) {
    parts.push(`${Math.floor(progressFraction(p) * 100)}%`);
    const node = lastRunning(p);
    if (node !== undefined) {
      const steps = p.running[node];
      const name = entry.nodeNames?.[node] ?? `node ${node}`;
      parts.push(steps && steps.max > 1 ? `${name} ${steps.value}/${steps.max}` : name);
    }
  }
  const since = entry.job.times.started ?? entry.job.times.dispatched;
  if (since !== undefined) parts.push(formatDuration(now - since));
  return parts;
}

/** How many of the jobs it depends on have not succeeded yet. */
function waitingFor(entry: JobEntry, overview: JobsOverview): number {
  return (entry.job.dependsOn ?? []).filter((id) => overview.entry(id)?.job.state !== 'succeeded').length;
}

function ranFor(entry: JobEntry): string | undefined {
  const { started, dispatched, finished } = entry.job.times;
  const from = started ?? dispatched;
  return from !== undefined && finished !== undefined ? formatDuration(finished - from) : undefined;
}

function outputsText(n: number): string | undefined {
  return n === 0 ? undefined : `${n} output${n === 1 ? '' : 's'}`;
}

function firstLine(text: string | undefined): string | undefined {
  return text?.split('\n', 1)[0];
}

/** The tooltip of a job: every detail, one per line. */
export function jobTooltip(entry: JobEntry, label: string, now: number): string {
  const { job } = entry;
  const t = job.times;
  const lines = [label || entry.name, `State: ${job.state}${entry.cancelling ? ' (cancelling)' : ''}`];
  const add = (name: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') lines.push(`${name}: ${value}`);
  };
  add('Workflow', job.workflow.file);
  add('Server', job.server);
  add('Prompt id', job.promptId);
  add(entry.parts ? 'Run id' : 'Job id', job.id);
  if (entry.parts) add('Split', `${entry.parts.length} parts, each its own prompt, run side by side`);
  if (job.split && entry.splitId !== undefined)
    add(
      'Part',
      `${job.split.index} of ${job.split.size} of run ${job.split.id} (outputs ${job.split.outputs.join(', ')})`,
    );
  if (job.batch && job.batch.size > 1) add('Batch', `run ${job.batch.index} of ${job.batch.size}`);
  if (job.attempt > 1) add('Attempt', `${job.attempt}${job.retryOf ? ` (retry of ${job.retryOf})` : ''}`);
  add('Queued', formatClock(t.queued));
  add('Started', t.started !== undefined ? formatClock(t.started) : undefined);
  add('Finished', t.finished !== undefined ? formatClock(t.finished) : undefined);
  if (t.finished === undefined && (t.started ?? t.dispatched) !== undefined)
    add('Elapsed', formatDuration(now - (t.started ?? t.dispatched)!));
  add('Ran for', ranFor(entry));
  if (entry.progress) add('Nodes', progressLine(entry));
  add('Outputs', job.outputs.length > 0 ? `${job.outputs.length} in ${job.outDir}` : undefined);
  add('Blocked', job.blockedReason);
  (job.restarts ?? []).forEach((r, i) => add('Restarted', restartText(r, i + 1)));
  if (job.error) add('Error', errorLine(job.error));
  for (const w of job.warnings) add('Warning', w);
  return lines.join('\n');
}

function progressLine(entry: JobEntry): string {
  const p = entry.progress!;
  return `${p.done} done, ${p.cached} cached, of ${p.total}`;
}

function errorLine(error: NonNullable<JobEntry['job']['error']>): string {
  const where = [error.node_id && `node ${error.node_id}`, error.node_type, error.exception_type].filter(
    Boolean,
  );
  return where.length > 0 ? `${error.message} (${where.join(', ')})` : error.message;
}

/**
 * What the user reads about a run cut short, the `n`th (from 1): `run 2 of this job: the runner stopped
 * during the run on embedded (started 12:02:58), taken back at 12:03:04`.
 */
export function restartText(restart: RestartRecord, n: number): string {
  const started = restart.started === undefined ? '' : ` (started ${formatClock(restart.started)})`;
  const when = `${restart.message} on ${restart.target}${started}`;
  return `run ${n + 1} of this job: ${when}, taken back at ${formatClock(restart.at)}`;
}

/** A duration as `850 ms`, `12.3 s`, `4 min 05 s` or `2 h 03 min`. */
export function formatDuration(ms: number): string {
  const d = Math.max(0, ms);
  if (d < 1_000) return `${Math.round(d)} ms`;
  if (d < 60_000) return `${(d / 1_000).toFixed(1)} s`;
  const s = Math.floor(d / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3_600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
}

/** A time of day as `HH:MM:SS` in local time. */
export function formatClock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
