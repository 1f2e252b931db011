/**
 * A job: one run of one workflow, with everything needed to run it again and everything learned from
 * running it. Jobs are plain JSON so they can be stored, sent to a UI and read back unchanged.
 */
import { randomUUID } from 'node:crypto';
import type { RunnerErrorReason } from '../util/runnerError';
import type { Override } from '../workflow/overrides';
import type { ApiPrompt, EditorWorkflow } from '../workflow/types';
import { nextState, type JobOperation, type JobState } from './jobState';

/** One output file collected into the job's folder. */
export interface JobOutput {
  /** Path of the file in the run's folder. */
  path: string;
  /** The node that produced it, and where it sat in that node's UI output. */
  nodeId: string;
  kind: string;
  index: number;
  size: number;
  sha256: string;
}

/** Why a job failed, as shown to the user: ComfyUI's fields where a node was at fault. */
export interface JobError {
  message: string;
  /** The RunnerError reason behind it. */
  reason: RunnerErrorReason;
  node_id?: string;
  node_type?: string;
  exception_type?: string;
  traceback?: string[];
  /** Validation problems in ComfyUI's `node_errors` shape, when the prompt was rejected. */
  node_errors?: Record<string, unknown>;
  /** The job whose failure, cancellation or loss stopped this one before it ran (`dependency_failed`). */
  dependency?: string;
  /**
   * The part of the same split run whose failure stopped this one (`split_stopped`): its job id and its
   * part number, so a UI can say "stopped: part 2 failed".
   */
  stoppedBy?: { job: string; index: number };
}

/** Where a job may run; both lists empty or absent means on any target. */
export interface JobPlacement {
  /** Target names the job may run on. */
  targets?: string[];
  /** Tags of which a target must carry at least one. */
  tags?: string[];
}

/** One automatic resubmission of a job whose submission failed before it started. */
export interface AutoRetryRecord {
  /** When the failed submission ended, in ms since the epoch. */
  at: number;
  /** The RunnerError reason of the failure (`server_unreachable`, `timeout`). */
  reason: RunnerErrorReason;
  message: string;
  /** The target the submission failed on. */
  target: string;
}

/**
 * A run of a job that the runner's stopping cut short on a target inside its own process (the embedded
 * engine): nothing of it was kept, and the same job ran again after it.
 */
export interface RestartRecord {
  /** When the next runner took the job back and queued it again, in ms since the epoch. */
  at: number;
  /** When the run cut short had started, in ms since the epoch, as far as its record got. */
  started?: number;
  /** The target the run was on. */
  target: string;
  /** What happened, as shown to the user: the runner stopped during the run. */
  message: string;
}

/** Where a job stands among the jobs one request made of one workflow: its runs and sweep combinations. */
export interface JobBatch {
  /** The same for every job of the batch. */
  id: string;
  /** The job's run number within the batch, from 1, in the order the jobs were planned. */
  index: number;
  /** How many jobs the batch has. */
  size: number;
}

/** Where a job stands in a split run: one part of one run split by branch across servers. */
export interface JobSplit {
  /** The run's id, the same for every part (the parent the Jobs tree shows). */
  id: string;
  /** The part's number, from 1, in the order of its first output node id. */
  index: number;
  /** How many parts the run has. */
  size: number;
  /** The output node ids this part runs. */
  outputs: string[];
}

/**
 * The ids of `jobs` with one per split run (its first part's, in the order given): a retry of any part
 * retries the whole run, so asking once per part would run it several times.
 */
export function onePerSplitRun(jobs: readonly { id: string; split?: JobSplit }[]): string[] {
  const runs = new Set<string>();
  return jobs.flatMap((j) => {
    if (!j.split) return [j.id];
    if (runs.has(j.split.id)) return [];
    runs.add(j.split.id);
    return [j.id];
  });
}

/** The parts of the split run `runId` among `jobs`, by part number; none when no job is its part. */
export function splitPartsOf(jobs: Iterable<Job>, runId: string): Job[] {
  const parts = [...jobs].filter((j) => j.split?.id === runId);
  return parts.sort((a, b) => a.split!.index - b.split!.index);
}

