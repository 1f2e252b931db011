/**
 * Reading one version of a job file. The owner replaces a job file by renaming a complete one over it,
 * and reuses the file it displaced for a later write once it has been spare for a while
 * (util/spareFiles.ts). A reader that stalled between opening a file and reading it for longer than that
 * could read a spare being written; so the file's identity (inode, size, modification time) is taken
 * before and after the read, and a read during which it changed is made again.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** Identifies one version of a file: a rewrite gives it another inode, or a later modification time. */
export function fingerprintOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** `stat` of `path`, or undefined when it does not exist (another process may have just removed it). */
export async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** One version of a file: its text and the fingerprint it had before and after the text was read. */
export interface SettledText {
  text: string;
  fingerprint: string;
}

/** How many times a file that keeps changing under the reader is read before the last read is taken. */
const ATTEMPTS = 4;

/**
 * The text of `path` as one version of the file had it, or undefined when there is no file. `before` is
 * the file's stat when the caller has just taken it; `read` reads the text (tests give a slow one).
 */
export async function readSettled(
  path: string,
  before?: Stats,
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<SettledText | undefined> {
  let first = before ?? (await statIfExists(path));
  for (let attempt = 1; first; attempt++) {
    let text: string;
    try {
      text = await read(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const after = await statIfExists(path);
    const fingerprint = fingerprintOf(first);
    if (after && fingerprintOf(after) === fingerprint) return { text, fingerprint };
    if (attempt >= ATTEMPTS) return after ? { text, fingerprint: fingerprintOf(after) } : undefined;
    first = after;
  }
  return undefined;
}
