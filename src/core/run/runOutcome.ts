/**
 * How a set of followed jobs ended, as a front end reports it: all succeeded; one failed only because no
 * server could take the work (nothing was wrong with the work itself); or something failed.
 */
import type { Job } from '../jobs/job';
import type { RunnerErrorReason } from '../util/runnerError';

/** The ending of a set of jobs. */
export type RunOutcome = 'succeeded' | 'no_server' | 'failed';

/** Job errors that mean no server could take the work, rather than that the work failed. */
const NO_SERVER: ReadonlySet<RunnerErrorReason> = new Set([
  'no_capable_server',
  'server_unreachable',
  'auth',
]);

/** `succeeded` when every job did; `no_server` when one failed because no server could run it. */
export function runOutcome(jobs: readonly Job[]): RunOutcome {
  if (jobs.every((j) => j.state === 'succeeded')) return 'succeeded';
  const noServer = jobs.some(
    (j) => j.state === 'failed' && j.error !== undefined && NO_SERVER.has(j.error.reason),
  );
  return noServer ? 'no_server' : 'failed';
}
