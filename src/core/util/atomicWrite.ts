/**
 * Writing files so that a reader never sees half a file: write to a temporary file beside the target,
 * then rename over it (rename is atomic within one file system). Also the matching read of a file that
 * may not exist yet, and the removal of a folder that no reader sees half removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Creates `path` atomically: `fill` writes the content to the temporary path it is given, which then
 * replaces `path`. The parent folder is created when needed; on failure the temporary file is removed.
 */
export async function writeAtomically(path: string, fill: (tmpPath: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // The folder is nearly always there (a store's jobs, a run's folder): made only when it is missing,
    // since a recursive mkdir costs a file system call or two at every write.
    await fill(tmp).catch(async (e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dirname(path), { recursive: true });
      await fill(tmp);
    });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Writes `data` to `path` atomically. */
export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return writeAtomically(path, (tmp) => writeFile(tmp, data));
}

/** The longest text, in UTF-16 units, {@link writeTextAtomic} writes synchronously. */
export const syncTextLimit = 256 * 1024;

/**
 * Writes the small text `text` (a job record, a run record: a few KiB) to `path` atomically, as
 * {@link writeFileAtomic} does, but with the file system's synchronous calls. For a file this small the
 * write itself takes microseconds; the asynchronous calls' round trips through the thread pool and their
 * promises cost twice the CPU of the write and rename together (0.3 against 0.15 ms a file here), paid at
 * every change of every job. A text longer than {@link syncTextLimit} (a job of a very big prompt) is
 * written with the asynchronous calls, so that no write holds the event loop for long.
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  if (text.length > syncTextLimit) return writeFileAtomic(path, text);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    try {
      writeFileSync(tmp, text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(tmp, text);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Copies the file `from` to `to` atomically. */
export function copyFileAtomic(from: string, to: string): Promise<void> {
  return writeAtomically(to, (tmp) => copyFile(from, tmp));
}

/**
 * Removes the folder `dir` and everything in it such that `dir` is there whole or not at all: it is
 * renamed to a hidden temporary name beside it in one step, then deleted. A missing `dir` is fine.
 */
export async function discardFolder(dir: string): Promise<void> {
  const aside = join(dirname(dir), `.${basename(dir)}.${randomBytes(6).toString('hex')}.discarded`);
  try {
    await rename(dir, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}

/** The text of `path`, or undefined when the file does not exist; other read errors propagate. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
