/**
 * A runner's jobs as a list UI shows them (the editor's Jobs tree), kept from one snapshot and the
 * events after it: four groups (Running, Queued, Finished, Failed), the jobs of one batch (a run of N, a
 * sweep) folded into one item per group, long groups shown a page at a time, and, for each batch of
 * events, exactly which items changed, so a UI redraws those and nothing else.
 *
 * A run split by branch across servers is one item, standing where a job would, with its parts as its
 * children (jobsOverviewSplit.ts); the group it is in follows the state of its parts taken together.
 *
 * Which group a state belongs to: `dispatching` and `running` are Running; `succeeded` and `cancelled`
 * are Finished (a cancellation is the user's own doing, not something to look into, and has its own
 * icon); `failed` and `lost` are Failed, so the Failed count is what needs attention.
 *
 * Items are small objects with a stable identity (one per job, group, batch-in-group and page link), as
 * a tree UI needs to match a change to what it shows. A change is reported on the smallest item that
 * covers it: a job whose progress moved is that job's item; a group whose members or count changed is
 * the group (which covers its batches and jobs); the root only when the first job arrives or on reset.
 */
import { basename } from 'node:path';
import type { Job } from '../jobs/job';
import type { JobView } from '../scheduler/schedulerView';
import { jobLabel } from './jobLabel';
import { GroupList } from './jobsOverviewGroup';
import { partLabel, refreshRun, snapshotRuns, splitEntry } from './jobsOverviewSplit';
import {
  groupOf,
  jobGroups,
  type ContainerNode,
  type GroupNode,
  type JobEntry,
  type JobGroup,
  type JobNode,
  type OverviewNode,
  type SlimJob,
} from './jobsOverviewNodes';
import type { RunnerEvent } from './runner';

/** What changed since the last {@link JobsOverview.takeChanges}. */
export interface OverviewChanges {
  /** Everything: the root's children changed (the first job arrived, a reset). */
  root: boolean;
  /** The items to draw again; none of them lies inside another. Empty when `root`. */
  nodes: OverviewNode[];
}

/** Options of {@link JobsOverview}. */
export interface JobsOverviewOptions {
  /**
   * How many items a group or batch shows before its "show more" link, and how many more each click shows.
   * @default 200
   */
  readonly pageSize?: number;
}

/** What {@link JobsOverview.reset} is given: a runner snapshot, or any part of one with the jobs. */
export interface OverviewSnapshot {
  readonly jobs: readonly JobView[];
  readonly paused?: boolean;
}

/** The overview; see the file comment. */
export class JobsOverview {
  /** How many items a container shows per page. */
  readonly pageSize: number;
  private readonly entries = new Map<string, JobEntry>();
  /** The split runs' own entries, by run id; their parts are in `entries`. */
  private readonly splits = new Map<string, JobEntry>();
  private readonly groups: ReadonlyMap<JobGroup, GroupList>;
  private readonly dirty = new Set<OverviewNode>();
  private rootDirty = false;
  private isPaused = false;

  constructor(options: JobsOverviewOptions = {}) {
    this.pageSize = Math.max(1, options.pageSize ?? 200);
    const entryOf = (id: string) => (this.entries.get(id) ?? this.splits.get(id))!;
    const changed = (node: OverviewNode) => this.dirty.add(node);
    this.groups = new Map(jobGroups.map((g) => [g, new GroupList(g, this.pageSize, entryOf, changed)]));
  }

  /** Starts again from a snapshot; everything changed. */
  reset(snapshot: OverviewSnapshot): void {
    this.entries.clear();
    this.splits.clear();
    for (const list of this.groups.values()) list.clear();
    this.dirty.clear();
    this.rootDirty = true;
    this.isPaused = snapshot.paused ?? false;
    for (const view of snapshot.jobs) {
      const entry = this.entryOf(view.job);
      if (entry.group === 'running') entry.progress = view.progress;
      if (view.cancelling) entry.cancelling = true;
      this.entries.set(entry.node.jobId, entry);
    }
    const { views, runs } = snapshotRuns(snapshot.jobs, (id) => this.entries.get(id)!);
    for (const run of runs) this.splits.set(run.node.jobId, run);
    // Queued jobs in queue order; one without a place (the snapshot raced its dispatch) goes last.
    this.list('queued').restore(sortedBy(views, 'queued', (_, v) => v.position ?? Infinity));
    this.list('running').restore(sortedBy(views, 'running', (j) => j.times.dispatched ?? j.times.queued));
    for (const g of ['finished', 'failed'] as const)
      this.list(g).restore(sortedBy(views, g, (j) => j.times.finished ?? j.times.queued));
  }

