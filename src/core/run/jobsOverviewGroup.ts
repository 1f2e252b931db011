/**
 * One group of the jobs overview (jobsOverview.ts): its jobs in the order they are shown, the batches
 * folded among them, and the page of each that is shown. The Queued group mirrors the scheduler's queue
 * (priority first, then first in first out, a retried submission before the others of its priority, a
 * moved job where the move put it); Running is in the order jobs went to a server; Finished and Failed
 * show the job that ended last first.
 */
import type { JobView } from '../scheduler/schedulerView';
import type {
  BatchNode,
  ContainerNode,
  GroupNode,
  JobEntry,
  JobGroup,
  MoreNode,
  OverviewNode,
} from './jobsOverviewNodes';

/** The jobs of one batch within one group. */
export interface BatchState {
  readonly node: BatchNode;
  readonly more: MoreNode;
  /** The workflow file's name, as its jobs show it. */
  readonly name: string;
  /** How many jobs the whole batch has. */
  readonly size: number;
  /** How many of them are in this group. */
  count: number;
  /** How many of them are shown before the "show more" link. */
  shown: number;
  /** How many the last listing left out. */
  hidden: number;
  showMore(pageSize: number): void;
}

/** One group's jobs; see the file comment. */
export class GroupList {
  readonly node: GroupNode;
  readonly more: MoreNode;
  /** How many items are shown before the "show more" link. */
  shown: number;
  /** How many jobs the last listing left out. */
  hidden = 0;
  /** Job ids, oldest first for the groups shown newest first, else in the order shown. */
  private order: string[] = [];
  private readonly batches = new Map<string, BatchState>();
  private positions: Map<string, number> | undefined;
  private readonly newestFirst: boolean;

  constructor(
    readonly group: JobGroup,
    private readonly pageSize: number,
    private readonly entryOf: (id: string) => JobEntry,
    private readonly changed: (node: OverviewNode) => void,
  ) {
    this.node = { kind: 'group', group };
    this.more = { kind: 'more', parent: this.node };
    this.shown = pageSize;
    this.newestFirst = group === 'finished' || group === 'failed';
  }

  /** How many jobs the group has. */
  get size(): number {
    return this.order.length;
  }

  /** The job ids in the order they are shown. */
  ids(): string[] {
    return this.newestFirst ? [...this.order].reverse() : [...this.order];
  }

  /** Empties the group and shows the first page again. */
  clear(): void {
    this.order = [];
    this.batches.clear();
    this.positions = undefined;
    this.shown = this.pageSize;
  }

  /** Fills the group from snapshot views given in stored order (oldest first for Finished and Failed). */
  restore(views: readonly JobView[]): void {
    for (const v of views) {
      const entry = this.entryOf(v.job.id);
      this.order.push(entry.node.jobId);
      this.joinBatch(entry);
    }
    this.positions = undefined;
  }

  /** Adds a job: last (a new job) or first (a retried submission) among its priority in the queue. */
  add(entry: JobEntry, where: 'first' | 'last'): void {
    this.order.splice(this.insertionIndex(entry, where), 0, entry.node.jobId);
    this.joinBatch(entry);
    this.orderChanged();
  }

  /** Takes a job out. */
  remove(entry: JobEntry): void {
    const at = this.order.indexOf(entry.node.jobId);
    if (at < 0) return;
    this.order.splice(at, 1);
    const batch = entry.batchId === undefined ? undefined : this.batches.get(entry.batchId);
    if (batch && --batch.count === 0) this.batches.delete(entry.batchId!);
    this.orderChanged();
  }

  /** Puts a queued job at `position` (0 is the next to go), as the scheduler's queue did. */
  moveTo(entry: JobEntry, position: number): void {
    const at = this.order.indexOf(entry.node.jobId);
    if (at < 0) return;
    this.order.splice(at, 1);
    this.order.splice(Math.max(0, Math.min(position, this.order.length)), 0, entry.node.jobId);
    this.orderChanged();
  }

