/**
 * Errors that cross module boundaries carry a machine-readable reason; tests and callers switch on
 * `reason`, never on the message text.
 */

/** Every reason a {@link RunnerError} can carry, each with what it means. */
export const runnerErrorReasons = [
  /** The user's input is at fault: a file, a workflow, an argument. Exit code 2 on the command line. */
  'bad_input',
  /** A server could not be reached. */
  'server_unreachable',
  /** A server (or our validator) rejected the prompt. */
  'prompt_rejected',
  /** A node raised while the prompt ran. */
  'execution_failed',
  /** The prompt was interrupted or cancelled. */
  'interrupted',
  /** The server no longer knows the prompt (restart, removed by someone else). */
  'lost',
  /** Something took longer than allowed. */
  'timeout',
  /** Something was larger than allowed: an output file over the download size cap. */
  'too_large',
  /** A server said something we could not understand. */
  'protocol',
  /** A server or proxy refused our credentials. */
  'auth',
  /** No server can run the workflow. */
  'no_capable_server',
  /** A job this one depends on failed, was cancelled or was lost, so this one never ran. */
  'dependency_failed',
  /** Another part of the same split run failed, so this part was stopped (shown as stopped, not failed). */
  'split_stopped',
  /** A bug of ours. Exit code 1 on the command line. */
  'internal',
] as const;

/** Why something failed. */
export type RunnerErrorReason = (typeof runnerErrorReasons)[number];

/** Where in a workflow a problem lies; every field is optional because not every problem has each. */
export interface ProblemLocation {
  file?: string;
  nodeId?: string;
  classType?: string;
  title?: string;
  inputName?: string;
}

/** An error with a reason, a location and optional typed details. */
export class RunnerError extends Error {
  override readonly name = 'RunnerError';

  constructor(
    readonly reason: RunnerErrorReason,
    message: string,
    readonly location: ProblemLocation = {},
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** True when `e` is a {@link RunnerError} with one of the given reasons (any reason if none given). */
export function isRunnerError(e: unknown, ...reasons: RunnerErrorReason[]): e is RunnerError {
  return e instanceof RunnerError && (reasons.length === 0 || reasons.includes(e.reason));
}
