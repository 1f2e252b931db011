/**
 * A run split by branch across servers, as the jobs overview (jobsOverview.ts) shows it: one item for
 * the run, standing where one job would (its group follows the state of its parts taken together), with
 * its parts as children. This file reduces the parts to the run: its state, times, outputs, error and
 * one progress figure; it keeps nothing itself.
 */
import type { Job, JobSplit } from '../jobs/job';
import type { JobState } from '../jobs/jobState';
import type { PromptProgress } from '../protocol/promptProgress';
import type { JobView } from '../scheduler/schedulerView';
import { groupOf, type JobEntry, type SlimJob } from './jobsOverviewNodes';

const ended = new Set<JobState>(['succeeded', 'failed', 'cancelled', 'lost']);

/**
 * The state of a run from its parts': queued while every part waits; running while any part runs,
 * dispatching while parts are being submitted and none runs yet, and running too once some have ended
 * and others have not (the run is under way). Once all have ended: failed if one failed (its siblings
 * were stopped because of it), else lost if one was lost, else cancelled if one was, else succeeded.
 */
export function splitState(states: readonly JobState[]): JobState {
  if (states.every((s) => s === 'queued')) return 'queued';
  if (states.some((s) => s === 'running')) return 'running';
  if (states.some((s) => !ended.has(s))) {
    const submitting = states.some((s) => s === 'dispatching');
    const someEnded = states.some((s) => ended.has(s));
    return submitting && !someEnded ? 'dispatching' : 'running';
  }
  for (const s of ['failed', 'lost', 'cancelled'] as const) if (states.includes(s)) return s;
  return 'succeeded';
}

/** The first defined value of `pick` over `parts`, by the smallest (or largest) value. */
function extreme(values: (number | undefined)[], which: 'min' | 'max'): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  if (known.length === 0) return undefined;
  return which === 'min' ? Math.min(...known) : Math.max(...known);
}

/** The error the run shows: the failing part's, else a lost one's, else a cancelled one's. */
function runError(parts: readonly SlimJob[]): SlimJob['error'] {
  for (const s of ['failed', 'lost', 'cancelled'] as const) {
    const part = parts.find((p) => p.state === s && p.error);
    if (part) return part.error;
  }
  return undefined;
}

/**
 * The record the run's item shows, made from its parts (in part order): the first part's workflow,
 * overrides, batch and folder; the state above; the servers of the parts, each once; every output and
 * warning; the earliest start and, once every part has ended, the last finish.
 */
export function splitRunJob(id: string, parts: readonly SlimJob[]): SlimJob {
  const first = parts[0];
  const state = splitState(parts.map((p) => p.state));
  const servers = [...new Set(parts.map((p) => p.server).filter((s): s is string => !!s))];
  const { promptId: _promptId, split: _split, ...common } = first;
  const job: SlimJob = {
    ...common,
    id,
    state,
    server: servers.length > 0 ? servers.join(', ') : undefined,
    attempt: Math.max(...parts.map((p) => p.attempt)),
    outputs: parts.flatMap((p) => p.outputs),
    warnings: [...new Set(parts.flatMap((p) => p.warnings))],
    restarts: parts.flatMap((p) => p.restarts ?? []),
    times: {
      queued: Math.min(...parts.map((p) => p.times.queued)),
      dispatched: extreme(
        parts.map((p) => p.times.dispatched),
        'min',
      ),
      started: extreme(
        parts.map((p) => p.times.started),
        'min',
      ),
      finished: ended.has(state)
        ? extreme(
            parts.map((p) => p.times.finished),
            'max',
          )
        : undefined,
      nodes: {},
    },
    error: runError(parts),
    blockedReason: state === 'queued' ? parts.find((p) => p.blockedReason)?.blockedReason : undefined,
  };
  if (job.server === undefined) delete job.server;
  if (job.error === undefined) delete job.error;
  if (job.blockedReason === undefined) delete job.blockedReason;
  if (job.restarts!.length === 0) delete job.restarts;
  return job;
}

/**
 * One progress figure for the run: every part's nodes counted (an upstream node two parts compute
 * counts twice, as it runs twice), the running steps of all of them, keyed by part and node.
 */
