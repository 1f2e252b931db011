/**
 * Taking back the jobs a stopped runner had on a target inside its own process (`RunTarget.inProcess`:
 * the embedded engine). That target died with the process: such a job runs nowhere now, and nothing it
 * made was recorded. A job that had not started (`dispatching`: prefetched, waiting for the engine) is
 * queued again; one that was running is queued again as the same job, with a {@link RestartRecord}
 * saying that the runner stopped during the run, so the new run is never a silent one. Both keep their
 * place in the queue (it is ordered by when a job was first queued). Before either goes back, its folder
 * is discarded in one rename, so that the new run never writes a whole set of outputs beside the half set
 * of the run cut short.
 *
 * A job whose runs the runner's stopping cut short {@link MAX_RESTARTS} times is lost instead, since it
 * may be what stops the runner; so is one whose folder another job shares, as the folder is not its own
 * to discard. Jobs on ComfyUI servers are not touched here: they may still be running there, and their
 * target asks the server about their prompt id (durableRunner.ts).
 */
import { resolve } from 'node:path';
import { applyOperation, type Job, type JobError, type RestartRecord } from '../jobs/job';
import { collectionDir } from '../jobs/runRecord';
import type { PoolTargetOptions } from '../scheduler/pool/poolTarget';
import type { JobStore } from '../store/jobStore';
import { discardFolder } from '../util/atomicWrite';

/** How many runs of one job the runner's stopping may cut short before the job is lost instead. */
export const MAX_RESTARTS = 3;

/** What a restart record says. */
export const restartMessage = 'the runner stopped during the run';

/** What becomes of a stored job: left to the scheduler, queued again, run again, or lost. */
export type TakeBackVerdict = 'leave' | 'requeue' | 'restart' | 'lose';

/** The facts about a job's place that the verdict rests on. */
export interface TakeBackFacts {
  /** The target the job was on runs jobs inside the process that stopped. */
  readonly inProcess: boolean;
  /** Another job of the store has the same folder. */
  readonly folderShared: boolean;
}

/** What becomes of one stored job; see the file comment. */
export function takeBackVerdict(job: Job, facts: TakeBackFacts): TakeBackVerdict {
  if (!facts.inProcess || (job.state !== 'dispatching' && job.state !== 'running')) return 'leave';
  if (facts.folderShared) return 'lose';
  if (job.state === 'dispatching') return 'requeue';
  return (job.restarts?.length ?? 0) < MAX_RESTARTS ? 'restart' : 'lose';
}

/** What became of the jobs a stopped runner had inside its own process, by job id. */
export interface InProcessTakeBack {
  /** Had not started: queued again. */
  requeued: string[];
  /** Were running: queued again to run as a new attempt, the run cut short recorded. */
  restarted: string[];
  /** Cut short too often, or in a folder not their own. */
  lost: string[];
}

/**
 * Applies {@link takeBackVerdict} to the stored jobs, changing them in place and writing each one changed
 * to the store, after its folder is discarded: a crash in between leaves the job to be taken back the
 * same way again, never queued beside a half-written folder.
 */
export async function takeBackInProcess(
  store: JobStore,
  jobs: Job[],
  targets: readonly PoolTargetOptions[],
  now = Date.now(),
  absentInProcess: readonly string[] = [],
): Promise<InProcessTakeBack> {
  const inProcess = new Set(targets.filter((t) => t.target.inProcess).map((t) => t.target.name));
  // A target of the process that stopped is gone whether or not today's pool has one of that name again.
  const present = new Set(targets.map((t) => t.target.name));
  for (const name of absentInProcess) if (!present.has(name)) inProcess.add(name);
  const folders = new Map<string, number>();
  // A part of a split run collects into a folder of its own inside the run's (runRecord.ts collectionDir).
  const folderOf = (job: Job) => resolve(collectionDir(job));
  for (const job of jobs) folders.set(folderOf(job), (folders.get(folderOf(job)) ?? 0) + 1);
  const taken: InProcessTakeBack = { requeued: [], restarted: [], lost: [] };
  for (const job of jobs) {
    const target = job.server ?? '';
    const facts = { inProcess: inProcess.has(target), folderShared: folders.get(folderOf(job))! > 1 };
    const verdict = takeBackVerdict(job, facts);
    if (verdict === 'leave') continue;
    if (verdict === 'lose') {
      job.error = lostError(job, target, facts.folderShared);
      applyOperation(job, 'lose', now);
      taken.lost.push(job.id);
    } else {
      await discardFolder(collectionDir(job));
      if (verdict === 'restart') {
        job.restarts = [...(job.restarts ?? []), restartRecord(job, target, now)];
        taken.restarted.push(job.id);
      } else {
        // The prompt id was the engine's, which is gone: the job is submitted afresh, wherever it goes.
        delete job.times.accepted;
        delete job.promptId;
        delete job.server;
        taken.requeued.push(job.id);
      }
      applyOperation(job, verdict, now);
    }
    await store.put(job);
  }
  return taken;
}

function restartRecord(job: Job, target: string, now: number): RestartRecord {
  const started = job.times.started;
  return { at: now, ...(started !== undefined && { started }), target, message: restartMessage };
}

function lostError(job: Job, target: string, folderShared: boolean): JobError {
  const message = folderShared
    ? `the runner stopped while the job was on ${target}, and it is not run again: its folder ` +
      `${job.outDir} is shared with another job, so it is not the job's to empty`
    : `the runner stopped during each of the job's ${MAX_RESTARTS + 1} runs on ${target}; it is not ` +
      'run again by itself (retry it to run it once more)';
  return { message, reason: 'lost' };
}
