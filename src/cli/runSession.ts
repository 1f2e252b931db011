/**
 * What `run` and `jobs resume` share on the command line: the store options, stopping on Ctrl-C, and
 * exit codes. The run itself is core/run's.
 */
import type { RunnerOptions } from '../core/run/runner';
import { runOutcome } from '../core/run/runOutcome';
import type { Job } from '../core/jobs/job';
import type { CliIo } from './output';

/**
 * Store options of the command line: requests, answers and other processes' writes are noticed within
 * a quarter of a second, which a person waiting on `jobs cancel` notices and a disk does not.
 */
export const cliStoreOptions: NonNullable<RunnerOptions['store']> = { pollMs: 250 };

/**
 * What every command-line runner is opened with: it fails a job no server can run (a command line that
 * waited for one would never end), notices other processes quickly, starts paused so that nothing is
 * dispatched before the command follows its jobs, and prints problems nobody can be thrown at. The
 * JavaScript stack of an engine node that threw is printed only with COMFY_RUNNER_DEBUG set, as the
 * stack of an internal error is: the job's error names the node, the exception and its message.
 */
export function cliRunnerOptions(io: CliIo) {
  return {
    onNoTarget: 'fail',
    store: cliStoreOptions,
    paused: true,
    onProblem: (e: Error) => io.err(`comfy-runner: ${e.message}`),
    engineLog: (entry: string) => {
      if (process.env.COMFY_RUNNER_DEBUG) io.err(entry.trimEnd());
    },
  } as const satisfies Partial<RunnerOptions>;
}

/**
 * A signal that aborts on the first Ctrl-C (SIGINT) or SIGTERM while a command follows its jobs, so it
 * can cancel them and leave its store tidy. Its handlers are removed then (and by `dispose`), so a second
 * Ctrl-C ends the process at once, as it would without them.
 */
export function stopOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = () => {
    dispose();
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, dispose };
}

/** The exit code of a command stopped by a signal: 128 + SIGINT's number, as shells report it. */
export const stoppedExitCode = 130;

/** 0 when every job succeeded; 3 when one failed because no server could run it; 1 otherwise. */
export function exitCodeOf(jobs: readonly Job[]): number {
  return { succeeded: 0, no_server: 3, failed: 1 }[runOutcome(jobs)];
}