export function splitProgress(parts: readonly JobEntry[]): PromptProgress | undefined {
  if (!parts.some((p) => p.progress)) return undefined;
  const sum = emptyProgress();
  for (const part of parts) {
    const p = part.progress;
    sum.total += p ? p.total : part.nodeCount;
    // A part that ended has nothing left to do; one not on a server yet has all of its nodes to do.
    if (ended.has(part.job.state)) {
      sum.done += p ? p.total : part.nodeCount;
      continue;
    }
    if (!p) continue;
    sum.cached += p.cached;
    sum.done += p.done;
    sum.snapshots ||= p.snapshots;
    for (const [node, steps] of Object.entries(p.running)) sum.running[`${part.node.jobId}:${node}`] = steps;
  }
  return sum;
}

/** A split run's entry from its parts' entries (at least one), in part order. */
export function splitEntry(id: string, parts: readonly JobEntry[]): JobEntry {
  const first = parts[0];
  const job = splitRunJob(
    id,
    parts.map((p) => p.job),
  );
  const batch = first.job.batch;
  return {
    node: { kind: 'job', jobId: id },
    job,
    name: first.name,
    label: first.label,
    nodeCount: parts.reduce((n, p) => n + p.nodeCount, 0),
    batchId: batch && batch.size > 1 ? batch.id : undefined,
    group: groupOf(job.state),
    parts: parts.map((p) => p.node.jobId),
  };
}

/**
 * Makes a run's entry say what its parts say now, `part` (new or changed) among them: parts in part
 * order, the record, the progress figure, the node names, whether it is being cancelled, its group.
 */
export function refreshRun(run: JobEntry, part: JobEntry, entryOf: (id: string) => JobEntry): void {
  if (!run.parts!.includes(part.node.jobId)) run.parts!.push(part.node.jobId);
  const parts = run.parts!.map(entryOf);
  parts.sort((a, b) => (a.job.split?.index ?? 0) - (b.job.split?.index ?? 0));
  run.parts = parts.map((p) => p.node.jobId);
  run.job = splitRunJob(
    run.node.jobId,
    parts.map((p) => p.job),
  );
  run.progress = splitProgress(parts);
  run.nodeNames = partNodeNames(parts);
  if (parts.some((p) => p.cancelling)) run.cancelling = true;
  else delete run.cancelling;
  run.group = groupOf(run.job.state);
}

/**
 * A snapshot's views with each split run's parts replaced by one view of the run, where its first part
 * was, and the runs' entries. The run's view carries its record in place of a job's: the group lists
 * read only its id, state, times and queue position.
 */
export function snapshotRuns(
  views: readonly JobView[],
  entryOf: (id: string) => JobEntry,
): { views: JobView[]; runs: JobEntry[] } {
  const partsOf = new Map<string, JobEntry[]>();
  const shown: (JobView | string)[] = [];
  for (const view of views) {
    const entry = entryOf(view.job.id);
    if (entry.splitId === undefined) shown.push(view);
    else if (partsOf.has(entry.splitId)) partsOf.get(entry.splitId)!.push(entry);
    else {
      partsOf.set(entry.splitId, [entry]);
      shown.push(entry.splitId);
    }
  }
  const runs: JobEntry[] = [];
  const out = shown.map((v): JobView => {
    if (typeof v !== 'string') return v;
    const parts = partsOf.get(v)!;
    const run = splitEntry(v, parts);
    refreshRun(run, parts[0], entryOf);
    runs.push(run);
    const positions = views.filter((x) => run.parts!.includes(x.job.id)).map((x) => x.position);
    const known = positions.filter((p): p is number => p !== undefined);
    const view: JobView = { job: run.job as Job, progress: run.progress ?? emptyProgress() };
    if (known.length > 0) view.position = Math.min(...known);
    return view;
  });
  return { views: out, runs };
}

function emptyProgress(): PromptProgress {
  return { total: 0, cached: 0, done: 0, running: {}, phase: {}, snapshots: false };
}

/** `part 2 of 3 · Save mask`: the part's place in its run and its output nodes' titles (else classes). */
export function partLabel(job: Job, split: JobSplit): string {
  const names = split.outputs.map((id) => job.prompt[id]?._meta?.title ?? job.prompt[id]?.class_type ?? id);
  return [`part ${split.index} of ${split.size}`, names.join(', ')].filter(Boolean).join(' · ');
}

/** A split run's node names, keyed as its progress keys its running nodes (part id, then node id). */
export function partNodeNames(parts: readonly JobEntry[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const part of parts)
    for (const [node, name] of Object.entries(part.nodeNames ?? {}))
      names[`${part.node.jobId}:${node}`] = name;
  return names;
}