  /** Takes one runner event into account. Events about servers and ComfyUI's own messages change nothing. */
  apply(event: RunnerEvent): void {
    switch (event.type) {
      case 'job/added':
        return this.added(event.job);
      case 'job/state':
        return this.moved(event.job);
      case 'job/progress':
        return this.updateRunning(event.jobId, (e) => (e.progress = event.progress));
      case 'job/moved':
        if (this.entries.get(event.jobId)?.splitId !== undefined) return;
        return this.reordered(event.jobId, event.priority, event.position);
      case 'job/blocked':
        return this.update(event.jobId, (e) => (e.job.blockedReason = event.reason));
      case 'job/unblocked':
        return this.update(event.jobId, (e) => delete e.job.blockedReason);
      case 'job/warning':
        return this.update(event.jobId, (e) => e.job.warnings.push(event.message));
      case 'job/outputs':
        // A part of a split run: its outputs moved into the run folder once every part had ended.
        return this.update(event.jobId, (e) => (e.job.outputs = event.job.outputs));
      case 'job/autoRetry':
        return this.update(
          event.jobId,
          (e) => (e.job.autoRetries = [...(e.job.autoRetries ?? []), event.retry]),
        );
      case 'scheduler/changed':
        if (event.paused !== this.isPaused) this.dirty.add(this.list('queued').node);
        this.isPaused = event.paused;
        return;
      default:
        return;
    }
  }

  /** Marks a job as being cancelled until its server confirms (the UI asked the runner to cancel it). */
  noteCancelling(jobId: string): void {
    for (const id of this.splits.get(jobId)?.parts ?? [jobId])
      this.update(id, (e) => {
        if (e.group === 'running' || e.group === 'queued') e.cancelling = true;
      });
  }

  /** Marks every job on a server changed, so their elapsed times are drawn again. */
  touchRunning(): void {
    for (const id of this.list('running').ids()) {
      this.dirty.add(this.entryOfId(id)!.node);
      for (const part of this.splits.get(id)?.parts ?? []) this.dirty.add(this.entries.get(part)!.node);
    }
  }

  /** Shows one more page of a group or batch. */
  showMore(container: ContainerNode): void {
    const list = this.list(container.group);
    if (container.kind === 'group') list.shown += this.pageSize;
    else list.batch(container.batchId)?.showMore(this.pageSize);
    this.dirty.add(container);
  }

  /** What changed since the last call, then forgets it; see {@link OverviewChanges}. */
  takeChanges(): OverviewChanges {
    const root = this.rootDirty;
    const nodes = root ? [] : [...this.dirty].filter((n) => !this.insideDirty(n));
    this.rootDirty = false;
    this.dirty.clear();
    return { root, nodes };
  }

  /** The groups; none before the first job. */
  roots(): GroupNode[] {
    return this.entries.size === 0 ? [] : jobGroups.map((g) => this.list(g).node);
  }

  /** An item's children, a page at a time, with the "show more" link last when there are more. */
  children(node?: OverviewNode): OverviewNode[] {
    if (node === undefined) return this.roots();
    if (node.kind === 'group') return this.list(node.group).children();
    if (node.kind === 'batch') return this.list(node.group).batchChildren(node.batchId);
    if (node.kind === 'job')
      return (this.splits.get(node.jobId)?.parts ?? []).map((id) => this.entries.get(id)!.node);
    return [];
  }

  /** An item's parent; undefined for a group. */
  parent(node: OverviewNode): OverviewNode | undefined {
    switch (node.kind) {
      case 'group':
        return undefined;
      case 'batch':
        return this.list(node.group).node;
      case 'more':
        return node.parent;
      case 'job': {
        const entry = this.entryOfId(node.jobId);
        if (entry?.splitId !== undefined) return this.splits.get(entry.splitId)?.node;
        return entry && this.list(entry.group).containerOf(entry);
      }
    }
  }

  /** One job's entry, or a split run's (made from its parts). */
  entry(jobId: string): JobEntry | undefined {
    return this.entryOfId(jobId);
  }

  /** The item of a job or split run, for a UI to reveal it. */
  nodeOf(jobId: string): JobNode | undefined {
    return this.entryOfId(jobId)?.node;
  }

  /**
   * The jobs an item stands for, in order: one job, a split run's parts, a batch's jobs in its group, or
   * a group's jobs (a split run's parts in its place).
   */
  jobsUnder(node: OverviewNode): string[] {
    if (node.kind === 'more') return [];
    if (node.kind === 'job') return this.jobsOf(node.jobId);
    const list = this.list(node.group);
    const ids =
      node.kind === 'group'
        ? list.ids()
        : list.ids().filter((id) => this.entryOfId(id)!.batchId === node.batchId);
    return ids.flatMap((id) => this.jobsOf(id));
  }

  /** The jobs an id stands for: a split run's parts, else the job itself when it is known. */
  jobsOf(id: string): string[] {
    const run = this.splits.get(id);
    if (run) return [...run.parts!];
    return this.entries.has(id) ? [id] : [];
  }

  /** How many jobs each group has. */
  counts(): Record<JobGroup, number> {
    const [running, queued, finished, failed] = jobGroups.map((g) => this.list(g).size);
    return { running, queued, finished, failed };
  }

