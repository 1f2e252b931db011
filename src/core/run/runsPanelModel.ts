/**
 * What the runs panel of one workflow shows, kept from a runner's snapshot and its events: every run of
 * that workflow file (those from before a reload and those a command line queued on the same store
 * included), each with its nodes in execution order, its progress, error, outputs and record, as the
 * plain JSON of the panel's protocol (src/shared/protocol.ts). A run split by branch across servers is one
 * run of the panel, under the split run's id: its parts' nodes, progress, outputs and state taken together
 * (as the Jobs tree does, jobsOverviewSplit.ts).
 *
 * The model sends nothing itself. A front end takes {@link RunsPanelModel.snapshot} when its webview is
 * ready and {@link RunsPanelModel.takeMessages} whenever it flushes (runsPanelFeed.ts throttles that);
 * between two flushes any number of events about a run become one `run/delta` with only the fields that
 * changed, and any number of previews the newest one.
 */
import { basename, join, resolve } from 'node:path';
import { splitPartsOf, type Job } from '../jobs/job';
import { reachable } from '../workflow/graph';
import type { HostMessage, PanelNode, PanelOutput, PanelRun, RunChanges } from '../../shared/protocol';
import { inputsLabel, jobInputs } from './jobLabel';
import { splitRunJob } from './jobsOverviewSplit';
import {
  nodeOf,
  progressOf,
  promptOrder,
  sortByStart,
  splitNodes,
  splitProgress,
  type RunExtras,
} from './runsPanelNodes';
import type { RunnerEvent, RunnerSnapshot } from './runner';

/** The preview image types shown. */
const PREVIEW_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp']);

/** Options of {@link RunsPanelModel}. */
export interface RunsPanelModelOptions {
  /** The workflow file whose runs the panel shows; compared as an absolute path. */
  readonly file: string;
  /** The address the webview loads an output file by (`asWebviewUri`). */
  readonly uriOf: (path: string) => string;
  /** The clock node times are taken from when a job's record has none yet. @default Date.now */
  readonly now?: () => number;
}

/** One workflow's runs for its panel; see the file comment. */
export class RunsPanelModel {
  private readonly file: string;
  private readonly now: () => number;
  private readonly jobs = new Map<string, Job>();
  private readonly extras = new Map<string, RunExtras>();
  /** What the webview was last sent of each run; absent for runs it has not been sent yet. */
  private readonly sent = new Map<string, PanelRun>();
  private readonly dirty = new Set<string>();
  private readonly previews = new Map<string, string>();
  /** Execution order of each prompt, by prompt hash (runs of one workflow mostly share it). */
  private readonly orders = new Map<string, string[]>();
  /** The nodes each part of a split run runs (its outputs and their ancestors), by part id. */
  private readonly partNodes = new Map<string, Set<string>>();

  constructor(private readonly options: RunsPanelModelOptions) {
    this.file = resolve(options.file);
    this.now = options.now ?? Date.now;
  }

  /** Starts again from a snapshot (the runner opened, or reopened): every run of the file in it. */
  reset(snapshot: Pick<RunnerSnapshot, 'jobs'>): void {
    this.jobs.clear();
    this.sent.clear();
    this.dirty.clear();
    this.previews.clear();
    for (const view of snapshot.jobs) {
      if (!this.concerns(view.job)) continue;
      this.jobs.set(view.job.id, view.job);
      this.extrasOf(view.job.id).progress = view.progress;
    }
  }

  /** Takes in one runner event; true when it is about a run of this workflow. */
  apply(event: RunnerEvent): boolean {
    // A split run's parts have their outputs moved into the run folder once all have ended (job/outputs).
    if (event.type === 'job/added' || event.type === 'job/state' || event.type === 'job/outputs') {
      if (!this.concerns(event.job)) return false;
      this.jobs.set(event.job.id, event.job);
      return this.touch(event.job.id);
    }
    if (!('jobId' in event) || !this.jobs.has(event.jobId)) return false;
    if (event.type === 'job/preview') {
      // The type comes from a server: only raster types an <img> shows go into the data URI.
      if (!PREVIEW_TYPES.has(event.mimeType)) return false;
      return this.preview(event.jobId, `data:${event.mimeType};base64,${event.image}`);
    }
    if (event.type === 'job/progress') this.extrasOf(event.jobId).progress = event.progress;
    else if (event.type === 'job/comfy') this.noteNodeTime(event.jobId, event.event);
    else return false;
    return this.touch(event.jobId);
  }

  /** Takes in a preview image of a run (a data URI); only the newest before a flush is sent. */
  preview(jobId: string, image: string): boolean {
    if (!this.jobs.has(jobId)) return false;
    this.previews.set(this.runIdOf(jobId), image);
    return true;
  }

