/**
 * The nodes and progress of a run as the runs panel shows them (runsPanelModel.ts): each node with its
 * state, steps and times in the order the run ran them, from the job record and what its ComfyUI
 * messages said; for a run split by branch, each node as far as the part that computes it got.
 */
import type { Job } from '../jobs/job';
import type { PromptProgress } from '../protocol/promptProgress';
import { topologicalOrder } from '../workflow/graph';
import type { ApiPrompt } from '../workflow/types';
import type { PanelNode, PanelNodeState, PanelRun } from '../../shared/protocol';

/** What is known of a run besides its job record. */
export interface RunExtras {
  progress?: PromptProgress;
  /** Node start and end times seen in its ComfyUI messages. */
  nodeTimes: Record<string, { started?: number; finished?: number }>;
  /** Output paths (absolute) the user starred. */
  starred: Set<string>;
  comfyuiVersion?: string;
}

/** `nodes`, given in the prompt's order, in the order they ran: by {@link startRank}, else as given. */
export function sortByStart(nodes: PanelNode[]): PanelNode[] {
  const rank = new Map(nodes.map((n, i) => [n.id, i]));
  return nodes.sort((a, b) => startRank(a) - startRank(b) || rank.get(a.id)! - rank.get(b.id)!);
}

/** How far a node got, most first: a node two parts of a split run compute shows the furthest. */
const STATE_RANK: Record<PanelNodeState, number> = { failed: 4, done: 3, cached: 2, running: 1, waiting: 0 };

/**
 * One node as several parts of a split run saw it: the furthest state (with its steps), the earliest
 * start and the latest finish.
 */
function furthest(seen: PanelNode[]): PanelNode {
  const node = { ...seen.reduce((a, b) => (STATE_RANK[b.state] > STATE_RANK[a.state] ? b : a)) };
  const started = seen.flatMap((n) => (n.started === undefined ? [] : [n.started]));
  const finished = seen.flatMap((n) => (n.finished === undefined ? [] : [n.finished]));
  if (started.length > 0) node.started = Math.min(...started);
  if (finished.length > 0) node.finished = Math.max(...finished);
  return node;
}

/** Where a node goes in execution order: cached first, then by start, those never started last. */
function startRank(n: PanelNode): number {
  if (n.state === 'cached') return -2;
  if (n.started !== undefined) return n.started;
  if (n.state === 'done' || n.state === 'failed') return -1;
  return n.state === 'running' ? Number.MAX_SAFE_INTEGER : Infinity;
}

/** The prompt's nodes, dependencies first; in id order when the prompt has a cycle (it never ran then). */
export function promptOrder(prompt: ApiPrompt): string[] {
  try {
    return topologicalOrder(prompt);
  } catch {
    return Object.keys(prompt);
  }
}

/** One node of a run, from its record and what its messages said. */
export function nodeOf(job: Job, id: string, extras: RunExtras): PanelNode {
  const node = job.prompt[id];
  const classType = node?.class_type ?? '?';
  const panel: PanelNode = {
    id,
    title: node?._meta?.title ?? classType,
    classType,
    state: nodeState(job, id, extras),
  };
  const steps = extras.progress?.running[id];
  if (steps && panel.state === 'running') panel.steps = { value: steps.value, max: steps.max };
  const times = { ...extras.nodeTimes[id], ...job.times.nodes[id] };
  if (times.started !== undefined) panel.started = times.started;
  if (times.finished !== undefined) panel.finished = times.finished;
  return panel;
}

function nodeState(job: Job, id: string, extras: RunExtras): PanelNodeState {
  if (job.error?.node_id === id) return 'failed';
  const phase = extras.progress?.phase[id];
  if (phase === 'cached' || phase === 'running' || phase === 'done') return phase;
  // A run taken from the store has no node progress kept: when it succeeded, its nodes ran.
  return job.state === 'succeeded' ? 'done' : 'waiting';
}

/** Nodes done or cached of all of a whole run's. */
export function progressOf(job: Job, progress: PromptProgress | undefined): PanelRun['progress'] {
  const total = Object.keys(job.prompt).length;
  if (job.state === 'succeeded') return { done: total, total };
  if (!progress) return { done: 0, total };
  return { done: progress.done + progress.cached, total };
}

/** One part of a split run as its run's nodes see it: its record, what its messages said, its nodes. */
export interface PartView {
  readonly part: Job;
  readonly extras: RunExtras;
  /** The nodes the part runs: its outputs and their ancestors. */
  readonly runs: ReadonlySet<string>;
}

/**
 * A split run's nodes in the whole prompt's `order`, each as far as any part that runs it got
 * ({@link furthest}), `outside` for a node no part runs; sorted as {@link sortByStart} sorts.
 */
export function splitNodes(
  order: readonly string[],
  views: readonly PartView[],
  outside: (node: string) => PanelNode,
): PanelNode[] {
  const nodes = order.map((node) => {
    const seen = views.filter((v) => v.runs.has(node)).map((v) => nodeOf(v.part, node, v.extras));
    return seen.length > 0 ? furthest(seen) : outside(node);
  });
  return sortByStart(nodes);
}

/** One progress figure over a split run's parts: each part's nodes counted, a finished part's all done. */
export function splitProgress(views: readonly PartView[]): PanelRun['progress'] {
  const progress = { done: 0, total: 0 };
  for (const v of views) {
    const total = v.runs.size;
    progress.total += total;
    if (v.part.state === 'succeeded') progress.done += total;
    else if (v.extras.progress) progress.done += v.extras.progress.done + v.extras.progress.cached;
  }
  return progress;
}
