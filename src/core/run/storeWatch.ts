/**
 * The jobs of a store another process runs (a `comfy-runner run` in a terminal), followed live without
 * taking the store: what the owner writes arrives as the same events a runner gives (`job/added`,
 * `job/state`), so a front end shows those jobs as it shows its own. Node progress is not in the store,
 * so it is not followed; cancel and retry go to the owner through the store's requests.
 */
import { nodesRun } from '../jobs/nodesRun';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '../jobs/job';
import { initialProgress } from '../protocol/promptProgress';
import type { StoreOptions } from '../store/jobStore';
import { openStore } from '../store/openStore';
import type { JobSource, RunnerListener, RunnerSnapshot } from './runner';
import { readRunnerSettings } from './runnerSettings';

/** A store followed from outside. */
export interface StoreWatch extends JobSource {
  /** The store's folder. */
  readonly storeDir: string;
  /** Every job as last read, in the order they were queued; no servers (the owner has them). */
  snapshot(): RunnerSnapshot;
  /** Tells `listener` of jobs the owner adds or moves; returns the function that unsubscribes. */
  subscribe(listener: RunnerListener): () => void;
  /** Asks the owner to cancel or retry a job; resolves with the owner's answer. */
  request(op: 'cancel' | 'retry', jobId: string): Promise<{ ok: boolean; message: string }>;
  /** Who owns the store now; undefined once nobody does (the front end may take it then). */
  owner(): Promise<{ pid: number; hostname: string; live: boolean } | undefined>;
  /**
   * Resolves once nobody owns the store any more (the owner ended, or died), checked every `pollMs`;
   * rejects with the signal's reason when `signal` aborts first.
   */
  whenFree(pollMs: number, signal?: AbortSignal): Promise<void>;
  /** Stops following. */
  close(): Promise<void>;
}

/** How long the owner's answer to a request is waited for. */
const ANSWER_WAIT_MS = 30_000;

/** Follows the store in `dir`; see the file comment. */
export async function watchStore(dir: string, options: StoreOptions = {}): Promise<StoreWatch> {
  const store = await openStore(dir, options);
  const out = (await readRunnerSettings(store.dir))?.out ?? resolve(store.dir, '..');
  const jobs = new Map<string, Job>((await store.list()).map((j) => [j.id, j]));
  const listeners = new Set<RunnerListener>();
  const emit: RunnerListener = (event) => listeners.forEach((l) => l(event));
  const unsubscribe = store.subscribe((event) => {
    if (event.type !== 'jobs/changed') return;
    for (const job of event.changed) {
      const before = jobs.get(job.id);
      jobs.set(job.id, job);
      if (!before) emit({ type: 'job/added', job: structuredClone(job) });
      else if (before.state !== job.state)
        emit({
          type: 'job/state',
          jobId: job.id,
          from: before.state,
          to: job.state,
          job: structuredClone(job),
        });
    }
    for (const id of event.removed) jobs.delete(id);
  });
  const ordered = () => [...jobs.values()].sort((a, b) => a.times.queued - b.times.queued);
  return {
    storeDir: store.dir,
    snapshot: () => {
      const all = ordered();
      return {
        storeDir: store.dir,
        out,
        paused: false,
        concurrency: null,
        running: all.filter((j) => j.state === 'running' || j.state === 'dispatching').length,
        queued: all.filter((j) => j.state === 'queued').length,
        jobs: all.map((job) => ({ job: structuredClone(job), progress: initialProgress(nodesRun(job)) })),
        targets: [],
      };
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    request: async (op, jobId) => {
      const request = await store.request(op, jobId);
      const answer = await store.waitForAnswer(request.id, AbortSignal.timeout(ANSWER_WAIT_MS));
      return { ok: answer.ok, message: answer.message };
    },
    owner: async () => {
      const o = await store.owner();
      return o && { pid: o.record.pid, hostname: o.record.hostname, live: o.live };
    },
    whenFree: async (pollMs, signal) => {
      for (;;) {
        signal?.throwIfAborted();
        const o = await store.owner();
        if (!o?.live) return;
        // Node's timer rejects with an AbortError of its own: the caller is told its signal's reason.
        await delay(pollMs, undefined, { signal }).catch(() => signal?.throwIfAborted());
      }
    },
    close: async () => {
      unsubscribe();
      listeners.clear();
      await store.close();
    },
  };
}
