/**
 * Stars on a run's outputs, kept in its run record (`run.json`, field `starred`) so that they travel
 * with the run folder and every front end sees them. Paths are kept relative to the run's folder.
 */
import { isAbsolute, join, relative } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '../util/atomicWrite';
import { RunnerError } from '../util/runnerError';
import type { RunRecord } from './runRecord';

/** What a run record adds to its job for the runs panel. */
export interface RunExtras {
  comfyuiVersion?: string;
  /** Starred outputs, as absolute paths. */
  starred: string[];
}

/** The server's version and the starred outputs of the run in `outDir`; undefined when it has no record yet. */
export async function readRunExtras(outDir: string): Promise<RunExtras | undefined> {
  const record = await readRecord(outDir);
  if (!record) return undefined;
  const starred = (record.starred ?? []).map((p) => join(outDir, p));
  return { ...(record.comfyuiVersion && { comfyuiVersion: record.comfyuiVersion }), starred };
}

/**
 * Stars or unstars the output at `path` (absolute, or relative to `outDir`) in the run record, written
 * again atomically. Throws `bad_input` when the run has no record or the path is not one of its outputs.
 */
export async function setOutputStarred(outDir: string, path: string, starred: boolean): Promise<void> {
  const file = join(outDir, 'run.json');
  const record = await readRecord(outDir);
  if (!record) throw new RunnerError('bad_input', `${file} does not exist yet: the run has not finished`);
  const rel = isAbsolute(path) ? relative(outDir, path) : path;
  if (!record.outputs.some((o) => o.path === rel))
    throw new RunnerError('bad_input', `${path} is not an output of the run in ${outDir}`, { file });
  const rest = (record.starred ?? []).filter((p) => p !== rel);
  record.starred = starred ? [...rest, rel] : rest;
  await writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}

async function readRecord(outDir: string): Promise<RunRecord | undefined> {
  const file = join(outDir, 'run.json');
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as RunRecord;
  } catch {
    throw new RunnerError('bad_input', `${file} is not valid JSON`, { file });
  }
}
