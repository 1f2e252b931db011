/**
 * The latest run of each workflow file, and how a front end says how it went: "succeeded in 1.2 s,
 * 3 outputs", "failed after 0.4 s: Prompt outputs failed validation". The extension shows it above a
 * workflow's first line and on the file in the Explorer.
 */
import { resolve } from 'node:path';
import type { Job } from '../jobs/job';

/** How a workflow file's latest run stands, as one word a decoration can key on. */
export type LastRunStatus = 'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The status of `job`: queued and dispatching jobs wait; lost ones failed (their server forgot them). */
export function lastRunStatus(job: Job): LastRunStatus {
  switch (job.state) {
    case 'queued':
    case 'dispatching':
      return 'waiting';
    case 'running':
      return 'running';
    case 'succeeded':
      return 'succeeded';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
    case 'lost':
      return 'failed';
  }
}

/** A short account of `job`, e.g. `succeeded in 1.2 s, 3 outputs`; `now` ends a run whose end is not stamped. */
export function lastRunSummary(job: Job, now = Date.now()): string {
  const t = job.times;
  const took = formatDuration((t.finished ?? now) - (t.started ?? t.dispatched ?? t.queued));
  switch (job.state) {
    case 'queued':
      return job.blockedReason ? `queued, waiting for a server: ${firstLine(job.blockedReason)}` : 'queued';
    case 'dispatching':
      return `starting${job.server ? ` on ${job.server}` : ''}`;
    case 'running':
      // Untimed: a lens or a tooltip showing it is not redrawn every second.
      return `running${job.server ? ` on ${job.server}` : ''}`;
    case 'succeeded':
      return `succeeded in ${took}, ${count(job.outputs.length, 'output')}`;
    case 'failed':
      return `failed after ${took}${job.error ? `: ${firstLine(job.error.message)}` : ''}`;
    case 'cancelled':
      return `cancelled after ${took}`;
    case 'lost':
      return `lost after ${took}: ${job.server ?? 'the server'} no longer knows the prompt`;
  }
}

/** `ms` as people read it: `0.4 s`, `12 s`, `3 min 5 s`, `2 h 10 min`. Negative counts as 0. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${(Math.floor(s * 10) / 10).toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The first line of `text`, cut to 100 characters. */
function firstLine(text: string): string {
  const line = text.split('\n', 1)[0].trim();
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/**
 * The latest job of each workflow file, kept up to date from the jobs a runner reports. The latest is
 * the one queued last; a later report of the same job replaces it. Files are compared as absolute
 * paths, so `flows/a.json` and `/work/flows/a.json` (run from /work) are the same file.
 */
export class LatestRuns {
  private readonly byFile = new Map<string, Job>();

  /** Notes `job` (new, or in a new state); returns true when it is now its file's latest run. */
  note(job: Job): boolean {
    const key = resolve(job.workflow.file);
    const known = this.byFile.get(key);
    if (known && known.id !== job.id && known.times.queued > job.times.queued) return false;
    this.byFile.set(key, job);
    return true;
  }

  /** The latest job of `file`, if it ever ran. */
  of(file: string): Job | undefined {
    return this.byFile.get(resolve(file));
  }

  /** Forgets every job (the runner closed). */
  clear(): void {
    this.byFile.clear();
  }
}
