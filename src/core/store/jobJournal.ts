/**
 * The owner's journal of job records (docs/store-format.md). A record the owner puts is one line appended
 * to `jobs/journal-<n>.jsonl`, not a file created and renamed: on some disks a create costs half a
 * millisecond of CPU, and a job is recorded four times. Now and then (when the journal has grown past a
 * limit, when the owner lets the store go, before a job file is removed) the owner folds it: the next
 * record starts a new journal, of a higher number, and the newest record of each job the old one holds
 * goes into that job's file, atomically, before the old journal is deleted. Readers put the journals'
 * lines over the job files, oldest journal first, newest line winning. A crash leaves the files and
 * journals whose lines are each whole or, the last one only, cut short: a cut line is ignored, and
 * whoever owns the store next folds what is left before it writes anything.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunnerError } from '../util/runnerError';
import type { RunnerError } from '../util/runnerError';
import type { Job } from '../jobs/job';
import { parseJob, storedFields } from './jobFile';

const JOURNAL_NAME = /^journal-(\d{1,15})\.jsonl$/;

/** The journal file names in a listing of `jobs/`, oldest first. */
export function journalNames(names: readonly string[]): string[] {
  return names.filter((n) => JOURNAL_NAME.test(n)).sort((a, b) => journalNumber(a) - journalNumber(b));
}

function journalNumber(name: string): number {
  return Number(JOURNAL_NAME.exec(name)?.[1] ?? 0);
}

/** A job's newest record in the journals, and where it is (`<journal name>@<offset>`), which tells versions apart. */
export interface JournalEntry {
  job: Job;
  mark: string;
}

/** The journal a {@link JournalEntry.mark} points into. */
export const journalOfMark = (mark: string): string => mark.slice(0, mark.lastIndexOf('@'));

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
    // Journals are folded oldest first: one gone since the listing was folded, and so was every older
    // one, so the job files hold their records or newer ones, and only the journals after it count.
    let from = 0;
    for (const [i, name] of names.entries()) {
      const state = this.read.get(name) ?? { offset: 0, lines: 0, latest: new Map() };
      this.read.set(name, state);
      if ((await readOn(join(folder, name), name, state, problems)) === 'gone') {
        this.read.delete(name);
        from = i + 1;
      }
    }
    const latest = new Map<string, JournalEntry>();
    for (const name of names.slice(from)) {
      for (const [id, entry] of this.read.get(name)!.latest) latest.set(id, entry);
    }
    return { latest, problems };
  }
}

/** Reads the whole lines appended to one journal since `state.offset`; `gone` when it was deleted. */
async function readOn(
  path: string,
  name: string,
  state: JournalRead,
  problems: RunnerError[],
): Promise<'read' | 'gone'> {
  let text: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size <= state.offset) return 'read';
      text = Buffer.alloc(size - state.offset);
      const { bytesRead } = await file.read(text, 0, text.length, state.offset);
      text = text.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (e) {
    // Folded meanwhile: its records are in the job files now.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
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
      const job = parseJob(line, path, undefined, state.lines);
      state.latest.set(job.id, { job, mark: `${name}@${at}` });
    } catch (e) {
      if (!isRunnerError(e)) throw e;
      problems.push(e);
    }
  }
  // What follows the last newline is a line still being written, or cut short by a crash.
  state.offset += start;
  return 'read';
}

/** A job's record as a journal line: compact JSON of its fields ({@link storedFields}) and a newline. */
export const journalLine = (job: Job): string => `${JSON.stringify(storedFields(job))}\n`;

/** Every journal of `folder` (a store's `jobs/`), oldest first. */
export async function journalsIn(folder: string): Promise<string[]> {
  return journalNames(await readdir(folder));
}

/** A journal the owner stopped appending to, whose records are to go into the job files. */
export interface FoldedJournal {
  readonly path: string;
  readonly number: number;
  /** The jobs whose last record went into it. */
  readonly ids: readonly string[];
}

/**
 * The owner's side: appends records to the current journal, remembers which jobs' newest record is in a
 * journal rather than their file, and says when the journal has grown enough to be folded. One writer
 * per owning handle; calls must not overlap.
 */
export class JournalWriter {
  private fd: number | undefined;
  private bytes = 0;
  private next: number;
  /** Per job whose newest record is not in its file yet: the number of the journal that holds it. */
  private readonly holding = new Map<string, number>();

  /** `after` is the number of the newest journal found: this writer's journals come after it. */
  constructor(
    private readonly folder: string,
    after: number,
    private readonly foldBytes: number,
  ) {
    this.next = journalNumberAfter(after);
  }

  /** True when the newest record of job `id` is in a journal, not yet in its file. */
  holds(id: string): boolean {
    return this.holding.has(id);
  }

  /** The jobs {@link holds} is true of. */
  held(): Set<string> {
    return new Set(this.holding.keys());
  }

  /** Appends the record `line` ({@link journalLine}) of job `id`; true when the journal should be folded now. */
  append(id: string, line: string): boolean {
    this.fd ??= openSync(join(this.folder, `journal-${this.next}.jsonl`), 'a');
    const data = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < data.length) written += writeSync(this.fd, data, written);
    this.bytes += data.length;
    this.holding.set(id, this.next);
    return this.bytes >= this.foldBytes;
  }

  /** Ends the current journal (the next record starts a new one) and returns it; undefined when empty. */
  rotate(): FoldedJournal | undefined {
    if (this.fd === undefined) return undefined;
    const number = this.next;
    const path = join(this.folder, `journal-${number}.jsonl`);
    this.close();
    this.bytes = 0;
    this.next = journalNumberAfter(number);
    const ids = [...this.holding].filter(([, n]) => n === number).map(([id]) => id);
    return { path, number, ids };
  }

  /** Notes that the records of `folded` are in the job files now and the journal deleted. */
  folded(folded: FoldedJournal): void {
    for (const id of folded.ids) if (this.holding.get(id) === folded.number) this.holding.delete(id);
  }

  /** Stops writing, leaving the journal to whoever owns the store next. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Folds the journals `names` of `folder` that an earlier owner left: `write` puts each job's newest whole
 * record into its file, then the journals are deleted. Returns the lines that were whole but not records
 * (they cannot be put anywhere). A failure leaves the journals for the next try.
 */
export async function foldLeftJournals(
  folder: string,
  names: readonly string[],
  write: (job: Job) => Promise<void>,
): Promise<RunnerError[]> {
  if (names.length === 0) return [];
  const { latest, problems } = await new JournalReader().update(folder, names);
  for (const entry of latest.values()) {
    await write(entry.job);
    await nextTurn();
  }
  for (const name of names) await rm(join(folder, name), { force: true });
  return problems;
}

/** A turn of the event loop, so that writing many files never holds it for long. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