  /** A job's place in the order shown, 0 first (the queue position in the Queued group). */
  positionOf(jobId: string): number | undefined {
    this.positions ??= new Map(this.ids().map((id, i) => [id, i]));
    return this.positions.get(jobId);
  }

  /** One batch's state in this group. */
  batch(batchId: string): BatchState | undefined {
    return this.batches.get(batchId);
  }

  /** The item a job of this group is listed under: its batch's, else the group's. */
  containerOf(entry: JobEntry): ContainerNode {
    return (entry.batchId !== undefined && this.batches.get(entry.batchId)?.node) || this.node;
  }

  /** The group's items: jobs alone and batches (at the place of their first job), a page of them. */
  children(): OverviewNode[] {
    const items: OverviewNode[] = [];
    const seen = new Set<string>();
    let covered = 0;
    let more = false;
    for (const id of this.display()) {
      const { batchId, node } = this.entryOf(id);
      if (batchId !== undefined && seen.has(batchId)) continue;
      if (items.length === this.shown) {
        more = true;
        break;
      }
      if (batchId === undefined) {
        items.push(node);
        covered += 1;
        continue;
      }
      seen.add(batchId);
      const batch = this.batches.get(batchId)!;
      items.push(batch.node);
      covered += batch.count;
    }
    this.hidden = this.order.length - covered;
    if (more) items.push(this.more);
    return items;
  }

  /** A batch's jobs in this group, a page of them. */
  batchChildren(batchId: string): OverviewNode[] {
    const batch = this.batches.get(batchId);
    if (!batch) return [];
    const items: OverviewNode[] = [];
    for (const id of this.display()) {
      const entry = this.entryOf(id);
      if (entry.batchId !== batchId) continue;
      if (items.length === batch.shown) break;
      items.push(entry.node);
    }
    batch.hidden = batch.count - items.length;
    if (batch.hidden > 0) items.push(batch.more);
    return items;
  }

  private *display(): Generator<string> {
    if (!this.newestFirst) yield* this.order;
    else for (let i = this.order.length - 1; i >= 0; i--) yield this.order[i];
  }

  private joinBatch(entry: JobEntry): void {
    if (entry.batchId === undefined) return;
    const batch = this.batches.get(entry.batchId);
    if (batch) batch.count++;
    else this.batches.set(entry.batchId, this.newBatch(entry, entry.batchId));
  }

  private newBatch(entry: JobEntry, batchId: string): BatchState {
    const node: BatchNode = { kind: 'batch', group: this.group, batchId };
    return {
      node,
      more: { kind: 'more', parent: node },
      name: entry.name,
      size: entry.job.batch?.size ?? 1,
      count: 1,
      shown: this.pageSize,
      hidden: 0,
      showMore(pageSize) {
        this.shown += pageSize;
      },
    };
  }

  private orderChanged(): void {
    this.positions = undefined;
    this.changed(this.node);
  }

  /** Where a job goes in `order`; see the file comment for each group's order. */
  private insertionIndex(entry: JobEntry, where: 'first' | 'last'): number {
    const o = this.order;
    if (this.group === 'running') return o.length;
    if (this.newestFirst) {
      const t = endOf(entry);
      let i = o.length;
      while (i > 0 && endOf(this.entryOf(o[i - 1])) > t) i--;
      return i;
    }
    const p = entry.job.priority ?? 0;
    const priorityOf = (id: string) => this.entryOf(id).job.priority ?? 0;
    if (where === 'first') {
      let i = 0;
      while (i < o.length && priorityOf(o[i]) > p) i++;
      return i;
    }
    let i = o.length;
    while (i > 0 && priorityOf(o[i - 1]) < p) i--;
    return i;
  }
}

function endOf(entry: JobEntry): number {
  return entry.job.times.finished ?? entry.job.times.queued;
}
