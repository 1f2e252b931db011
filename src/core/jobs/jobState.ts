/**
 * A job's lifecycle: the states, the legal moves between them in one table, and the named operations
 * that make each move. Node progress inside a running job is kept apart from the job's own state.
 */
import { RunnerError } from '../util/runnerError';

/** Where a job is in its life. */
export type JobState = 'queued' | 'dispatching' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'lost';

/** The named operations that move a job, each from a fixed set of states to one state. */
export type JobOperation =
  'dispatch' | 'start' | 'requeue' | 'restart' | 'succeed' | 'fail' | 'cancel' | 'lose';

/** The one table of legal moves: operation -> the states it may start from and the state it ends in. */
export const jobTransitions: Readonly<Record<JobOperation, { from: readonly JobState[]; to: JobState }>> = {
  /** The scheduler picked a server and is submitting the prompt. */
  dispatch: { from: ['queued'], to: 'dispatching' },
  /** The server began executing the prompt. */
  start: { from: ['dispatching'], to: 'running' },
  /**
   * Submission failed before the server accepted anything, or the runner stopped before the job started
   * on a target inside its own process; the job waits again.
   */
  requeue: { from: ['dispatching'], to: 'queued' },
  /**
   * The runner stopped while the job ran on a target inside its own process (the embedded engine), which
   * died with it: the run left nothing and runs nowhere, so the same job waits to run again.
   */
  restart: { from: ['running'], to: 'queued' },
  /** Every output was produced and collected. */
  succeed: { from: ['running'], to: 'succeeded' },
  /** Rejected at submission, or a node raised. Final: a retry is a new attempt. */
  fail: { from: ['queued', 'dispatching', 'running'], to: 'failed' },
  /** The user cancelled it, or it was interrupted. */
  cancel: { from: ['queued', 'dispatching', 'running'], to: 'cancelled' },
  /** The server no longer knows the prompt (restart, removed by someone else). */
  lose: { from: ['dispatching', 'running'], to: 'lost' },
};

/** States a job never leaves. */
export const terminalStates: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled', 'lost']);

/** True when `op` may be applied to a job in `state`. */
export function canApply(state: JobState, op: JobOperation): boolean {
  return jobTransitions[op].from.includes(state);
}

/** The state after applying `op` to a job in `state`; throws an internal error for an illegal move. */
export function nextState(state: JobState, op: JobOperation): JobState {
  if (!canApply(state, op)) {
    throw new RunnerError('internal', `illegal job transition: ${op} from ${state}`, {}, { state, op });
  }
  return jobTransitions[op].to;
}