  /** Takes in what a run's record adds to its job: the server's version and the starred outputs. */
  noteRecord(jobId: string, record: { comfyuiVersion?: string; starred?: readonly string[] }): boolean {
    const id = this.runIdOf(jobId);
    if (!this.isRun(id)) return false;
    const extras = this.extrasOf(id);
    extras.comfyuiVersion = record.comfyuiVersion;
    extras.starred = new Set(record.starred ?? []);
    return this.touch(id);
  }

  /** Marks one output of a run starred or not. */
  setStarred(jobId: string, path: string, starred: boolean): boolean {
    const id = this.runIdOf(jobId);
    if (!this.isRun(id)) return false;
    const set = this.extrasOf(id).starred;
    if (starred) set.add(path);
    else set.delete(path);
    return this.touch(id);
  }

  /**
   * A run's job record, when it is one of this workflow's: a job's own, or for a split run's id the
   * run taken together (its id, state, times, every output, the failing part's error, the whole prompt).
   */
  job(jobId: string): Job | undefined {
    const job = this.jobs.get(jobId);
    if (job) return job;
    const parts = this.partsOf(jobId);
    return parts.length > 0 ? this.splitRunJob(jobId, parts) : undefined;
  }

  /** Whether `id` is a run of this workflow: a job's own, or a split run's with parts here. */
  private isRun(id: string): boolean {
    return this.jobs.has(id) || this.partsOf(id).length > 0;
  }

  /** The id of the panel's run a job belongs to: the split run's for a part, else the job's own. */
  runIdOf(jobId: string): string {
    return this.jobs.get(jobId)?.split?.id ?? jobId;
  }

  /** Every run of the workflow, oldest first; a split run once, where its first part was queued. */
  runs(): PanelRun[] {
    return [...this.groups()].map(([id, group]) => this.build(id, group));
  }

  /** Every run's id with its jobs (a split run's parts, oldest first) and its number, oldest first. */
  private groups(): Map<string, { jobs: Job[]; number: number }> {
    const ordered = [...this.jobs.values()].sort((a, b) => a.times.queued - b.times.queued);
    const groups = new Map<string, { jobs: Job[]; number: number }>();
    for (const job of ordered) {
      const id = job.split?.id ?? job.id;
      const group = groups.get(id);
      if (group) group.jobs.push(job);
      else groups.set(id, { jobs: [job], number: groups.size + 1 });
    }
    return groups;
  }

  /** The panel's run `id` of a group: a job's own run, or a split run of its parts. */
  private build(id: string, { jobs, number }: { jobs: Job[]; number: number }): PanelRun {
    return jobs[0].split ? this.splitRunOf(id, jobs, number) : this.runOf(jobs[0], number);
  }

  /** The full snapshot for a webview that just said it is ready; what is pending is in it. */
  snapshot(servers: string[]): HostMessage {
    const runs = this.runs();
    this.sent.clear();
    for (const run of runs) this.sent.set(run.id, run);
    this.dirty.clear();
    this.previews.clear();
    return { type: 'runs/snapshot', workflow: { file: this.file, name: basename(this.file) }, runs, servers };
  }

  /** Whether {@link takeMessages} has anything to send. */
  get pending(): boolean {
    return this.dirty.size > 0 || this.previews.size > 0;
  }

  /** What changed since the last snapshot or flush: one message per new or changed run, then previews. */
  takeMessages(): HostMessage[] {
    const out: HostMessage[] = [];
    if (this.dirty.size > 0) {
      // Only the changed runs are built; the grouping is what numbers them.
      const groups = this.groups();
      for (const id of this.dirty) {
        const group = groups.get(id);
        if (!group) continue;
        const run = this.build(id, group);
        const before = this.sent.get(id);
        this.sent.set(id, run);
        if (!before) out.push({ type: 'run/added', run });
        else {
          const changes = changedFields(before, run);
          if (changes) out.push({ type: 'run/delta', id, changes });
        }
      }
      this.dirty.clear();
    }
    for (const [id, image] of this.previews) out.push({ type: 'run/preview', id, image });
    this.previews.clear();
    return out;
  }

  private concerns(job: Job): boolean {
    return resolve(job.workflow.file) === this.file;
  }

  private touch(jobId: string): true {
    this.dirty.add(this.runIdOf(jobId));
    return true;
  }

  /** The parts of the split run `id`, by part number. */
  private partsOf(id: string): Job[] {
    return splitPartsOf(this.jobs.values(), id);
  }

