/** The error a store gives when another live process owns it. */
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { OwnerRecord } from './ownerLock';

/** The error for a store another live process owns: `bad_input`, naming the owner. */
export function storeInUse(dir: string, owner: OwnerRecord): RunnerError {
  return new RunnerError(
    'bad_input',
    `the job store ${dir} is in use by process ${owner.pid} on ${owner.hostname}`,
    { file: dir },
    { owner },
  );
}

/** True when `e` is the error of {@link storeInUse}: another live process owns the store. */
export function isStoreInUse(e: unknown): e is RunnerError {
  return (
    isRunnerError(e, 'bad_input') &&
    typeof e.details === 'object' &&
    e.details !== null &&
    'owner' in e.details
  );
}
