/**
 * What a run leaves beside its outputs: the output files themselves, collected into the job's folder
 * under safe names, and `run.json`, the record of how they were made.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import { joinInside } from '../util/safePath';
import type { Job, JobOutput } from './job';

/** A file named in a UI output, with the node and position it came from. */
export interface OutputRef {
  nodeId: string;
  kind: string;
  index: number;
  filename: string;
  subfolder: string;
  type: string;
}

/** Every file reference in a set of UI outputs (node id -> `{images: [...], ...}`), in node order. */
export function outputRefs(ui: Record<string, Record<string, unknown[]>>): OutputRef[] {
  const refs: OutputRef[] = [];
  for (const [nodeId, output] of Object.entries(ui)) {
    for (const [kind, items] of Object.entries(output ?? {})) {
      if (!Array.isArray(items)) continue;
      items.forEach((item, index) => {
        const f = item as Partial<OutputRef> | null;
        if (f && typeof f.filename === 'string') {
          refs.push({
            nodeId,
            kind,
            index,
            filename: f.filename,
            subfolder: String(f.subfolder ?? ''),
            type: String(f.type ?? 'output'),
          });
        }
      });
    }
  }
  return refs;
}

/** Where a collected output goes in the job's folder; null when the server-sent name would escape it. */
export function outputDestination(outDir: string, ref: OutputRef): string | null {
  // Temp previews go to a folder of their own so they never collide with saved outputs.
  return ref.type === 'temp'
    ? joinInside(outDir, 'previews', ref.subfolder, ref.filename)
    : joinInside(outDir, ref.subfolder, ref.filename);
}

/** SHA-256 and size of a file. */
export async function fileDigest(path: string): Promise<{ size: number; sha256: string }> {
  const bytes = await readFile(path);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A {@link JobOutput} for a file already in place. */
export async function describeOutput(outDir: string, path: string, ref: OutputRef): Promise<JobOutput> {
  const { size, sha256 } = await fileDigest(path);
  return { path: relative(outDir, path), nodeId: ref.nodeId, kind: ref.kind, index: ref.index, size, sha256 };
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
  };
  const path = join(job.outDir, 'run.json');
  await writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
  return path;
}
