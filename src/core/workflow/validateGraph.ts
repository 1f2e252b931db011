/**
 * The graph half of prompt validation: walks from the output nodes to everything they depend on, the way
 * ComfyUI's recursive `validate_inputs` does, but iteratively (Tarjan's strongly connected components) so
 * that a 10,000-node chain neither overflows the stack nor costs more than linear time. A node is valid
 * when it has no errors of its own, is not part of a dependency cycle, and everything it links to is valid.
 */
import type { ComfyErrorItem, NodeId } from './types';

/** What the walk needs to know about one node, computed once when the walk first reaches it. */
export interface NodeCheck {
  /** The node's own problems, in ComfyUI's error shape. */
  errors: ComfyErrorItem[];
  /** Ids of existing prompt nodes this node links to (its dependencies), without duplicates. */
  children: NodeId[];
  /** False when the node cannot run for a reason reported elsewhere (an unknown class). */
  runnable: boolean;
}

/** The outcome of walking the graph from a set of output nodes. */
export interface GraphWalk {
  /** Every reached node's errors, including `dependency_cycle`; nodes without errors are absent. */
  errors: Map<NodeId, ComfyErrorItem[]>;
  /** Validity of every reached node. */
  valid: Map<NodeId, boolean>;
  /** For every reached node, the roots (outputs) that depend on it, in root order. */
  dependents(node: NodeId): NodeId[];
}

/** Cycle paths longer than this are abbreviated in `details`, so that one message stays one readable line. */
const MAX_PATH_LABELS = 50;

interface Frame {
  id: NodeId;
  children: NodeId[];
  next: number;
}

/** Mutable state of one walk; kept in one object so the helpers below stay small. */
interface WalkState {
  check: (id: NodeId) => NodeCheck;
  label: (id: NodeId) => string;
  index: Map<NodeId, number>;
  low: Map<NodeId, number>;
  onStack: Set<NodeId>;
  stack: NodeId[];
  frames: Frame[];
  pathPos: Map<NodeId, number>;
  /** A cycle path found by a back edge, keyed by the node the path starts and ends at. */
  cyclePaths: Map<NodeId, NodeId[]>;
  checks: Map<NodeId, NodeCheck>;
  sccOf: Map<NodeId, number>;
  sccs: NodeId[][];
  errors: Map<NodeId, ComfyErrorItem[]>;
  valid: Map<NodeId, boolean>;
}

/**
 * Walks from `roots` (output node ids, all existing) through `check(id).children`. `label(id)` names a
 * node in cycle messages, as ComfyUI does: `1 (ImageInvert)`.
 */
export function walkGraph(
  roots: NodeId[],
  check: (id: NodeId) => NodeCheck,
  label: (id: NodeId) => string,
): GraphWalk {
  const s: WalkState = {
    check,
    label,
    index: new Map(),
    low: new Map(),
    onStack: new Set(),
    stack: [],
    frames: [],
    pathPos: new Map(),
    cyclePaths: new Map(),
    checks: new Map(),
    sccOf: new Map(),
    sccs: [],
    errors: new Map(),
    valid: new Map(),
  };
  for (const root of roots) {
    if (!s.index.has(root)) runFrom(s, root);
  }
  const outs = dependentOutputs(s, roots);
  const rootOrder = new Map(roots.map((r, i) => [r, i]));
  return {
    errors: s.errors,
    valid: s.valid,
    dependents: (node) => {
      const scc = s.sccOf.get(node);
      const set = scc === undefined ? undefined : outs[scc];
      return set ? [...set].sort((a, b) => (rootOrder.get(a) ?? 0) - (rootOrder.get(b) ?? 0)) : [];
    },
  };
}

function enter(s: WalkState, id: NodeId): void {
  const n = s.index.size;
  s.index.set(id, n);
  s.low.set(id, n);
  s.stack.push(id);
  s.onStack.add(id);
  const check = s.check(id);
  s.checks.set(id, check);
  if (check.errors.length > 0) s.errors.set(id, [...check.errors]);
  s.pathPos.set(id, s.frames.length);
  s.frames.push({ id, children: check.children, next: 0 });
}

