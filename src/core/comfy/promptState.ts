/**
 * The states of one prompt on a ComfyUI server and the only moves between them (house style rule 6).
 * Node progress inside a prompt is kept apart, in the tracker.
 */
import { RunnerError } from '../util/runnerError';

/** Where a prompt stands. */
export type PromptState =
  /** Registered before `POST /prompt`; events that arrive before the reply are buffered. */
  | 'submitting'
  /** The server accepted it and it waits in the queue. */
  | 'queued'
  /** `execution_start` (or any execution event) arrived. */
  | 'running'
  /** `execution_success`, or history says success. */
  | 'succeeded'
  /** `execution_error` (other than ExecutionBlocked), or history says error. */
  | 'failed'
  /** `execution_interrupted`, or it was removed from the queue by a cancel. */
  | 'interrupted'
  /** The server no longer knows it: restarted, cleared by someone else, or gone for too long. */
  | 'lost';

const transitions: Record<PromptState, readonly PromptState[]> = {
  submitting: ['queued', 'lost'],
  queued: ['running', 'succeeded', 'failed', 'interrupted', 'lost'],
  running: ['succeeded', 'failed', 'interrupted', 'lost'],
  succeeded: [],
  failed: [],
  interrupted: [],
  lost: [],
};

/** True for the states a prompt never leaves. */
export function isTerminal(state: PromptState): boolean {
  return transitions[state].length === 0;
}

/** True if `from -> to` is a legal move. */
export function canMove(from: PromptState, to: PromptState): boolean {
  return transitions[from].includes(to);
}

/** Checks a move; an illegal one is our bug. */
export function assertMove(from: PromptState, to: PromptState): void {
  if (!canMove(from, to)) throw new RunnerError('internal', `A prompt cannot go from ${from} to ${to}`);
}
