/**
 * A runner's servers as a list UI shows them (the editor's Servers tree): the embedded engine and every
 * server of the pool, each with its health (ok, unreachable, authentication refused, switched off), its
 * ComfyUI version, its devices and free VRAM from `/system_stats`, how many jobs it runs and holds in
 * its own queue, and, for the workflow the user looks at, why it cannot run it. Kept from one snapshot,
 * the runner's events, and the stats and verdicts the UI asks the runner for; it says which servers
 * changed since it was last asked.
 */
import type { SystemStats } from '../comfy/systemStats';
import type { Job } from '../jobs/job';
import type { TargetView } from '../scheduler/pool/poolTarget';
import type { JobView } from '../scheduler/schedulerView';
import type { RunnerErrorReason } from '../util/runnerError';
import type { RunnerEvent } from './runner';
import type { WorkflowVerdict } from './workflowVerdicts';

/** What asking a server for its stats gave. */
export type StatsResult =
  { ok: true; stats: SystemStats } | { ok: false; reason: RunnerErrorReason; message: string };

/** A server's health as shown. */
export type ServerHealth = 'ok' | 'connecting' | 'unreachable' | 'auth' | 'disabled';

/** One server as the overview keeps it. */
export interface ServerEntry {
  view: TargetView;
  /** Jobs executing on it now. */
  running: number;
  /** Jobs submitted to it that wait in its own queue (prefetched, or being submitted). */
  queued: number;
  stats?: StatsResult;
  /** What it is to the workflow the user looks at; undefined when there is none. */
  verdict?: WorkflowVerdict;
}

/** What changed since the last {@link ServersOverview.takeChanges}. */
export interface ServerChanges {
  /** The list of servers itself changed (a server joined, a reset). */
  root: boolean;
  /** The servers to draw again; empty when `root`. */
  names: string[];
}

/** The overview; see the file comment. */
export class ServersOverview {
  private readonly entries = new Map<string, ServerEntry>();
  /** Where each job that is on a server is, and whether it executes there yet. */
  private readonly placed = new Map<string, { server: string; running: boolean }>();
  private readonly dirty = new Set<string>();
  private rootDirty = false;
  private workflow: string | undefined;

  /** Starts again from a runner snapshot. */
  reset(snapshot: { targets: readonly TargetView[]; jobs: readonly JobView[] }): void {
    const kept = new Map([...this.entries].map(([name, e]) => [name, e.stats]));
    this.entries.clear();
    this.placed.clear();
    for (const view of snapshot.targets) {
      const stats = kept.get(view.name);
      this.entries.set(view.name, { view, running: 0, queued: 0, ...(stats && { stats }) });
    }
    for (const { job } of snapshot.jobs) this.place(job);
    this.rootDirty = true;
  }

  /** Takes one runner event into account. */
  apply(event: RunnerEvent): void {
    switch (event.type) {
      case 'target/health':
      case 'target/changed':
        return this.targetChanged(event.target);
      case 'job/added':
      case 'job/state':
        return this.place(event.job);
      default:
        return;
    }
  }

  /** Keeps what asking a server for its stats gave. */
  setStats(name: string, result: StatsResult): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.stats = result;
    this.dirty.add(name);
  }

  /** The workflow the user looks at and each server's verdict on it; undefined when there is none. */
  setVerdicts(file: string | undefined, verdicts: readonly WorkflowVerdict[] = []): void {
    this.workflow = file;
    const byServer = new Map(verdicts.map((v) => [v.server, v]));
    for (const [name, entry] of this.entries) {
      const next = file === undefined ? undefined : byServer.get(name);
      if (JSON.stringify(next) === JSON.stringify(entry.verdict)) continue;
      if (next) entry.verdict = next;
      else delete entry.verdict;
      this.dirty.add(name);
    }
  }

  /** The workflow the verdicts are about. */
  get workflowFile(): string | undefined {
    return this.workflow;
  }

  /** What changed since the last call, then forgets it. */
  takeChanges(): ServerChanges {
    const changes = { root: this.rootDirty, names: this.rootDirty ? [] : [...this.dirty] };
    this.rootDirty = false;
    this.dirty.clear();
    return changes;
  }

  /** Every server, in pool order. */
  servers(): ServerEntry[] {
    return [...this.entries.values()];
  }

  /** One server. */
  server(name: string): ServerEntry | undefined {
    return this.entries.get(name);
  }

  private targetChanged(view: TargetView): void {
    const entry = this.entries.get(view.name);
    if (!entry) {
      this.entries.set(view.name, { view, running: 0, queued: 0 });
      this.rootDirty = true;
      return;
    }
    entry.view = view;
    this.dirty.add(view.name);
  }

  /** Counts a job where it is now: executing on a server, waiting in a server's queue, or on none. */
  private place(job: Job): void {
    const before = this.placed.get(job.id);
    const on = job.state === 'running' || job.state === 'dispatching' ? job.server : undefined;
    const now = on === undefined ? undefined : { server: on, running: job.state === 'running' };
    if (before?.server === now?.server && before?.running === now?.running) return;
    if (before) this.count(before, -1);
    if (now) this.count(now, 1);
    if (now) this.placed.set(job.id, now);
    else this.placed.delete(job.id);
  }

  private count(at: { server: string; running: boolean }, by: 1 | -1): void {
    const entry = this.entries.get(at.server);
    if (!entry) return;
    if (at.running) entry.running += by;
    else entry.queued += by;
    this.dirty.add(at.server);
  }
}

/** A server's health, from its switch, its last stats and the pool's view of it. */
export function healthOf(entry: ServerEntry): { health: ServerHealth; text: string } {
  const { view, stats } = entry;
  if (!view.enabled) return { health: 'disabled', text: 'switched off' };
  if (stats && !stats.ok && stats.reason === 'auth')
    return { health: 'auth', text: 'authentication refused' };
  if (view.health === 'down') return { health: 'unreachable', text: view.healthReason ?? 'unreachable' };
  if (stats && !stats.ok) return { health: 'unreachable', text: stats.message };
  if (view.health === 'unknown') return { health: 'connecting', text: 'connecting' };
  return { health: 'ok', text: 'ok' };
}
