/**
 * Reading the jobs folder without re-reading what has not changed. Every write replaces a job file by
 * renaming a new one over it, so a file's inode, size and modification time together tell whether it
 * changed since it was last read; only changed files are parsed again. The owner's journals
 * (jobJournal.ts) are read over the files, each only from where the last scan stopped.
 */
import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { Job } from '../jobs/job';
import { parseJob } from './jobFile';
import { journalNames, journalOfMark, type JournalEntry, type JournalReader } from './jobJournal';
import { jobIdOfFile } from './storeLayout';

/** What is known of one job file. */
export interface CachedJob {
  /**
   * The version of the file the job was read from; undefined for a file this handle wrote itself and
   * has not looked at since (a stat per write would cost more than the scans that use it).
   */
  fingerprint: string | undefined;
  /** Where in a journal the job was last read from, when it was (see {@link JournalEntry}). */
  journalMark?: string;
  job: Job;
}

/** The jobs read so far, and the files that could not be read; both by job id. */
export interface JobCache {
  jobs: Map<string, CachedJob>;
  problems: Map<string, { fingerprint: string; error: RunnerError }>;
}

/** What one scan found different from the cache. */
export interface ScanResult {
  /** Jobs added or rewritten since the last scan. */
  changed: Job[];
  /** Ids whose file is gone, or no longer holds a readable job. */
  removed: string[];
  /** Files newly found unreadable (each reported once per version of the file). */
  problems: RunnerError[];
}

/** How many job files are read at once. */
const SCAN_BATCH = 32;

/** An empty cache. */
export function emptyCache(): JobCache {
  return { jobs: new Map(), problems: new Map() };
}

/** Identifies one version of a file; see the module comment. */
export function fingerprintOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** How a scan reads the folder. */
export interface ScanOptions {
  /**
   * The handle owns the store, so nobody else writes jobs: a file the handle wrote itself is taken to be
   * what it wrote, without reading it.
   */
  readonly ownWritesStand: boolean;
  /** Jobs whose record in the cache is in this handle's own journal: their files are not looked at. */
  readonly ownJournal?: ReadonlySet<string>;
  /** Reads the journals over the files (a handle that does not own the store). */
  readonly journals?: JournalReader;
}

/** Reads the jobs folder and its journals and brings `cache` up to date, returning what changed. */
export async function scanJobs(folder: string, cache: JobCache, options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { changed: [], removed: [], problems: [] };
  const found = { jobs: new Set<string>(options.ownJournal), problems: new Set<string>() };
  const names = await readdir(folder);
  const journals = journalNames(names);
  // The journals before the files. A journal folded meanwhile had its records written into the files
  // before it went, so the files read next have them; read the other way round, a file read just before
  // a fold and a journal gone just after would give a record older than one already kept.
  const overlay = options.journals ? await options.journals.update(folder, journals) : undefined;
  // A job last read from a journal that is gone: its file holds that record or a newer one now.
  for (const cached of cache.jobs.values()) {
    if (cached.journalMark !== undefined && !journals.includes(journalOfMark(cached.journalMark))) {
      cached.journalMark = undefined;
      cached.fingerprint = '';
    }
  }
  const ids = names
    .map(jobIdOfFile)
    .filter((id) => id !== undefined && !options.ownJournal?.has(id)) as string[];
  // A few files at a time: a store of thousands of jobs loads in parallel without exhausting handles.
  for (let i = 0; i < ids.length; i += SCAN_BATCH) {
    const batch = ids.slice(i, i + SCAN_BATCH);
    const outcomes = await Promise.all(
      batch.map((id) => scanFile(join(folder, `${id}.json`), id, { cache, result, options })),
    );
    outcomes.forEach((outcome, k) => {
      if (outcome !== 'gone') found[outcome].add(batch[k]!);
    });
  }
  if (overlay) overlayJournals(overlay, { cache, result, options }, found.jobs);
  // Parallel reads finish in any order; report changes in a stable one.
  result.changed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const id of cache.jobs.keys()) {
    if (!found.jobs.has(id)) {
      cache.jobs.delete(id);
      result.removed.push(id);
    }
  }
  for (const id of cache.problems.keys()) {
    if (!found.problems.has(id)) cache.problems.delete(id);
  }
  return result;
}

/** What a scan of the folder works on. */
interface Scan {
  readonly cache: JobCache;
  readonly result: ScanResult;
  readonly options: ScanOptions;
}

/**
 * Puts each job's newest journal record over what its file says, unless the cache has that record
 * already and the file did not change meanwhile.
 */
function overlayJournals(
  { latest, problems }: { latest: Map<string, JournalEntry>; problems: RunnerError[] },
  scan: Scan,
  found: Set<string>,
): void {
  const { cache, result } = scan;
  result.problems.push(...problems);
  const overlaid = new Map<string, Job>();
  for (const [id, entry] of latest) {
    found.add(id);
    const cached = cache.jobs.get(id);
    if (cached?.journalMark === entry.mark) continue;
    cache.jobs.set(id, { fingerprint: cached?.fingerprint, journalMark: entry.mark, job: entry.job });
    overlaid.set(id, entry.job);
  }
  // A job read from its file and then from a journal is reported once, as the journal has it.
  if (overlaid.size > 0) {
    result.changed = [...result.changed.filter((j) => !overlaid.has(j.id)), ...overlaid.values()];
  }
}

/** Brings one file's entry up to date and says what the file holds now. */
async function scanFile(path: string, id: string, scan: Scan): Promise<'jobs' | 'problems' | 'gone'> {
  const { cache, result } = scan;
  const s = await statIfExists(path);
  if (!s?.isFile()) return 'gone';
  const fingerprint = fingerprintOf(s);
  const cached = cache.jobs.get(id);
  if (cached?.fingerprint === fingerprint) return 'jobs';
  if (cached && cached.fingerprint === undefined && scan.options.ownWritesStand) {
    cached.fingerprint = fingerprint;
    return 'jobs';
  }
  if (cache.problems.get(id)?.fingerprint === fingerprint) return 'problems';
  try {
    const job = parseJob(await readFile(path, 'utf8'), path, id);
    cache.jobs.set(id, { fingerprint, job });
    cache.problems.delete(id);
    result.changed.push(job);
    return 'jobs';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    const error = isRunnerError(e) ? e : unreadable(path, e);
    cache.problems.set(id, { fingerprint, error });
    result.problems.push(error);
    return 'problems';
  }
}

function unreadable(path: string, e: unknown): RunnerError {
  return new RunnerError('bad_input', `${path}: cannot be read (${(e as Error).message})`, { file: path });
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