/** The timestamps of a job, in ms since the epoch. */
export interface JobTimes {
  queued: number;
  dispatched?: number;
  /**
   * When the target said the server accepted the prompt. A job `dispatching` with a prompt id but no
   * acceptance may never have reached its server, so a restarted runner asks before submitting it.
   */
  accepted?: number;
  started?: number;
  finished?: number;
  /** Per node: when it started and finished executing (cached nodes are absent). */
  nodes: Record<string, { started: number; finished?: number }>;
}

/** A job record. */
export interface Job {
  id: string;
  workflow: { file: string; sourceHash: string; promptHash: string };
  prompt: ApiPrompt;
  extraPngInfo?: { workflow: EditorWorkflow };
  /**
   * Input values set on the prompt before it ran: `--set`, a sweep's values, then the seeds a run of
   * several chose (each seed whose control is not fixed, on every run of the batch).
   */
  overrides: Override[];
  /** Which run of its batch the job is; absent for jobs made before batches were recorded. */
  batch?: JobBatch;
  /**
   * Which part of a run split by branch the job is; absent for a whole run. Every part of one run shares
   * `batch` and `outDir` (the run's folder).
   */
  split?: JobSplit;
  state: JobState;
  /** The server it ran or runs on, by name. */
  server?: string;
  /** The ComfyUI prompt id used on the server. */
  promptId?: string;
  /** 1 for a first run; a retry is a new job with `attempt + 1` and `retryOf` set. */
  attempt: number;
  retryOf?: string;
  /** Folder the job's outputs and run record go to. */
  outDir: string;
  outputs: JobOutput[];
  error?: JobError;
  /**
   * Warnings that did not stop the job: the conversion's (a muted or bypassed node's input dropped),
   * then the run's (a partial validation, a blocked node).
   */
  warnings: string[];
  times: JobTimes;
  /** Higher runs first; equal priorities run in the order they were queued. Absent means 0. */
  priority?: number;
  /** Jobs that must all succeed before this one starts; if one does not, this one fails unrun. */
  dependsOn?: string[];
  /** Where the job may run; absent means on any target that can. */
  runOn?: JobPlacement;
  /** What happens when no target can run the job: wait for one, or fail at once. Absent means wait. */
  onNoTarget?: 'wait' | 'fail';
  /** Why no target can run the job, server by server; set while it waits for one, for a UI to show. */
  blockedReason?: string;
  /** The automatic resubmissions after failures before the job started, oldest first. */
  autoRetries?: AutoRetryRecord[];
  /** The runs cut short by the runner stopping during them, each followed by a new run, oldest first. */
  restarts?: RestartRecord[];
}

/** What the caller supplies to create a job. */
export type NewJob = Pick<Job, 'workflow' | 'prompt' | 'extraPngInfo' | 'overrides' | 'outDir'> &
  Partial<
    Pick<
      Job,
      | 'attempt'
      | 'retryOf'
      | 'id'
      | 'priority'
      | 'dependsOn'
      | 'runOn'
      | 'onNoTarget'
      | 'warnings'
      | 'batch'
      | 'split'
    >
  >;

/** A new job in state `queued`. */
export function createJob(spec: NewJob, now = Date.now()): Job {
  return {
    attempt: 1,
    ...spec,
    id: spec.id ?? randomUUID(),
    state: 'queued',
    outputs: [],
    // Warnings known before the run (the conversion's) come first; the run adds its own.
    warnings: [...(spec.warnings ?? [])],
    times: { queued: now, nodes: {} },
  };
}

/** Applies a named operation to a job in place, stamping the time; throws on an illegal move. */
export function applyOperation(job: Job, op: JobOperation, now = Date.now()): Job {
  job.state = nextState(job.state, op);
  if (op === 'dispatch') job.times.dispatched = now;
  if (op === 'start') job.times.started = now;
  if (op === 'requeue' || op === 'restart') delete job.times.dispatched;
  if (op === 'restart') {
    // The run cut short is gone with its target: the next run is submitted afresh, wherever it goes.
    delete job.server;
    delete job.promptId;
    delete job.times.accepted;
    delete job.times.started;
    job.times.nodes = {};
  }
  if (
    job.state === 'succeeded' ||
    job.state === 'failed' ||
    job.state === 'cancelled' ||
    job.state === 'lost'
  ) {
    job.times.finished = now;
  }
  return job;
}
