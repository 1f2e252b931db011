/**
 * The order in which queued jobs are offered to targets: higher priority first, first in first out
 * within a priority. Each priority is a bucket holding a doubly linked list, so adding, removing and
 * moving a job cost O(1) (plus a binary search among the distinct priorities when a bucket is created)
 * however many jobs wait; nothing is ever re-sorted.
 */

/** One queued job in its bucket. */
interface QueueNode {
  readonly id: string;
  priority: number;
  prev?: QueueNode;
  next?: QueueNode;
}

/** The jobs of one priority, in queue order. */
interface Bucket {
  head?: QueueNode;
  tail?: QueueNode;
}

/** Where {@link JobQueue.move} puts a job. */
export type QueueMove = 'toTop' | 'up' | 'down' | 'toBottom';

/** The queue of job ids waiting for a target. */
export class JobQueue {
  private readonly nodes = new Map<string, QueueNode>();
  private readonly buckets = new Map<number, Bucket>();
  /** The priorities that have a bucket, highest first. */
  private readonly priorities: number[] = [];

  /** How many jobs wait. */
  get size(): number {
    return this.nodes.size;
  }

  /** True when the job waits in this queue. */
  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** The priority the job waits with, or undefined when it is not queued. */
  priorityOf(id: string): number | undefined {
    return this.nodes.get(id)?.priority;
  }

  /** Adds a job after every job of its priority; `first` puts it before them instead. */
  add(id: string, priority: number, first = false): void {
    if (this.nodes.has(id)) throw new Error(`job ${id} is already queued`);
    const node: QueueNode = { id, priority };
    this.nodes.set(id, node);
    const bucket = this.bucket(priority);
    if (first && bucket.head) this.linkBefore(bucket, node, bucket.head);
    else this.linkLast(bucket, node);
  }

  /** Removes a job; false when it was not queued. */
  remove(id: string): boolean {
    const node = this.nodes.get(id);
    if (!node) return false;
    this.unlink(node);
    this.nodes.delete(id);
    return true;
  }

  /** The queued job ids in the order they will be offered. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (const p of this.priorities) {
      for (let n = this.buckets.get(p)?.head; n; n = n.next) yield n.id;
    }
  }

  /**
   * The first answer other than undefined that `look` gives, asked of each job id in queue order. A
   * plain loop rather than the iterator, since the dispatch loop may step over thousands of jobs each
   * time a slot frees.
   */
  firstOf<R>(look: (id: string) => R | undefined): R | undefined {
    for (const p of this.priorities) {
      for (let n = this.buckets.get(p)!.head; n; n = n.next) {
        const found = look(n.id);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  /** The queued job ids in order, as an array. */
  ids(): string[] {
    return [...this];
  }

  /**
   * Moves a job within the queue: before the first job, one place up or down, or after the last. A job
   * that crosses into another priority's jobs takes that priority, so the order always stays "priority,
   * then queue order". Returns the job's priority afterwards, or undefined when it is not queued.
   */
  move(id: string, where: QueueMove): number | undefined {
    const node = this.nodes.get(id);
    if (!node) return undefined;
    const anchor = this.anchorFor(node, where);
    if (!anchor || anchor === node) return node.priority;
    this.unlink(node);
    node.priority = anchor.priority;
    const bucket = this.bucket(anchor.priority);
    if (where === 'toTop' || where === 'up') this.linkBefore(bucket, node, anchor);
    else this.linkAfter(bucket, node, anchor);
    return node.priority;
  }

  /** Gives a queued job another priority, placing it last among that priority's jobs. */
  setPriority(id: string, priority: number): boolean {
    if (!this.remove(id)) return false;
    this.add(id, priority);
    return true;
  }

  /** The job next to which `node` goes for a move, or undefined when it stays where it is. */
  private anchorFor(node: QueueNode, where: QueueMove): QueueNode | undefined {
    switch (where) {
      case 'toTop':
        return this.buckets.get(this.priorities[0]!)?.head;
      case 'toBottom':
        return this.buckets.get(this.priorities[this.priorities.length - 1]!)?.tail;
      case 'up':
        return node.prev ?? this.neighbourBucket(node.priority, -1)?.tail;
      case 'down':
        return node.next ?? this.neighbourBucket(node.priority, 1)?.head;
    }
  }

  /** The bucket of the next higher (-1) or lower (+1) priority. */
  private neighbourBucket(priority: number, step: -1 | 1): Bucket | undefined {
    const other = this.priorities[this.priorities.indexOf(priority) + step];
    return other === undefined ? undefined : this.buckets.get(other);
  }

  /** The bucket of a priority, created in its sorted place when missing. */
  private bucket(priority: number): Bucket {
    let bucket = this.buckets.get(priority);
    if (bucket) return bucket;
    bucket = {};
    this.buckets.set(priority, bucket);
    let lo = 0;
    let hi = this.priorities.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.priorities[mid]! > priority) lo = mid + 1;
      else hi = mid;
    }
    this.priorities.splice(lo, 0, priority);
    return bucket;
  }

  private linkLast(bucket: Bucket, node: QueueNode): void {
    node.prev = bucket.tail;
    node.next = undefined;
    if (bucket.tail) bucket.tail.next = node;
    else bucket.head = node;
    bucket.tail = node;
  }

  private linkBefore(bucket: Bucket, node: QueueNode, anchor: QueueNode): void {
    node.next = anchor;
    node.prev = anchor.prev;
    if (anchor.prev) anchor.prev.next = node;
    else bucket.head = node;
    anchor.prev = node;
  }

  private linkAfter(bucket: Bucket, node: QueueNode, anchor: QueueNode): void {
    node.prev = anchor;
    node.next = anchor.next;
    if (anchor.next) anchor.next.prev = node;
    else bucket.tail = node;
    anchor.next = node;
  }

  /** Takes a node out of its bucket, dropping the bucket when it empties. */
  private unlink(node: QueueNode): void {
    const bucket = this.buckets.get(node.priority)!;
    if (node.prev) node.prev.next = node.next;
    else bucket.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else bucket.tail = node.prev;
    node.prev = node.next = undefined;
    if (!bucket.head) {
      this.buckets.delete(node.priority);
      this.priorities.splice(this.priorities.indexOf(node.priority), 1);
    }
  }
}
