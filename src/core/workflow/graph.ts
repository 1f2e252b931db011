/**
 * Graph utilities over an API-format prompt, shared by the scheduler and the engine. Prompts can hold
 * ten thousand nodes and chains as deep, so every walk here keeps its own stack instead of recursing,
 * and each runs in time linear in nodes plus links (sorting node ids aside).
 */
import { createHash } from 'node:crypto';
import { RunnerError } from '../util/runnerError';
import type { ApiLink, ApiNode, ApiPrompt, NodeDefs, NodeId } from './types';

/** True when `v` is a link: a two-element array of a source node id (string) and an output slot index. */
export function isLink(v: unknown): v is ApiLink {
  return (
    Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isInteger(v[1]) && v[1] >= 0
  );
}

/** The `[inputName, link]` pairs of a node's linked inputs, in input order. */
export function linksOf(node: ApiNode): [string, ApiLink][] {
  const out: [string, ApiLink][] = [];
  for (const [name, value] of Object.entries(node.inputs ?? {})) {
    if (isLink(value)) out.push([name, value]);
  }
  return out;
}

/**
 * Orders node ids the way people read them: colon paths segment by segment, numeric segments by
 * value (so "9" < "10" and "12:5" < "12:10"), others as strings. Every tie-break in this module uses it.
 */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  return compareSegmentLists(a.split(':'), b.split(':'));
}

/** Ids in {@link compareNodeIds} order, each split once rather than at every comparison. */
export function sortedNodeIds(ids: Iterable<NodeId>): NodeId[] {
  const split = Array.from(ids, (id) => ({ id, segments: id.split(':') }));
  split.sort((a, b) => compareSegmentLists(a.segments, b.segments));
  return split.map((s) => s.id);
}

