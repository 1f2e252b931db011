/**
 * What the tests of the documents glue share: the shared fake, the glue registered over it with a short
 * pause, node definitions that count their loads, latest runs a test sets, and a wait for the fake's
 * state to reach what a test expects.
 */
import { resolve } from 'node:path';
import { createJob, type Job } from '../../../src/core/jobs/job';
import type { LastRuns } from '../../../src/extension/documents/lastRuns';
import type { NodeDefinitions } from '../../../src/extension/documents/nodeDefinitions';
import { sharedFakeVscode } from '../../fakes/fakeVscode';

export const fake = sharedFakeVscode();

/** The pause the tests register the glue with, instead of 300 ms. */
export const DEBOUNCE_MS = 20;

/** Latest runs a test sets with {@link TestLastRuns.set}, telling listeners as the host would. */
export interface TestLastRuns extends LastRuns {
  set(job: Job): void;
}

export function testLastRuns(): TestLastRuns {
  const jobs = new Map<string, Job>();
  const listeners: ((files: readonly string[] | undefined) => void)[] = [];
  return {
    lastRunOf: (file) => jobs.get(resolve(file)),
    onDidChange: (listener) => {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener) >>> 0, 1) };
    },
    set: (job) => {
      jobs.set(resolve(job.workflow.file), job);
      listeners.forEach((l) => l([job.workflow.file]));
    },
  };
}

/** Node definitions as the extension has them, counting how often they are asked for. */
export async function countingDefinitions(): Promise<NodeDefinitions & { loads: number }> {
  const { createNodeDefinitions } = await import('../../../src/extension/documents/nodeDefinitions');
  const real = createNodeDefinitions();
  const counting = {
    loads: 0,
    get: (options?: { fresh?: boolean }) => {
      counting.loads++;
      return real.get(options);
    },
    onDidChange: real.onDidChange,
    dispose: () => real.dispose(),
  };
  return counting;
}

/** A job of `file` in `state`, with the times and outputs a finished run has. */
export function jobOf(file: string, changes: Partial<Job>): Job {
  const job = createJob(
    { workflow: { file, sourceHash: 's', promptHash: 'p' }, prompt: {}, overrides: [], outDir: '/runs/r1' },
    1000,
  );
  return { ...job, ...changes, times: { ...job.times, ...changes.times } };
}

/** Resolves once `check` holds, polling; rejects after `ms` with `what` in the message. */
export async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits long enough for a debounced look at a document to have happened. */
export function pause(ms = DEBOUNCE_MS * 4): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