  /** A split run taken together as one job record (jobsOverviewSplit.ts), with its whole prompt. */
  private splitRunJob(id: string, parts: readonly Job[]): Job {
    const job: Job = { ...splitRunJob(id, parts), prompt: parts[0].prompt };
    // A retry of a split run retries its parts: the run it retries is their run.
    const retried = job.retryOf === undefined ? undefined : this.jobs.get(job.retryOf)?.split?.id;
    if (retried) job.retryOf = retried;
    return job;
  }

  /** The panel's run of a split run: the record taken together, each node as far as any part got it. */
  private splitRunOf(id: string, parts: readonly Job[], number: number): PanelRun {
    const job = this.splitRunJob(id, parts);
    const views = parts.map((part) => ({
      part,
      extras: this.extrasOf(part.id),
      runs: this.nodesOfPart(part),
    }));
    const nodes = splitNodes(this.orderOf(job), views, (node) => nodeOf(job, node, this.extrasOf(id)));
    return this.runOf(job, number, nodes, splitProgress(views));
  }

  private nodesOfPart(part: Job): Set<string> {
    let nodes = this.partNodes.get(part.id);
    if (!nodes) {
      nodes = reachable(part.prompt, part.split!.outputs);
      this.partNodes.set(part.id, nodes);
    }
    return nodes;
  }

  private extrasOf(jobId: string): RunExtras {
    let extras = this.extras.get(jobId);
    if (!extras) {
      extras = { nodeTimes: {}, starred: new Set() };
      this.extras.set(jobId, extras);
    }
    return extras;
  }

  private noteNodeTime(jobId: string, message: { type: string; data?: unknown }): void {
    const times = this.extrasOf(jobId).nodeTimes;
    const node = (message.data as { node?: unknown } | undefined)?.node;
    if (typeof node !== 'string') return;
    if (message.type === 'executing') times[node] = { ...times[node], started: this.now() };
    if (message.type === 'executed') times[node] = { ...times[node], finished: this.now() };
  }

  private runOf(job: Job, number: number, nodes?: PanelNode[], progress?: PanelRun['progress']): PanelRun {
    const extras = this.extrasOf(job.id);
    const inputs = jobInputs(job);
    const run: PanelRun = {
      id: job.id,
      number,
      // The panel numbers runs itself, so the label is the inputs alone (jobLabel adds a batch's #k).
      label: inputsLabel(inputs),
      inputs,
      state: job.state,
      attempt: job.attempt,
      queued: job.times.queued,
      progress: progress ?? progressOf(job, extras.progress),
      nodes: nodes ?? this.nodesOf(job, extras),
      outputs: job.outputs.map((o): PanelOutput => {
        const path = join(job.outDir, o.path);
        const { nodeId, kind, index } = o;
        const starred = extras.starred.has(path);
        return { path, uri: this.options.uriOf(path), name: basename(o.path), nodeId, kind, index, starred };
      }),
      record: { promptHash: job.workflow.promptHash, outDir: job.outDir },
    };
    if (job.server) run.server = job.server;
    if (job.retryOf) run.retryOf = job.retryOf;
    if (job.times.started !== undefined) run.started = job.times.started;
    if (job.times.finished !== undefined) run.finished = job.times.finished;
    if (job.promptId) run.record.promptId = job.promptId;
    if (extras.comfyuiVersion) run.record.comfyuiVersion = extras.comfyuiVersion;
    if (job.error) {
      const e = job.error;
      run.error = { message: e.message, reason: e.reason, traceback: e.traceback ?? [] };
      if (e.node_id) run.error.nodeId = e.node_id;
      if (e.node_type) run.error.nodeType = e.node_type;
      if (e.exception_type) run.error.exceptionType = e.exception_type;
    }
    return run;
  }

  /** The run's nodes: those that started in the order they did, then the rest in the prompt's order. */
  private nodesOf(job: Job, extras: RunExtras): PanelNode[] {
    return sortByStart(this.orderOf(job).map((id) => nodeOf(job, id, extras)));
  }

  private orderOf(job: Job): string[] {
    const key = job.workflow.promptHash;
    let order = this.orders.get(key);
    if (!order) {
      order = promptOrder(job.prompt);
      this.orders.set(key, order);
    }
    return order;
  }
}

/** The fields of `after` that differ from `before`, or undefined when none does. */
function changedFields(before: PanelRun, after: PanelRun): RunChanges | undefined {
  const changes: Record<string, unknown> = {};
  let any = false;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof PanelRun>;
  for (const key of keys) {
    if (key === 'id') continue;
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    // An absent field is sent as null, which JSON keeps: the webview then drops it.
    changes[key] = after[key] ?? null;
    any = true;
  }
  return any ? (changes as RunChanges) : undefined;
}
