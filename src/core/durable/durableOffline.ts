/**
 * Cancel and retry on a job store that no live process runs (its owner stopped, or never started): the
 * caller owns the store for the moment and changes the records directly, as the owner would have. A store
 * with a live owner is asked through request files instead (durableRunner.ts answers them).
 */
import { randomUUID } from 'node:crypto';
import type { ComfyClient } from '../comfy/client';
import { RunnerError } from '../util/runnerError';
import type { JobStore } from '../store/jobStore';
import { applyOperation, createJob, splitPartsOf, type Job } from '../jobs/job';
import { terminalStates } from '../jobs/jobState';
import {
  checkSplitRetryable,
  defaultRetryOutDir,
  retrySpec,
  retryableStates,
  splitRetrySpecs,
} from '../scheduler/retryPolicy';
import { planRestore } from '../scheduler/restorePlan';

/**
 * Stops a job's prompt on its server, if it may still be there; resolves with a warning for the job when
 * that could not be done (the server could not be reached).
 */
export type PromptStopper = (job: Job) => Promise<string | undefined>;

/** The job of that id in the store; `bad_input` when there is none. */
async function storedJob(store: JobStore, jobId: string): Promise<Job> {
  const job = await store.get(jobId);
  if (!job) throw new RunnerError('bad_input', `no job ${jobId} in ${store.dir}`);
  return job;
}

/**
 * Cancels a job of a store the caller owns while nobody dispatches: a queued job at once; a job that was
 * on a server is first stopped there by `stop`, since the process that sent it is gone but the server
 * may still run it. Its dependents fail when a runner next takes the store. Resolves with what was done;
 * `ok` false for a job that had already ended.
 */
export async function cancelStoredJob(
  store: JobStore,
  jobId: string,
  stop: PromptStopper,
): Promise<{ ok: boolean; message: string }> {
  const job = await storedJob(store, jobId);
  if (terminalStates.has(job.state)) return { ok: false, message: `job ${job.id} is already ${job.state}` };
  const warning = job.state !== 'queued' && job.promptId !== undefined ? await stop(job) : undefined;
  applyOperation(job, 'cancel');
  delete job.blockedReason;
  if (warning) job.warnings.push(warning);
  await store.put(job);
  return { ok: true, message: warning ? `cancelled; ${warning}` : 'cancelled' };
}

/**
 * Retries a failed, cancelled or lost job of a store the caller owns, as `Scheduler.retry` does: a new
 * queued job, attempt + 1 of the newest attempt, linked by `retryOf`, its dependencies mapped to their
 * newest retries. It runs when a runner next takes the store. Resolves with the new job. A split run, or any of
 * its parts, is retried whole: every part again as one new split run; resolves with its first part.
 */
export async function retryStoredJob(store: JobStore, jobId: string, now = Date.now()): Promise<Job> {
  const jobs = await store.list();
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const runId = byId.get(jobId)?.split?.id ?? jobId;
  const parts = splitPartsOf(jobs, runId);
  const previous = parts[0] ?? byId.get(jobId);
  if (!previous) throw new RunnerError('bad_input', `no job ${jobId} in ${store.dir}`);
  if (parts.length > 0) checkSplitRetryable(parts);
  else if (!retryableStates.has(previous.state)) {
    throw new RunnerError(
      'bad_input',
      `job ${jobId} is ${previous.state}; only failed, cancelled or lost jobs are retried`,
    );
  }
  const next = new Map(planRestore(jobs, () => false).retryLinks);
  const newest = (id: string) => {
    let at = id;
    for (let n = next.get(at); n !== undefined && byId.has(n); n = next.get(at)) at = n;
    return at;
  };
  const olds = parts.length > 0 ? parts : [previous];
  const attempt = Math.max(...olds.map((p) => (byId.get(newest(p.id)) ?? p).attempt)) + 1;
  const outDir = defaultRetryOutDir(previous, attempt);
  if (parts.length === 0) {
    const job = createJob(
      retrySpec(previous, { attempt, outDir, dependsOn: previous.dependsOn?.map(newest) }),
      now,
    );
    await store.put(job);
    return job;
  }
  // A split run is retried whole, as a new split run (scheduler.ts `retry`).
  const retried = splitRetrySpecs(parts, randomUUID(), { attempt, outDir, dependsOn: newest }).map((spec) =>
    createJob(spec, now),
  );
  for (const job of retried) await store.put(job);
  return retried[0];
}

/**
 * Stops a prompt through a client of its server: a pending one is taken out of the queue, a running one
 * is interrupted (by id, never globally); one that finished or that the server does not know is left
 * alone. Resolves with a warning when the server could not be asked, or did not confirm within `waitMs`.
 */
export async function stopPromptOn(
  client: ComfyClient,
  job: Job,
  waitMs = 10_000,
): Promise<string | undefined> {
  const promptId = job.promptId!;
  const unreachable = `could not reach ${job.server} to stop prompt ${promptId}; it may still run there`;
  try {
    const verdict = await client.lookup(promptId);
    if (verdict.kind !== 'pending' && verdict.kind !== 'running') return undefined;
    const run = await client.follow(promptId, job.prompt);
    await run.cancel();
    const ended = await Promise.race([
      run.result.then(
        () => true,
        () => true,
      ),
      new Promise<false>((r) => setTimeout(() => r(false), waitMs).unref()),
    ]);
    return ended ? undefined : `${job.server} did not confirm that prompt ${promptId} stopped`;
  } catch {
    return unreachable;
  }
}
