/**
 * Everything a UI shows about the scheduler, as one plain JSON snapshot: the jobs with their progress
 * and why they wait, the targets with their health and slots, and the queue's own switches.
 */
import type { Job } from '../jobs/job';
import type { PromptProgress } from '../protocol/promptProgress';
import type { TargetView } from './pool/poolTarget';

/** One job as a UI shows it. */
export interface JobView {
  /** The job's record (its `blockedReason` says why no target can run it). */
  job: Job;
  progress: PromptProgress;
  /** Its place in the queue, 0 being the next to go; absent when it is not queued. */
  position?: number;
  /** The dependencies it still waits for; absent when none. */
  waitingFor?: string[];
  /** Cancellation was asked and the target has not confirmed it yet. */
  cancelling?: boolean;
}

/** The whole scheduler as a UI shows it. */
export interface SchedulerView {
  /** Nothing new is dispatched while paused; running jobs go on. */
  paused: boolean;
  /** The global cap; null when there is none. */
  concurrency: number | null;
  /** Jobs on targets now. */
  running: number;
  /** Jobs in the queue. */
  queued: number;
  /** Every job, in the order they were added. */
  jobs: JobView[];
  /** Every target, in the order they joined. */
  targets: TargetView[];
}

/** What the view is built from. */
export interface ViewSources {
  jobs: Iterable<Job>;
  queueOrder: readonly string[];
  progressOf(id: string): PromptProgress | undefined;
  waitingFor(id: string): string[];
  isCancelling(id: string): boolean;
  targets: TargetView[];
  paused: boolean;
  concurrency: number;
  running: number;
}

/** Builds the view; every object in it is a copy. */
export function buildView(s: ViewSources): SchedulerView {
  const position = new Map(s.queueOrder.map((id, i) => [id, i]));
  const jobs: JobView[] = [];
  for (const job of s.jobs) {
    const view: JobView = { job: structuredClone(job), progress: structuredClone(s.progressOf(job.id)!) };
    const at = position.get(job.id);
    if (at !== undefined) view.position = at;
    const waiting = s.waitingFor(job.id);
    if (waiting.length > 0) view.waitingFor = waiting;
    if (s.isCancelling(job.id)) view.cancelling = true;
    jobs.push(view);
  }
  return {
    paused: s.paused,
    concurrency: Number.isFinite(s.concurrency) ? s.concurrency : null,
    running: s.running,
    queued: s.queueOrder.length,
    jobs,
    targets: s.targets,
  };
}
