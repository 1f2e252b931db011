/**
 * The items of the jobs overview (jobsOverview.ts) and what it keeps about each job, apart from the
 * overview itself so that its group lists (jobsOverviewGroup.ts) and the item texts (jobsOverviewItems.ts)
 * share them without importing the overview.
 */
import type { Job } from '../jobs/job';
import type { JobState } from '../jobs/jobState';
import type { PromptProgress } from '../protocol/promptProgress';

/** The groups, in the order they are shown. */
export type JobGroup = 'running' | 'queued' | 'finished' | 'failed';

/** Every group, in the order they are shown. */
export const jobGroups: readonly JobGroup[] = ['running', 'queued', 'finished', 'failed'];

/** The group a job in `state` is shown in; see jobsOverview.ts for why. */
export function groupOf(state: JobState): JobGroup {
  if (state === 'queued') return 'queued';
  if (state === 'dispatching' || state === 'running') return 'running';
  if (state === 'succeeded' || state === 'cancelled') return 'finished';
  return 'failed';
}

/** A group's item. */
export interface GroupNode {
  readonly kind: 'group';
  readonly group: JobGroup;
}

/** The jobs of one batch that are in one group. */
export interface BatchNode {
  readonly kind: 'batch';
  readonly group: JobGroup;
  readonly batchId: string;
}

/** One job's item; the same object wherever the job moves. */
export interface JobNode {
  readonly kind: 'job';
  readonly jobId: string;
}

/** The "show more" link at the end of a group or batch that has more than it shows. */
export interface MoreNode {
  readonly kind: 'more';
  readonly parent: ContainerNode;
}

/** An item of the overview. */
export type OverviewNode = GroupNode | BatchNode | JobNode | MoreNode;

/** An item with jobs inside. */
export type ContainerNode = GroupNode | BatchNode;

/** A job's record as the overview keeps it: without its prompt, the bulk of it. */
export type SlimJob = Omit<Job, 'prompt' | 'extraPngInfo'>;

/** One job in the overview. */
export interface JobEntry {
  readonly node: JobNode;
  job: SlimJob;
  /** The workflow file's name. */
  readonly name: string;
  /** The run label (`#3 seed=1234`); empty for a single run of the file as is. */
  readonly label: string;
  /** Nodes in its prompt. */
  readonly nodeCount: number;
  /** The batch it is folded into; undefined for a job alone. */
  readonly batchId: string | undefined;
  group: JobGroup;
  /** Node progress while it is on a server. */
  progress?: PromptProgress;
  /** What its nodes are called (title, else class), while it is on a server. */
  nodeNames?: Record<string, string>;
  /** Cancellation was asked and the server has not confirmed it yet. */
  cancelling?: boolean;
  /**
   * For a part of a split run (jobsOverviewSplit.ts): the run's id, which is its item's. A part is
   * listed under its run, never in a group or batch of its own.
   */
  readonly splitId?: string;
  /** For a part: which part it is and what it runs (`part 2 of 3 · Save mask`). */
  readonly partLabel?: string;
  /** For a split run's own entry: its parts' job ids, in part order. */
  parts?: string[];
}