function runFrom(s: WalkState, root: NodeId): void {
  enter(s, root);
  while (s.frames.length > 0) {
    const frame = s.frames[s.frames.length - 1];
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (!s.index.has(child)) enter(s, child);
      else if (s.onStack.has(child)) noteBackEdge(s, frame.id, child);
      continue;
    }
    s.frames.pop();
    s.pathPos.delete(frame.id);
    const parent = s.frames[s.frames.length - 1];
    if (parent) s.low.set(parent.id, Math.min(s.low.get(parent.id)!, s.low.get(frame.id)!));
    if (s.low.get(frame.id) === s.index.get(frame.id)) closeComponent(s, frame.id);
  }
}

/** An edge back to a node still on the stack closes a cycle; remember its path for the message. */
function noteBackEdge(s: WalkState, from: NodeId, to: NodeId): void {
  s.low.set(from, Math.min(s.low.get(from)!, s.index.get(to)!));
  const pos = s.pathPos.get(to);
  if (pos === undefined || s.cyclePaths.has(to)) return;
  const path = s.frames.slice(pos).map((f) => f.id);
  s.cyclePaths.set(to, [...path, to]);
}

function closeComponent(s: WalkState, root: NodeId): void {
  const members: NodeId[] = [];
  let id: NodeId;
  do {
    id = s.stack.pop()!;
    s.onStack.delete(id);
    members.push(id);
  } while (id !== root);
  members.reverse();
  const scc = s.sccs.length;
  s.sccs.push(members);
  for (const m of members) s.sccOf.set(m, scc);
  const cyclic = members.length > 1 || s.checks.get(root)!.children.includes(root);
  if (cyclic) markCycle(s, members);
  for (const m of members) s.valid.set(m, !cyclic && isLocallyValid(s, m));
}

function isLocallyValid(s: WalkState, id: NodeId): boolean {
  const check = s.checks.get(id)!;
  return check.runnable && check.errors.length === 0 && check.children.every((c) => s.valid.get(c) === true);
}

/** Every node of a cycle gets ComfyUI's `dependency_cycle` error naming all the nodes in it. */
function markCycle(s: WalkState, members: NodeId[]): void {
  const path = members.map((m) => s.cyclePaths.get(m)).find((p) => p !== undefined) ?? [
    ...members,
    members[0],
  ];
  const memberSet = new Set(members);
  const cycleNodes = [...new Set([...path.filter((p) => memberSet.has(p)), ...members])];
  const details = cyclePathText(path.map(s.label));
  for (const node of members) {
    const error: ComfyErrorItem = {
      type: 'dependency_cycle',
      message: 'Dependency cycle detected',
      details,
      extra_info: { node_id: node, cycle_nodes: cycleNodes },
    };
    s.errors.set(node, [error, ...(s.errors.get(node) ?? [])]);
  }
}

/** Labels joined by arrows; a path of thousands is cut in the middle (`cycle_nodes` still has them all). */
function cyclePathText(labels: string[]): string {
  if (labels.length <= MAX_PATH_LABELS) return labels.join(' -> ');
  const head = labels.slice(0, MAX_PATH_LABELS - 1).join(' -> ');
  return `${head} -> ... (${labels.length - MAX_PATH_LABELS} more) -> ${labels[labels.length - 1]}`;
}

/**
 * The outputs depending on each component, consumers before producers (reverse Tarjan order). A
 * component with one consumer shares its consumer's set, so long chains cost nothing extra.
 */
function dependentOutputs(s: WalkState, roots: NodeId[]): Set<NodeId>[] {
  // Consumers are kept as plain arrays (duplicates are harmless below); most components have one.
  const consumers: number[][] = new Array(s.sccs.length);
  for (const [id, check] of s.checks) {
    const from = s.sccOf.get(id)!;
    for (const child of check.children) {
      const to = s.sccOf.get(child)!;
      if (to !== from) (consumers[to] ??= []).push(from);
    }
  }
  const rootSet = new Set(roots);
  const outs: Set<NodeId>[] = new Array(s.sccs.length);
  for (let scc = s.sccs.length - 1; scc >= 0; scc--) {
    const own = s.sccs[scc].filter((m) => rootSet.has(m));
    const inherited = new Set((consumers[scc] ?? []).map((c) => outs[c]));
    if (own.length === 0 && inherited.size === 1) outs[scc] = inherited.values().next().value!;
    else outs[scc] = new Set([...own, ...[...inherited].flatMap((set) => [...set])]);
  }
  return outs;
}
