/**
 * Which nodes of a prompt run, and in what order they become ready: the engine's analogue of ComfyUI's
 * `ExecutionList` (comfy_execution/graph.py), but dataflow rather than one node at a time. A node is
 * ready as soon as every upstream node it links to has completed, so independent branches run side by
 * side. The schedule also counts each node's outstanding consumers, so the executor can drop a node's
 * outputs the moment the last consumer has taken them. Every walk keeps its own stack; a 10,000-node
 * chain uses no call-stack depth.
 */
import { isLink } from '../workflow/graph';
import type { ApiPrompt, NodeId } from '../workflow/types';

/** What a prompt run has to do, given which nodes the cache already holds. */
export interface ExecutionPlan {
  /** Nodes that run, in the order of `order` given to {@link planExecution}. */
  readonly toRun: NodeId[];
  /** Every needed node the cache holds (ComfyUI's `execution_cached.nodes`), in `order`. */
  readonly cached: NodeId[];
  /** Output nodes the cache holds: they do not run but replay their cached UI. */
  readonly cachedOutputs: NodeId[];
  /** Cached nodes whose outputs a running node reads. */
  readonly cachedSources: NodeId[];
}

/** Upstream lists by node object: a run asks for each node's several times, and prompts are not mutated. */
const upstreamMemo = new WeakMap<object, readonly NodeId[]>();

/** The distinct node ids `id` links to, in input order. */
export function upstreamOf(prompt: ApiPrompt, id: NodeId): readonly NodeId[] {
  const node = prompt[id];
  const known = upstreamMemo.get(node);
  if (known) return known;
  const out: NodeId[] = [];
  for (const value of Object.values(node.inputs ?? {})) {
    if (isLink(value) && !out.includes(value[0])) out.push(value[0]);
  }
  upstreamMemo.set(node, out);
  return out;
}

/**
 * Plans a run as ComfyUI does: start from the output nodes and pull in their dependencies, but stop at
 * nodes the cache holds, since their outputs need no computing. `order` lists every node the outputs
 * need (dependencies first); `isCached` says whether the cache holds a node.
 */
export function planExecution(
  prompt: ApiPrompt,
  order: readonly NodeId[],
  outputs: readonly NodeId[],
  isCached: (id: NodeId) => boolean,
): ExecutionPlan {
  const running = new Set<NodeId>();
  const sources = new Set<NodeId>();
  const stack = outputs.filter((id) => !isCached(id));
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (running.has(id)) continue;
    running.add(id);
    for (const up of upstreamOf(prompt, id)) {
      if (isCached(up)) sources.add(up);
      else if (!running.has(up)) stack.push(up);
    }
  }
  return {
    toRun: order.filter((id) => running.has(id)),
    cached: order.filter((id) => isCached(id)),
    cachedOutputs: outputs.filter((id) => isCached(id)),
    cachedSources: order.filter((id) => sources.has(id)),
  };
}

/**
 * The readiness and consumer bookkeeping of one run. `toRun` nodes wait for their upstream `toRun`
 * nodes; links to cached sources are satisfied from the start. Ready nodes are taken newest first, so a
 * branch tends to run to its end before the next one starts, which frees intermediate outputs early
 * (and with a concurrency of 1 gives ComfyUI's depth-first order).
 */
export class DataflowSchedule {
  private readonly waitingOn = new Map<NodeId, number>();
  private readonly consumers = new Map<NodeId, NodeId[]>();
  private readonly pendingConsumers = new Map<NodeId, number>();
  private readonly ready: NodeId[] = [];
  private left: number;

  constructor(
    private readonly prompt: ApiPrompt,
    toRun: readonly NodeId[],
    cachedSources: readonly NodeId[],
  ) {
    const runSet = new Set(toRun);
    this.left = toRun.length;
    for (const id of cachedSources) this.pendingConsumers.set(id, 0);
    for (const id of toRun) this.pendingConsumers.set(id, 0);
    for (const id of toRun) {
      let waits = 0;
      for (const up of upstreamOf(prompt, id)) {
        this.pendingConsumers.set(up, (this.pendingConsumers.get(up) ?? 0) + 1);
        if (!runSet.has(up)) continue;
        waits++;
        const list = this.consumers.get(up);
        if (list) list.push(id);
        else this.consumers.set(up, [id]);
      }
      this.waitingOn.set(id, waits);
    }
    // Reversed so that, taken newest first, the initially ready nodes start in `toRun` order.
    for (let i = toRun.length - 1; i >= 0; i--)
      if (this.waitingOn.get(toRun[i]) === 0) this.ready.push(toRun[i]);
  }

  /** Nodes that have not completed yet. */
  get remaining(): number {
    return this.left;
  }

  /** True while some node is ready to start. */
  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** The next ready node, removed from the ready list; undefined when none is ready. */
  takeReady(): NodeId | undefined {
    return this.ready.pop();
  }

  /** Peeks at the node that would start next, without taking it. */
  peekReady(): NodeId | undefined {
    return this.ready[this.ready.length - 1];
  }

  /**
   * Records that `id` has started and read its inputs; returns the upstream nodes that no remaining
   * node reads, whose outputs can now be dropped.
   */
  started(id: NodeId): NodeId[] {
    const free: NodeId[] = [];
    for (const up of upstreamOf(this.prompt, id)) {
      const count = (this.pendingConsumers.get(up) ?? 1) - 1;
      this.pendingConsumers.set(up, count);
      if (count === 0) free.push(up);
    }
    return free;
  }

  /** True when some node that has not started yet reads `id`'s outputs. */
  isNeeded(id: NodeId): boolean {
    return (this.pendingConsumers.get(id) ?? 0) > 0;
  }

  /** Records that `id` completed; the nodes this made ready join the ready list. */
  completed(id: NodeId): void {
    this.left--;
    const consumers = this.consumers.get(id) ?? [];
    // Pushed last to first, so the first consumer in prompt order is taken first.
    for (let i = consumers.length - 1; i >= 0; i--) {
      const next = consumers[i];
      const waits = this.waitingOn.get(next)! - 1;
      this.waitingOn.set(next, waits);
      if (waits === 0) this.ready.push(next);
    }
  }
}