  /** How many jobs there are in all. */
  get size(): number {
    return this.entries.size;
  }

  /** True while the queue is paused. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** A group's list, for the item texts. @internal */
  list(group: JobGroup): GroupList {
    return this.groups.get(group)!;
  }

  private entryOfId(id: string): JobEntry | undefined {
    return this.entries.get(id) ?? this.splits.get(id);
  }

  private added(job: Job): void {
    if (this.entries.has(job.id)) return this.moved(job);
    const entry = this.entryOf(job);
    this.entries.set(job.id, entry);
    if (this.entries.size === 1) this.rootDirty = true;
    if (entry.splitId === undefined) return this.list(entry.group).add(entry, 'last');
    const run = this.splits.get(entry.splitId);
    if (run) return this.partChanged(entry);
    const fresh = splitEntry(entry.splitId, [entry]);
    this.splits.set(entry.splitId, fresh);
    this.list(fresh.group).add(fresh, 'last');
  }

  /** A part changed: its item, and its run (its figures, and its group when the run moved). */
  private partChanged(part: JobEntry): void {
    this.dirty.add(part.node);
    const run = this.splits.get(part.splitId!);
    if (!run) return;
    const from = run.group;
    refreshRun(run, part, (id) => this.entries.get(id)!);
    if (run.group === from) {
      this.dirty.add(run.node);
      return;
    }
    this.list(from).remove(run);
    this.list(run.group).add(run, 'last');
  }

  /** A job moved to another state: to another group, or to another state of its group. */
  private moved(job: Job): void {
    const entry = this.entries.get(job.id);
    if (!entry) return this.added(job);
    const from = entry.group;
    const to = groupOf(job.state);
    entry.job = slim(job);
    delete entry.cancelling;
    if (to === 'running') entry.nodeNames ??= nodeNamesOf(job);
    if (entry.splitId !== undefined) {
      if (to !== 'running') {
        delete entry.progress;
        delete entry.nodeNames;
      }
      entry.group = to;
      return this.partChanged(entry);
    }
    if (from === to) {
      this.dirty.add(entry.node);
      return;
    }
    this.list(from).remove(entry);
    if (to !== 'running') {
      delete entry.progress;
      delete entry.nodeNames;
    }
    entry.group = to;
    // A job back in the queue (its submission is retried) goes before the others of its priority.
    this.list(to).add(entry, 'first');
  }

  private reordered(jobId: string, priority: number, position: number): void {
    const entry = this.entries.get(jobId);
    if (!entry || entry.group !== 'queued') return;
    entry.job.priority = priority;
    this.list('queued').moveTo(entry, position);
  }

  private update(jobId: string, change: (entry: JobEntry) => void): void {
    const entry = this.entries.get(jobId);
    if (!entry) return;
    change(entry);
    if (entry.splitId !== undefined) return this.partChanged(entry);
    this.dirty.add(entry.node);
  }

  private updateRunning(jobId: string, change: (entry: JobEntry) => void): void {
    if (this.entries.get(jobId)?.group === 'running') this.update(jobId, change);
  }

  private entryOf(job: Job): JobEntry {
    const split = job.split && job.split.size > 1 ? job.split : undefined;
    const batchId = !split && job.batch && job.batch.size > 1 ? job.batch.id : undefined;
    const entry: JobEntry = {
      node: { kind: 'job', jobId: job.id },
      job: slim(job),
      name: basename(job.workflow.file),
      label: jobLabel(job),
      nodeCount: Object.keys(job.prompt).length,
      batchId,
      group: groupOf(job.state),
      ...(split && { splitId: split.id, partLabel: partLabel(job, split) }),
    };
    if (entry.group === 'running') entry.nodeNames = nodeNamesOf(job);
    return entry;
  }

  /** True when an item lies inside another item that is drawn again anyway. */
  private insideDirty(node: OverviewNode): boolean {
    for (let p = this.parent(node); p; p = this.parent(p)) if (this.dirty.has(p)) return true;
    return false;
  }
}

/** The job without its prompt. */
function slim(job: Job): SlimJob {
  const { prompt: _prompt, extraPngInfo: _png, ...rest } = job;
  return rest;
}

/** Each node's title, else its class, for the "current node" of a running job. */
function nodeNamesOf(job: Job): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [id, node] of Object.entries(job.prompt)) names[id] = node._meta?.title ?? node.class_type;
  return names;
}

/** The snapshot's jobs of a group by `key`, smallest first, then in the order they were added. */
function sortedBy(
  views: readonly JobView[],
  group: JobGroup,
  key: (job: Job, view: JobView) => number,
): JobView[] {
  return views
    .map((v, i) => ({ v, i, k: key(v.job, v) }))
    .filter(({ v }) => groupOf(v.job.state) === group)
    .sort((a, b) => (a.k === b.k ? a.i - b.i : a.k < b.k ? -1 : 1))
    .map(({ v }) => v);
}
