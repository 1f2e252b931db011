/**
 * What a run leaves beside its outputs: the output files themselves, collected into the job's folder
 * under safe names, and `run.json`, the record of how they were made.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeTextAtomic } from '../util/atomicWrite';
import { joinInside } from '../util/safePath';
import type { FileDigest } from '../util/streamDigest';
import type { OutputRef } from '../protocol/outputRefs';
import type { Job, JobOutput } from './job';

/**
 * The folder a job's outputs are collected into: its run folder, or for a part of a split run a hidden
 * folder of its own inside the run's (`.parts/<index>`), so that parts on different servers never write
 * the same name at once; the run's merge (splitRunRecord.ts) moves them into the run folder afterwards.
 * Output paths stay relative to the run folder either way.
 */
export function collectionDir(job: Pick<Job, 'outDir' | 'split'>): string {
  return job.split ? join(job.outDir, PARTS_FOLDER, String(job.split.index)) : job.outDir;
}

/** The hidden folder of a split run's folder that holds its parts' outputs until the run's merge. */
export const PARTS_FOLDER = '.parts';

/** Where a collected output goes in the job's folder; null when the server-sent name would escape it. */
export function outputDestination(outDir: string, ref: OutputRef): string | null {
  // Temp previews go to a folder of their own so they never collide with saved outputs.
  return ref.type === 'temp'
    ? joinInside(outDir, 'previews', ref.subfolder, ref.filename)
    : joinInside(outDir, ref.subfolder, ref.filename);
}

/** SHA-256 and size of a file. */
export async function fileDigest(path: string): Promise<FileDigest> {
  const bytes = await readFile(path);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The {@link JobOutput} of a file in place at `path` whose digest is known (computed as it was written). */
export function jobOutputFor(outDir: string, path: string, ref: OutputRef, digest: FileDigest): JobOutput {
  const { size, sha256 } = digest;
  return { path: relative(outDir, path), nodeId: ref.nodeId, kind: ref.kind, index: ref.index, size, sha256 };
}

/** A {@link JobOutput} for a file already in place, read to hash it. */
export async function describeOutput(outDir: string, path: string, ref: OutputRef): Promise<JobOutput> {
  return jobOutputFor(outDir, path, ref, await fileDigest(path));
}

/** The run record written as `run.json` in the job's folder. */
export interface RunRecord {
  job: string;
  attempt: number;
  retryOf?: string;
  workflow: Job['workflow'];
  overrides: Job['overrides'];
  batch?: Job['batch'];
  server?: string;
  comfyuiVersion?: string;
  promptId?: string;
  state: Job['state'];
  timings: Job['times'];
  outputs: JobOutput[];
  error?: Job['error'];
  warnings: string[];
  /** The runs of this job the runner's stopping cut short before this one (job.ts `restarts`). */
  restarts?: Job['restarts'];
  /** Outputs the user starred in the runs panel, as paths in the run's folder (runRecordStars.ts). */
  starred?: string[];
}

/** Writes the job's `run.json` atomically; returns its path. */
export async function writeRunRecord(job: Job, comfyuiVersion?: string): Promise<string> {
  const record: RunRecord = {
    job: job.id,
    attempt: job.attempt,
    retryOf: job.retryOf,
    workflow: job.workflow,
    overrides: job.overrides,
    batch: job.batch,
    server: job.server,
    comfyuiVersion,
    promptId: job.promptId,
    state: job.state,
    timings: job.times,
    outputs: job.outputs,
    error: job.error,
    warnings: job.warnings,
    restarts: job.restarts,
  };
  const path = join(job.outDir, 'run.json');
  await writeTextAtomic(path, JSON.stringify(record, null, 2) + '\n');
  return path;
}