function compareSegmentLists(as: string[], bs: string[]): number {
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = compareSegments(as[i], bs[i]);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

const NUMERIC = /^\d+$/;

function compareSegments(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The ids of the nodes whose class is an output node (`output_node: true`), in id order. With
 * `targets` (ComfyUI's `partial_execution_targets`) only output nodes listed there count, as on the
 * server; unknown classes never count, since validation reports them.
 */
export function outputNodes(prompt: ApiPrompt, defs: NodeDefs, targets?: readonly NodeId[]): NodeId[] {
  const wanted = targets ? new Set(targets) : undefined;
  return sortedIds(prompt).filter(
    (id) => defs[prompt[id].class_type]?.output_node === true && (!wanted || wanted.has(id)),
  );
}

/** The ids of the nodes `id` links to, in input order; links to nodes missing from the prompt are left out. */
function dependenciesOf(prompt: ApiPrompt, id: NodeId): NodeId[] {
  const node = prompt[id];
  if (!node) return [];
  // A loop rather than linksOf, map and filter: this runs for every node of every prompt.
  const deps: NodeId[] = [];
  for (const value of Object.values(node.inputs ?? {}))
    if (isLink(value) && Object.hasOwn(prompt, value[0])) deps.push(value[0]);
  return deps;
}

function sortedIds(prompt: ApiPrompt): NodeId[] {
  return sortedNodeIds(Object.keys(prompt));
}

/**
 * Every node `id` depends on, directly or through other nodes. The node itself is included only when
 * it lies on a cycle. Links to nodes absent from the prompt are ignored; validation reports them.
 */
export function ancestors(prompt: ApiPrompt, id: NodeId): Set<NodeId> {
  return reachable(prompt, dependenciesOf(prompt, id));
}

/** `starts` and everything they depend on, in one walk however much their ancestries overlap. */
export function reachable(prompt: ApiPrompt, starts: readonly NodeId[]): Set<NodeId> {
  return new Set(reachableDependencies(prompt, starts).keys());
}

/** Every node reachable from `starts` through links (each once), with its dependencies. */
function reachableDependencies(prompt: ApiPrompt, starts: readonly NodeId[]): Map<NodeId, NodeId[]> {
  const seen = new Map<NodeId, NodeId[]>();
  const stack = starts.filter((id) => Object.hasOwn(prompt, id));
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    const deps = dependenciesOf(prompt, next);
    seen.set(next, deps);
    for (const dep of deps) if (!seen.has(dep)) stack.push(dep);
  }
  return seen;
}

/** For each output node, the set of nodes it needs to run: its ancestors and itself. */
export function dependencySets(prompt: ApiPrompt, outputs: readonly NodeId[]): Map<NodeId, Set<NodeId>> {
  const sets = new Map<NodeId, Set<NodeId>>();
  for (const out of outputs) sets.set(out, ancestors(prompt, out).add(out));
  return sets;
}

/** What {@link topologicalOrder} puts in the `details` of the error it throws on a cycle. */
export interface CycleDetails {
  /** The node ids of one cycle: each depends on the next, and the last on the first. */
  cycle: NodeId[];
}

/**
 * The nodes `roots` need (all nodes when omitted), dependencies before their dependents. Among nodes
 * that are ready at the same time the smallest id ({@link compareNodeIds}) comes first, so the order
 * is the same on every run. Throws `RunnerError('bad_input')` with {@link CycleDetails} on a cycle.
 */
export function topologicalOrder(prompt: ApiPrompt, roots?: readonly NodeId[]): NodeId[] {
  const needed = roots
    ? reachableDependencies(prompt, roots)
    : new Map(Object.keys(prompt).map((id) => [id, dependenciesOf(prompt, id)]));
  const waitingOn = new Map<NodeId, number>();
  const dependents = new Map<NodeId, NodeId[]>();
  for (const [id, deps] of needed) {
    waitingOn.set(id, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(id);
      else dependents.set(dep, [id]);
    }
  }
  // Ranks let the heap compare numbers instead of re-parsing ids at every step.
  const byId = sortedNodeIds(needed.keys());
  const rank = new Map(byId.map((id, i) => [id, i]));
  const ready: number[] = [];
  for (const [id, count] of waitingOn) if (count === 0) heapPush(ready, rank.get(id)!);
  const order: NodeId[] = [];
  while (ready.length > 0) {
    const id = byId[heapPop(ready)];
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = waitingOn.get(next)! - 1;
      waitingOn.set(next, left);
      if (left === 0) heapPush(ready, rank.get(next)!);
    }
  }
  if (order.length < needed.size) throw cycleError(findCycleAmong(prompt, byId));
  return order;
}

function cycleError(cycle: NodeId[] | null): RunnerError {
  const ids = cycle ?? [];
  const details: CycleDetails = { cycle: ids };
  return new RunnerError(
    'bad_input',
    `the workflow has a dependency cycle: ${ids.map((id) => `#${id}`).join(' -> ')}`,
    { nodeId: ids[0] },
    details,
  );
}

/**
 * The node ids of one dependency cycle (each depends on the next, the last on the first), or null when
 * the prompt has none. Deterministic: the walk starts from nodes in id order.
 */
export function findCycle(prompt: ApiPrompt): NodeId[] | null {
  return findCycleAmong(prompt, sortedIds(prompt));
}

const VISITING = 1;
const DONE = 2;

/** Depth-first search with an explicit stack of (node, next dependency index) frames. */
function findCycleAmong(prompt: ApiPrompt, starts: readonly NodeId[]): NodeId[] | null {
  const state = new Map<NodeId, number>();
  for (const start of starts) {
    if (state.has(start)) continue;
    const path: { id: NodeId; deps: NodeId[]; next: number }[] = [];
    state.set(start, VISITING);
    path.push({ id: start, deps: dependenciesOf(prompt, start), next: 0 });
    while (path.length > 0) {
      const top = path[path.length - 1];
      if (top.next === top.deps.length) {
        state.set(top.id, DONE);
        path.pop();
        continue;
      }
      const dep = top.deps[top.next++];
      const s = state.get(dep);
      if (s === VISITING) return path.slice(path.findIndex((f) => f.id === dep)).map((f) => f.id);
      if (s === DONE) continue;
      state.set(dep, VISITING);
      path.push({ id: dep, deps: dependenciesOf(prompt, dep), next: 0 });
    }
  }
  return null;
}

/**
 * Groups the output nodes so that no two groups share a node they depend on; each group can then run
 * apart (another server, another prompt). A union-find joins two outputs as soon as a walk from one
 * reaches a node another has already claimed, which keeps the whole pass linear. Groups list their
 * outputs in id order and are ordered by their first output.
 */
export function independentBranches(prompt: ApiPrompt, outputs: readonly NodeId[]): NodeId[][] {
  const sorted = sortedNodeIds([...new Set(outputs)].filter((id) => Object.hasOwn(prompt, id)));
  const parent = sorted.map((_, i) => i);
  const find = (i: number): number => {
    // Path halving alone keeps finds amortised logarithmic; the sets here are far too few to need ranks.
    for (; parent[i] !== i; i = parent[i]) parent[i] = parent[parent[i]];
    return i;
  };
  const owner = new Map<NodeId, number>();
  sorted.forEach((out, index) => {
    const stack = [out];
    while (stack.length > 0) {
      const id = stack.pop()!;
      const claimed = owner.get(id);
      if (claimed !== undefined) {
        parent[find(claimed)] = find(index);
        continue;
      }
      owner.set(id, index);
      stack.push(...dependenciesOf(prompt, id));
    }
  });
  const groups = new Map<number, NodeId[]>();
  sorted.forEach((out, index) => {
    const root = find(index);
    const group = groups.get(root);
    if (group) group.push(out);
    else groups.set(root, [out]);
  });
  // A Map keeps insertion order, and the loop above met the groups by their smallest output.
  return [...groups.values()];
}

/**
 * A stable SHA-256 (hex) of what a prompt computes: canonical JSON with object keys sorted and each
 * node's `_meta` dropped, so re-saving a file or renaming a node keeps the hash, while any change to a
 * class or an input value changes it.
 */
export function promptHash(prompt: ApiPrompt): string {
  const stripped: Record<string, unknown> = {};
  for (const [id, node] of Object.entries(prompt)) {
    const { _meta: _ignored, ...rest } = node;
    stripped[id] = rest;
  }
  return createHash('sha256').update(canonicalJson(stripped)).digest('hex');
}

type JsonWork = { text: string } | { value: unknown };

/**
 * JSON with object keys in code-unit order, written with an explicit stack so no input nesting can
 * overflow the call stack. Follows JSON.stringify for leaves: undefined object members are left out,
 * undefined array items become null.
 */
export function canonicalJson(root: unknown): string {
  // Most values are leaves (a node's number and string inputs); they need no stack.
  if (root === null || typeof root !== 'object') return JSON.stringify(root) ?? 'null';
  const out: string[] = [];
  const stack: JsonWork[] = [{ value: root }];
  while (stack.length > 0) {
    const work = stack.pop()!;
    if ('text' in work) {
      out.push(work.text);
    } else if (Array.isArray(work.value)) {
      pushContainer(
        stack,
        '[]',
        work.value.map((item) => ['', item ?? null]),
      );
    } else if (work.value !== null && typeof work.value === 'object') {
      const o = work.value as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function');
      pushContainer(
        stack,
        '{}',
        keys.sort().map((k) => [`${JSON.stringify(k)}:`, o[k]]),
      );
    } else {
      out.push(JSON.stringify(work.value) ?? 'null');
    }
  }
  return out.join('');
}

/** Pushes a container's pieces (`[prefix, value]` each) in reverse so they pop in reading order. */
function pushContainer(stack: JsonWork[], brackets: string, items: [string, unknown][]): void {
  stack.push({ text: brackets[1] });
  for (let i = items.length - 1; i >= 0; i--) {
    stack.push({ value: items[i][1] }, { text: (i > 0 ? ',' : '') + items[i][0] });
  }
  stack.push({ text: brackets[0] });
}

/** Adds `x` to the binary min-heap `a`. */
function heapPush(a: number[], x: number): void {
  let i = a.push(x) - 1;
  for (let p = (i - 1) >> 1; i > 0 && a[p] > a[i]; i = p, p = (i - 1) >> 1) [a[i], a[p]] = [a[p], a[i]];
}

/** Removes and returns the smallest item of the non-empty binary min-heap `a`. */
function heapPop(a: number[]): number {
  const top = a[0];
  const last = a.pop()!;
  if (a.length === 0) return top;
  a[0] = last;
  for (let i = 0; ;) {
    const l = 2 * i + 1;
    const m = l + 1 < a.length && a[l + 1] < a[l] ? l + 1 : l;
    if (m >= a.length || a[m] >= a[i]) return top;
    [a[i], a[m]] = [a[m], a[i]];
    i = m;
  }
}
