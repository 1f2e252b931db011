/**
 * How a prompt's ending on a ComfyUI server becomes a job's {@link RunResult}: outputs are downloaded to
 * where the embedded target would have put them (one JobOutput per listed file), and failures become
 * JobErrors with ComfyUI's node, exception and traceback.
 */
import { readdir, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PromptFailureDetails, PromptResult } from '../../comfy/finalise';
import { isPartialDownload, type DownloadedFile, type OutputFolder } from '../../comfy/outputs';
import { isRunnerError, RunnerError } from '../../util/runnerError';
import { copyFileAtomic } from '../../util/atomicWrite';
import type { Job, JobError, JobOutput } from '../../jobs/job';
import { collectionDir, jobOutputFor, outputDestination } from '../../jobs/runRecord';
import { outputRefs, serverFileKey, type UiOutputs } from '../../protocol/outputRefs';
import type { RunResult } from './runTarget';

/** The run's ending as a RunResult, with every output that was produced moved into the job's folder. */
export async function settleRemote(result: Promise<PromptResult>, job: Job): Promise<RunResult> {
  let done: PromptResult;
  try {
    done = await result;
  } catch (e) {
    if (!isRunnerError(e, 'execution_failed', 'interrupted', 'lost')) throw e;
    const details = e.details as PromptFailureDetails | undefined;
    const outputs = details ? await collect(details.outputs, details.files, job) : [];
    if (e.reason === 'interrupted') return { status: 'interrupted', outputs };
    return { status: 'error', outputs, error: jobError(e, details) };
  }
  return { status: 'success', outputs: await collect(done.outputs, done.files, job) };
}

/** Where a job's downloads go: each file straight to its place in the job's folder. */
export function outputPlaces(job: Job): OutputFolder {
  const into = collectionDir(job);
  return { dir: into, pathOf: (ref) => outputDestination(into, ref) };
}

/**
 * Removes the temporary files of downloads that a runner which died left in the job's folder (its
 * outputs' folders included); their files are downloaded again.
 */
export async function discardPartials(job: Job): Promise<void> {
  const entries = await readdir(collectionDir(job), { recursive: true, withFileTypes: true }).catch(() => []);
  const partials = entries.filter((e) => e.isFile() && isPartialDownload(e.name));
  await Promise.all(partials.map((e) => rm(join(e.parentPath, e.name), { force: true })));
}

/** The result of a job whose prompt the server accepted once and no longer knows. */
export function lostRemote(promptId: string, server: string): RunResult {
  const message = `Prompt ${promptId} is lost: ${server} no longer knows it (restarted, or removed by someone else)`;
  return { status: 'error', outputs: [], error: { message, reason: 'lost' } };
}

/** The JobError of a failed or lost prompt. */
function jobError(e: RunnerError, details: PromptFailureDetails | undefined): JobError {
  const error = details?.error;
  if (e.reason !== 'execution_failed' || !error) return { message: e.message, reason: e.reason };
  const traceback = typeof error.traceback === 'string' ? [error.traceback] : error.traceback;
  return {
    message: `${error.exception_type}: ${error.exception_message}`,
    reason: 'execution_failed',
    node_id: error.node_id,
    node_type: error.node_type,
    exception_type: error.exception_type,
    traceback,
  };
}

/**
 * One JobOutput per listed file, described by the digest its download computed, each file where the
 * embedded target would have put it: downloaded there, or moved there when the download had to take
 * another name. A server file listed twice is copied to its second place and keeps that digest.
 */
async function collect(ui: UiOutputs, files: DownloadedFile[], job: Job): Promise<JobOutput[]> {
  const { outDir } = job;
  const into = collectionDir(job);
  const downloaded = new Map(files.map((f) => [serverFileKey(f), f]));
  const placed = new Map<string, string>();
  const outputs: JobOutput[] = [];
  for (const ref of outputRefs(ui)) {
    const key = serverFileKey(ref);
    const file = downloaded.get(key);
    const to = outputDestination(into, ref);
    if (!file) continue;
    if (!to)
      throw new RunnerError('protocol', `output name escapes its folder: ${ref.subfolder}/${ref.filename}`);
    const earlier = placed.get(key);
    if (earlier) await copyFileAtomic(earlier, to);
    else {
      if (file.path !== to) await moveInto(file.path, to);
      placed.set(key, to);
    }
    outputs.push(jobOutputFor(outDir, to, ref, file));
  }
  return outputs;
}

/** Renames `from` to `to`, making the folder of `to` only when it is missing (it nearly always exists). */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }
}
