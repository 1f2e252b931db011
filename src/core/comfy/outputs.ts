/**
 * A prompt's output files (listed by protocol/outputRefs.ts) downloaded through `/view` into a folder.
 * Whatever `filename` or `subfolder` the server sends, a file lands inside that folder: every path
 * segment is sanitised, `..` is dropped, and the resolved path (symlinks included) is checked before
 * writing. Each download streams to a temporary file that is renamed into place when complete, so a
 * half-written file never carries the final name, and is hashed as it streams, so it is never read back.
 * Each is held to its limits (downloadLimits.ts: a stall timeout, a deadline, a size cap), and a batch
 * that fails leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RunnerError } from '../util/runnerError';
import { cleanSegments, joinInside, realPathInside } from '../util/safePath';
import { type FileDigest, streamDigest } from '../util/streamDigest';
import { downloadGuard } from './downloadGuard';
import { type DownloadLimits, type ResolvedDownloadLimits, resolveDownloadLimits } from './downloadLimits';
import { type FileRef, openView } from './endpoints';
import type { ComfyHttp } from './http';
import type { OutputRef } from '../protocol/outputRefs';

/**
 * Where a prompt's outputs are downloaded: a folder laid out as {@link localPathFor} lays it out, or a
 * folder and where in it each file goes (`pathOf`; null when the server-sent name would escape it),
 * for a caller that wants the files in their final places without moving them.
 */
export type OutputFolder =
  string | { readonly dir: string; readonly pathOf: (ref: OutputRef) => string | null };

/** A file that was downloaded, with the size and SHA-256 of its bytes, computed as they were written. */
export interface DownloadedFile extends OutputRef, FileDigest {
  /** Absolute local path, inside the requested folder. */
  path: string;
}

/**
 * The local path for a server file under `folder`: `[type/]subfolder/filename`, where `type` is left out
 * for ordinary outputs, every segment cleaned. Throws `protocol` if the result would not be inside `folder`.
 */
export function localPathFor(folder: string, ref: FileRef): string {
  const dirs = [
    ...(ref.type && ref.type !== 'output' ? cleanSegments(ref.type) : []),
    ...cleanSegments(ref.subfolder),
  ];
  const nameParts = cleanSegments(ref.filename);
  const name = nameParts.pop() ?? 'output';
  const target = joinInside(folder, ...dirs, ...nameParts, name);
  if (!target) {
    throw new RunnerError(
      'protocol',
      `The server named a file outside the output folder: ${ref.filename}`,
      {},
      ref,
    );
  }
  return target;
}

/** `path`, or `name (n).ext` beside it when two server files were cleaned to the same local name. */
function unique(path: string, taken: Set<string>): string {
  let candidate = path;
  const dot = path.lastIndexOf('.');
  const [stem, ext] = dot > path.lastIndexOf(sep) ? [path.slice(0, dot), path.slice(dot)] : [path, ''];
  for (let n = 1; taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** A caller's placement, refusing (as {@link localPathFor} does) a name that would escape the folder. */
function placedBy(pathOf: (ref: OutputRef) => string | null): (ref: OutputRef) => string {
  return (ref) => {
    const path = pathOf(ref);
    if (path === null) {
      throw new RunnerError('protocol', `output name escapes its folder: ${ref.subfolder}/${ref.filename}`);
    }
    return resolve(path);
  };
}

/** Fails unless `dir`, with symlinks resolved, is inside `root` (also resolved). */
async function assertInside(root: string, dir: string, ref: FileRef): Promise<void> {
  if (!(await realPathInside(root, dir))) {
    throw new RunnerError(
      'protocol',
      `A folder on the way to ${ref.filename} leads outside the output folder`,
      {},
      ref,
    );
  }
}

/** One download of a batch: where it goes, its limits, and the batch's signal (aborted when a sibling failed). */
interface Download {
  readonly api: ComfyHttp;
  readonly ref: FileRef;
  readonly root: string;
  readonly path: string;
  readonly limits: ResolvedDownloadLimits;
  readonly signal: AbortSignal;
  /** The folders the batch created, to be removed if it fails. */
  readonly made: Set<string>;
}

/** The name of a download's temporary file beside its place, renamed into place when complete. */
function partialDownloadName(): string {
  return `.${randomBytes(6).toString('hex')}.part`;
}

/** Whether `name` is a download's temporary file ({@link partialDownloadName}), left by a runner that died. */
export function isPartialDownload(name: string): boolean {
  return /^\.[0-9a-f]{12}\.part$/.test(name);
}

/**
 * Downloads one file to its path through a temporary file in the same folder, hashing it on the way and
 * held to the limits; the temporary file is removed if anything fails.
 */
async function downloadOne(d: Download): Promise<FileDigest> {
  const { api, ref, path, limits } = d;
  // The batch made its root already; only a file in a subfolder needs one made and checked.
  if (dirname(path) !== d.root) {
    const made = await mkdir(dirname(path), { recursive: true });
    if (made) d.made.add(made);
    await assertInside(d.root, dirname(path), ref);
  }
  const temp = join(dirname(path), partialDownloadName());
  const guard = downloadGuard({ server: api.displayName, ref }, limits, d.signal);
  try {
    const body = await guard.opened(openView(api, ref, limits.stallTimeoutMs));
    const hashing = streamDigest();
    await pipeline(body, guard.through, hashing.through, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, path);
    return hashing.digest();
  } catch (e) {
    await rm(temp, { force: true });
    const why = guard.failure ?? e;
    if (why instanceof RunnerError) throw why;
    throw new RunnerError(
      'server_unreachable',
      `Downloading ${ref.filename} from ${api.displayName} failed: ${(why as Error).message}`,
      {},
      ref,
    );
  } finally {
    guard.stop();
  }
}

/**
 * Downloads files into `folder` (created if needed), a few at a time, each held to `limits`. A file
 * already there under the same name is replaced. Resolves with where each file went and the size and
 * SHA-256 of what was written. When one file fails, the others are stopped, and every file and folder
 * the call made is removed before it rejects with that file's error: a failed download leaves nothing.
 */
export async function downloadOutputs(
  api: ComfyHttp,
  files: readonly OutputRef[],
  folder: OutputFolder,
  limits: DownloadLimits = {},
  parallel = 4,
): Promise<DownloadedFile[]> {
  const root = resolve(typeof folder === 'string' ? folder : folder.dir);
  const pathOf =
    typeof folder === 'string' ? (f: OutputRef) => localPathFor(root, f) : placedBy(folder.pathOf);
  const taken = new Set<string>();
  const planned = files.map((f) => ({ ...f, path: unique(pathOf(f), taken) }));
  const made = new Set<string>();
  // Made here means the folder itself is ours to remove (never a parent mkdir made on the way).
  if (await mkdir(root, { recursive: true })) made.add(root);
  const batch = new AbortController();
  const base = { api, root, limits: resolveDownloadLimits(limits), signal: batch.signal, made };
  const downloaded: DownloadedFile[] = new Array(planned.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < planned.length && !batch.signal.aborted) {
      const i = next++;
      const file = planned[i]!;
      try {
        downloaded[i] = { ...file, ...(await downloadOne({ ...base, ref: file, path: file.path })) };
      } catch (e) {
        if (!batch.signal.aborted) batch.abort(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, planned.length) }, worker));
  if (!batch.signal.aborted) return downloaded;
  // Every worker has stopped, so nothing is written while the batch's files and folders go.
  const written = downloaded.filter((f) => f !== undefined).map((f) => f.path);
  await Promise.all([...written, ...made].map((p) => rm(p, { recursive: true, force: true })));
  throw batch.signal.reason;
}
