/**
 * The one error a disposed engine fails with, whether the engine refuses a prompt or its worker pool
 * refuses a task: using an engine after disposing it is a bug of the caller's, so the reason is
 * `internal`.
 */
import { RunnerError } from '../util/runnerError';

/** A fresh `RunnerError('internal')` saying that the engine was disposed. */
export function engineDisposedError(): RunnerError {
  return new RunnerError('internal', 'the engine was disposed');
}
