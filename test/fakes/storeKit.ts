/**
 * Helpers for job store tests: a fresh folder, a job to store, a clock that moves only when told, and
 * options that keep timers out of unit tests.
 */
import { join } from 'node:path';
import { createJob, type Job } from '../../src/core/jobs/job';
import type { StoreOptions } from '../../src/core/store/jobStore';
import { tempDir } from './tempDirs';

/**
 * A path for a store that does not exist yet, inside a new temporary folder (removed after the test, see
 * tempDirs.ts).
 */
export function tempStoreDir(): string {
  return join(tempDir('store-'), 'store');
}

/** A clock for `StoreOptions.now` that only moves when `advance` is called. */
export function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/**
 * Options for a handle that neither watches nor beats on its own, so a test decides when things happen.
 * `pid` lets two handles in one process stand for two processes; `alive` says which pids exist.
 */
export function quietOptions(
  clock: { now: () => number },
  pid = 1000,
  alive: ReadonlySet<number> = new Set([1000, 2000]),
): StoreOptions {
  return {
    now: clock.now,
    pid,
    hostname: 'test-host',
    heartbeatMs: 0,
    staleAfterMs: 30_000,
    watch: 'off',
    isProcessAlive: (p) => alive.has(p),
  };
}

/** A small job; `patch` changes any field. */
export function sampleJob(patch: Partial<Job> = {}, queued = 1_700_000_000_000): Job {
  const job = createJob(
    {
      workflow: { file: 'flows/invert.json', sourceHash: 'a'.repeat(64), promptHash: 'b'.repeat(64) },
      prompt: { '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } } },
      overrides: [],
      outDir: 'comfy-runs/invert',
    },
    queued,
  );
  return { ...job, ...patch };
}
