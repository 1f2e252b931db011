/**
 * Atomic replaces of small files that reuse the inodes of the files they replace. On some file systems
 * (ext4 on this project's build machines) allocating an inode costs about half a millisecond of CPU,
 * more than twenty times the rest of a replace (writing a few KiB, a rename); a job store replaces each
 * job's file three times in a short run. So the file a replace displaces is kept, under a hidden name
 * beside it (a hard link made before the rename), and a later replace writes into it instead of
 * creating a new temporary file: still a complete file renamed over its target, so a reader sees the
 * old file or the new one, never a mixture.
 *
 * A displaced file may still be open in a reader that opened it just before the rename, so it is
 * written again only once it has been spare for {@link SpareFilesOptions.graceMs}, far longer than a
 * reader of a file of a few KiB takes between opening and reading it. Spares are hidden files (their
 * names start with `.`), which every reader of a store ignores; {@link SpareFiles.clear} removes them,
 * and a process that dies leaves at most {@link SpareFilesOptions.max} of them, as it may leave a
 * temporary file.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { syncTextLimit, writeFileAtomic } from './atomicWrite';

/** Options of {@link SpareFiles}. */
export interface SpareFilesOptions {
  /**
   * How long a displaced file stays untouched before it is written again, in ms: longer than any
   * reader takes between opening a file and reading it.
   * @default 500
   */
  readonly graceMs?: number;
  /**
   * The most spares kept; a displaced file beyond them is deleted. Replaces reuse spares only while
   * fewer than `max` are made in `graceMs`. @default 1024
   */
  readonly max?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/** The prefix of every spare's name. */
export const sparePrefix = '.spare-';

/** A spare file and since when it has been one. */
interface Spare {
  readonly path: string;
  readonly since: number;
}

/** The spare files of one folder, and the replaces that use them; see the file comment. */
export class SpareFiles {
  /** Oldest first. */
  private readonly spares: Spare[] = [];
  private readonly graceMs: number;
  private readonly max: number;
  private readonly now: () => number;
  /** False once a hard link failed for another reason than a missing target: replaces as before. */
  private linking = true;

  /** `dir` is the folder of the files replaced, where the spares are kept. */
  constructor(
    private readonly dir: string,
    options: SpareFilesOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 500;
    this.max = options.max ?? 1024;
    this.now = options.now ?? Date.now;
  }

  /** How many spares are kept now. */
  get size(): number {
    return this.spares.length;
  }

  /**
   * Writes `text` to `path` (a file of the folder) atomically, as `writeTextAtomic` does, into a spare
   * old enough when there is one, and keeps the file it replaces as a spare. A text longer than
   * `syncTextLimit` is written as `writeFileAtomic` writes it, reusing nothing.
   */
  async replaceText(path: string, text: string): Promise<void> {
    if (text.length > syncTextLimit) return writeFileAtomic(path, text);
    const oldest = this.spares[0];
    const reused = oldest && this.now() - oldest.since >= this.graceMs ? this.spares.shift() : undefined;
    const tmp =
      reused?.path ?? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    let displaced: string | undefined;
    try {
      this.fill(tmp, path, text);
      displaced = this.keepOld(path);
      renameSync(tmp, path);
    } catch (e) {
      // Neither name may stay: the temporary holds half a write, the link is a second name of the target.
      rmSync(tmp, { force: true });
      if (displaced) rmSync(displaced, { force: true });
      throw e;
    }
    if (displaced) this.keep(displaced);
  }

  /** Deletes every spare. */
  clear(): void {
    for (const s of this.spares.splice(0)) rmSync(s.path, { force: true });
  }

  /** Writes the text to the temporary path (truncating a spare), making the folder when it is missing. */
  private fill(tmp: string, path: string, text: string): void {
    try {
      writeFileSync(tmp, text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(tmp, text);
    }
  }

  /** A second, hidden name of the file at `path`, so that the rename over it does not free it. */
  private keepOld(path: string): string | undefined {
    if (!this.linking) return undefined;
    const spare = join(this.dir, `${sparePrefix}${randomBytes(6).toString('hex')}.tmp`);
    try {
      linkSync(path, spare);
      return spare;
    } catch (e) {
      // No file yet is the first write; anything else (no hard links here) turns reuse off.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.linking = false;
      return undefined;
    }
  }

  private keep(path: string): void {
    if (this.spares.length >= this.max) unlinkSync(path);
    else this.spares.push({ path, since: this.now() });
  }
}
