/**
 * Where things live in a job store folder (docs/store-format.md): `store.json` names the format,
 * `jobs/<id>.json` holds one job each, `owner.json` names the process that dispatches, and
 * `requests/` and `answers/` carry operations other processes ask of it.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RunnerError } from '../util/runnerError';
import { readTextIfExists, writeFileAtomic } from '../util/atomicWrite';
import { joinInside } from '../util/safePath';

/** The `format` of `store.json`. */
export const storeFormat = 'comfyui-runner-store';

/**
 * The version of the layout and file shapes this code reads and writes: 2 added the owner's journals
 * (`jobs/journal-<n>.jsonl`), which a reader of version 1 would not see.
 */
export const storeVersion = 2;

/** The paths of one store. */
export interface StoreLayout {
  root: string;
  /** `store.json`: `{format, version}`. */
  meta: string;
  /** `jobs/`: one `<id>.json` per job, and the owner's journals, `journal-<n>.jsonl`. */
  jobs: string;
  /** `requests/`: operations asked of the owner by other processes. */
  requests: string;
  /** `answers/`: the owner's answers, one per request. */
  answers: string;
  /** `owner.json`: the owning process and its heartbeat. */
  owner: string;
  /** `owner.lock/`: a folder that exists while a process changes `owner.json`. */
  ownerMutex: string;
}

/** The layout of the store in `dir`. */
export function storeLayout(dir: string): StoreLayout {
  const root = resolve(dir);
  return {
    root,
    meta: join(root, 'store.json'),
    jobs: join(root, 'jobs'),
    requests: join(root, 'requests'),
    answers: join(root, 'answers'),
    owner: join(root, 'owner.json'),
    ownerMutex: join(root, 'owner.lock'),
  };
}

/**
 * Job ids become file names, so only ids that are safe as a file name on every platform are accepted:
 * letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 128 characters. The UUIDs
 * that {@link createJob} makes are such ids.
 */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can name a job file. */
export function isJobId(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID.test(id) && !id.endsWith('.');
}

/** The path of a job's file; throws `bad_input` for an id that cannot be a file name. */
export function jobPath(layout: StoreLayout, id: string): string {
  const path = isJobId(id) ? joinInside(layout.jobs, `${id}.json`) : null;
  if (path === null) {
    throw new RunnerError('bad_input', `not a valid job id: ${JSON.stringify(id)}`, {}, { id });
  }
  return path;
}

/** The id a job file name stands for, or undefined for files that are not job files (temporaries). */
export function jobIdOfFile(name: string): string | undefined {
  if (!name.endsWith('.json')) return undefined;
  const id = name.slice(0, -'.json'.length);
  return isJobId(id) ? id : undefined;
}

/**
 * Creates the store's folders and `store.json` when missing, and refuses a store written by a newer
 * version (whose files this code could misread and then overwrite with less).
 */
export async function prepareStore(layout: StoreLayout): Promise<void> {
  await mkdir(layout.root, { recursive: true });
  await Promise.all([layout.jobs, layout.requests, layout.answers].map((d) => mkdir(d, { recursive: true })));
  const meta = await readMeta(layout.meta);
  if (meta === undefined) {
    await writeFileAtomic(layout.meta, `${JSON.stringify({ format: storeFormat, version: storeVersion })}\n`);
    return;
  }
  if (meta.format !== storeFormat || typeof meta.version !== 'number') {
    throw new RunnerError('bad_input', `${layout.meta} is not a job store`, { file: layout.meta }, meta);
  }
  if (meta.version > storeVersion) {
    throw new RunnerError(
      'bad_input',
      `${layout.root} was written by a newer version (store version ${meta.version}, this one reads ${storeVersion})`,
      { file: layout.meta },
      meta,
    );
  }
}

/**
 * Marks a store of version 1 as version 2 before its first journal is written, so that an older
 * program refuses it rather than reading job files that a journal has overtaken.
 */
export async function markJournalled(layout: StoreLayout): Promise<void> {
  const meta = await readMeta(layout.meta);
  if (typeof meta?.version === 'number' && meta.version >= storeVersion) return;
  await writeFileAtomic(layout.meta, `${JSON.stringify({ format: storeFormat, version: storeVersion })}\n`);
}

async function readMeta(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    const meta: unknown = JSON.parse(text);
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta))
      return meta as Record<string, unknown>;
  } catch {
    // Reported below as not a store, with the path.
  }
  return { format: undefined };
}
