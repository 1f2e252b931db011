/**
 * A prompt's output files (listed by protocol/outputRefs.ts) downloaded through `/view` into a folder.
 * Whatever `filename` or `subfolder` the server sends, a file lands inside that folder: every path
 * segment is sanitised, `..` is dropped, and the resolved path (symlinks included) is checked before
 * writing. Each download streams to a temporary file that is renamed into place when complete, so a
 * half-written file never carries the final name, and is hashed as it streams, so it is never read back.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RunnerError } from '../util/runnerError';
import { cleanSegments, joinInside, realPathInside } from '../util/safePath';
import { type FileDigest, streamDigest } from '../util/streamDigest';
import { type FileRef, openView } from './endpoints';
import type { ComfyHttp } from './http';
import type { OutputRef } from '../protocol/outputRefs';

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

/** Downloads one file to `path` through a temporary file in the same folder, hashing it on the way. */
async function downloadOne(api: ComfyHttp, ref: FileRef, root: string, path: string): Promise<FileDigest> {
  await mkdir(dirname(path), { recursive: true });
  await assertInside(root, dirname(path), ref);
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.part`);
  try {
    const body = await openView(api, ref);
    const hashing = streamDigest();
    await pipeline(body, hashing.through, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, path);
    return hashing.digest();
  } catch (e) {
    await rm(temp, { force: true });
    if (e instanceof RunnerError) throw e;
    throw new RunnerError(
      'server_unreachable',
      `Downloading ${ref.filename} failed: ${(e as Error).message}`,
      {},
      ref,
    );
  }
}

/**
 * Downloads files into `folder` (created if needed), a few at a time. A file already there under the same
 * name is replaced. Resolves with where each file went and the size and SHA-256 of what was written.
 */
export async function downloadOutputs(
  api: ComfyHttp,
  files: readonly OutputRef[],
  folder: string,
  parallel = 4,
): Promise<DownloadedFile[]> {
  const root = resolve(folder);
  await mkdir(root, { recursive: true });
  const taken = new Set<string>();
  const planned = files.map((f) => ({ ...f, path: unique(localPathFor(root, f), taken) }));
  const downloaded: DownloadedFile[] = new Array(planned.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < planned.length) {
      const i = next++;
      const file = planned[i]!;
      downloaded[i] = { ...file, ...(await downloadOne(api, file, root, file.path)) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, planned.length) }, worker));
  return downloaded;
}
