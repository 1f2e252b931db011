/**
 * The owner's journal of job records (docs/store-format.md). A record the owner puts is one line appended
 * to `jobs/journal-<n>.jsonl`, not a file created and renamed: on some disks a create costs half a
 * millisecond of CPU, and a job is recorded four times. Now and then (when the journal has grown past a
 * limit, when the owner lets the store go, before a job file is removed) the owner folds it: it writes the
 * newest record of each job the journal holds into that job's file, atomically, then deletes the
 * journal, and the next record starts a new journal, of a higher number. Readers read the job files, then the journals over
 * them, in order, newest line winning. A crash leaves the files and a journal whose lines are each whole
 * or, the last one only, cut short: a cut line is ignored, and whoever owns the store next folds what
 * is left before it writes anything.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunnerError } from '../util/runnerError';
import type { RunnerError } from '../util/runnerError';
import type { Job } from '../jobs/job';
import { badJobFile, checkJob, storedFields } from './jobFile';
import { isJobId } from './storeLayout';

const JOURNAL_NAME = /^journal-(\d{1,15})\.jsonl$/;

/** The journal file names in a listing of `jobs/`, oldest first. */
export function journalNames(names: readonly string[]): string[] {
  return names.filter((n) => JOURNAL_NAME.test(n)).sort((a, b) => journalNumber(a) - journalNumber(b));
}

function journalNumber(name: string): number {
  return Number(JOURNAL_NAME.exec(name)?.[1] ?? 0);
}

/** A job's newest record in the journals, and where it is (journal name and offset), which tells versions apart. */
export interface JournalEntry {
  job: Job;
  mark: string;
}

/** What has been read of one journal. */
interface JournalRead {
  /** The offset after the last whole line read. */
  offset: number;
  /** Lines read, for the line numbers of problems. */
  lines: number;
  latest: Map<string, JournalEntry>;
}

/**
 * Reads journals incrementally: each call reads only what was appended since the last. A line that is
 * whole but not a job record is reported once, naming the journal and line, and skipped.
 */
export class JournalReader {
  private readonly read = new Map<string, JournalRead>();

  /**
   * Brings the journals `names` (oldest first, as {@link journalNames} gives) of `folder` up to date,
   * forgets the others, and returns each job's newest record across them, with the problems newly found.
   */
  async update(
    folder: string,
    names: readonly string[],
  ): Promise<{ latest: Map<string, JournalEntry>; problems: RunnerError[] }> {
    for (const name of this.read.keys()) if (!names.includes(name)) this.read.delete(name);
    const problems: RunnerError[] = [];
    const latest = new Map<string, JournalEntry>();
    for (const name of names) {
      const state = this.read.get(name) ?? { offset: 0, lines: 0, latest: new Map() };
      this.read.set(name, state);
      await readOn(join(folder, name), name, state, problems);
      for (const [id, entry] of state.latest) latest.set(id, entry);
    }
    return { latest, problems };
  }
}

/** Reads the whole lines appended to one journal since `state.offset`. */
async function readOn(
  path: string,
  name: string,
  state: JournalRead,
  problems: RunnerError[],
): Promise<void> {
  let text: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size <= state.offset) return;
      text = Buffer.alloc(size - state.offset);
      const { bytesRead } = await file.read(text, 0, text.length, state.offset);
      text = text.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (e) {
    // Folded meanwhile: its records are in the job files now.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  let start = 0;
  for (let end = text.indexOf(10); end >= 0; end = text.indexOf(10, start)) {
    const at = state.offset + start;
    const line = text.subarray(start, end).toString('utf8');
    start = end + 1;
    state.lines++;
    if (line.trim() === '') continue;
    try {
      const job = parseLine(line, path, state.lines);
      state.latest.set(job.id, { job, mark: `${name}@${at}` });
    } catch (e) {
      if (!isRunnerError(e)) throw e;
      problems.push(e);
    }
  }
  // What follows the last newline is a line still being written, or cut short by a crash.
  state.offset += start;
}

function parseLine(line: string, path: string, lineNo: number): Job {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (e) {
    throw badJobFile(path, `${path}:${lineNo}: not valid JSON (${(e as Error).message})`);
  }
  const id = (data as { id?: unknown } | null)?.id;
  if (!isJobId(id)) throw badJobFile(path, `${path}:${lineNo}: not a job record (id: not a valid job id)`);
  return checkJob(data, path, id, lineNo);
}

/** A job's record as a journal line: compact JSON of its fields ({@link storedFields}) and a newline. */
export const journalLine = (job: Job): string => `${JSON.stringify(storedFields(job))}\n`;

/** Every journal of `folder` (a store's `jobs/`), oldest first. */
export async function journalsIn(folder: string): Promise<string[]> {
  return journalNames(await readdir(folder));
}

/**
 * The owner's side: appends records to the current journal, remembers which jobs it holds, and says when
 * it has grown enough to be folded. One writer per owning handle; calls must not overlap.
 */
export class JournalWriter {
  private fd: number | undefined;
  private bytes = 0;
  /** The jobs with a record in the current journal. */
  readonly held = new Set<string>();

  private next: number;

  /** `after` is the number of the newest journal found: this writer's journals come after it. */
  constructor(
    private readonly folder: string,
    after: number,
    private readonly foldBytes: number,
  ) {
    this.next = journalNumberAfter(after);
  }

  /** The path of the journal being written; undefined before the first record. */
  get path(): string | undefined {
    return this.fd === undefined ? undefined : join(this.folder, `journal-${this.next}.jsonl`);
  }

  /** Appends the record `line` ({@link journalLine}) of job `id`; true when the journal should be folded now. */
  append(id: string, line: string): boolean {
    this.fd ??= openSync(join(this.folder, `journal-${this.next}.jsonl`), 'a');
    const data = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < data.length) written += writeSync(this.fd, data, written);
    this.bytes += data.length;
    this.held.add(id);
    return this.bytes >= this.foldBytes;
  }

  /**
   * Folds the journal: `writeFile` writes each held job's newest record to its file, then the journal is
   * deleted and the next record starts a new one. A failure leaves the journal as it was.
   */
  async fold(writeFile: (id: string) => Promise<void>): Promise<void> {
    if (this.fd === undefined) return;
    for (const id of this.held) await writeFile(id);
    const path = this.path!;
    this.close();
    await rm(path, { force: true });
    this.held.clear();
    this.bytes = 0;
    this.next = journalNumberAfter(this.next);
  }

  /** Stops writing, leaving the journal to whoever owns the store next. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The number of a new journal: the time in ms, and above `after`. A name is never used twice, so a
 * reader that remembers how far it read a journal of that name never reads a later one from the middle.
 */
export function journalNumberAfter(after: number): number {
  return Math.max(Date.now(), after + 1);
}

/** The number of the newest of the journals `names` (as {@link journalNames} orders them), or 0. */
export const newestJournalNumber = (names: readonly string[]): number =>
  names.length === 0 ? 0 : journalNumber(names[names.length - 1]!);
