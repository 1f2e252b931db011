/**
 * Opening a job store ({@link JobStore}) on a folder: the files of docs/store-format.md, a cache of the
 * jobs read so far, the owner lock, request files and change notification put together.
 */
import { hostname } from 'node:os';
import { rm, stat } from 'node:fs/promises';
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { Job } from '../jobs/job';
import { terminalStates } from '../jobs/jobState';
import { writeTextAtomic } from '../util/atomicWrite';
import { AnswerWaiters } from './answerWaiters';
import { readJobFile, serializeJob, unstorableReason } from './jobFile';
import {
  foldLeftJournals,
  journalLine,
  JournalReader,
  JournalWriter,
  journalsIn,
  newestJournalNumber,
  nextTurn,
} from './jobJournal';
import { emptyCache, scanJobs, type ScanResult } from './jobScan';
import type { JobFilter, JobStore, PruneOptions, StoreEvent, StoreOptions } from './jobStore';
import { processExists, type AcquireResult } from './ownerLock';
import { StoreOwnership, type OwnerStatus } from './storeOwnership';
import { jobPath, markJournalled, prepareStore, storeLayout, type StoreLayout } from './storeLayout';
import {
  newRequest,
  PendingRequestWatch,
  pruneAnswers,
  takeRequests,
  writeAnswer,
  writeRequest,
  type RequestAnswer,
  type StoreRequest,
  type StoreRequestOp,
} from './storeRequests';
import { watchFolders, type FolderWatch } from './storeWatcher';

/** Opens (creating when needed) the store in `dir`. Throws `bad_input` for a store of a newer version. */
export async function openStore(dir: string, options: StoreOptions = {}): Promise<JobStore> {
  const layout = storeLayout(dir);
  await prepareStore(layout);
  return new FileJobStore(layout, options);
}

/** How large the owner's journal grows before it is folded into the job files, in bytes. */
const FOLD_BYTES = 4 * 1024 * 1024;

class FileJobStore implements JobStore {
  private readonly cache = emptyCache();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly ownership: StoreOwnership;
  private readonly now: () => number;
  /** Who this handle is, as written into owner.json and requests. */
  private readonly me: { pid: number; hostname: string };
  private readonly requestWatch: PendingRequestWatch;
  private readonly waiters: AnswerWaiters;
  private watch: FolderWatch | undefined;
  /** The folders {@link watch} watches, one per line. */
  private watchedKey = '';
  /** The journal this handle appends to while it owns the store. */
  private journal: JournalWriter | undefined;
  /** The folds under way, one after the other; see {@link fold}. */
  private folding: Promise<void> = Promise.resolve();
  /** Reads other owners' journals, while this handle does not own the store. */
  private readonly readers = new JournalReader();
  /** Operations on the cache run one at a time, so a scan never reports this handle's own write. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly layout: StoreLayout,
    private readonly options: StoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.me = { pid: options.pid ?? process.pid, hostname: options.hostname ?? hostname() };
    this.ownership = new StoreOwnership(layout, {
      ...this.me,
      now: this.now,
      staleAfterMs: options.staleAfterMs ?? 30_000,
      heartbeatMs: options.heartbeatMs ?? 5000,
      isProcessAlive: options.isProcessAlive ?? processExists,
      onLost: (owner) => {
        // The journal is the next owner's to fold now.
        this.journal?.close();
        this.journal = undefined;
        this.updateWatching();
        this.emit({ type: 'owner/lost', owner });
      },
      onError: (e) => this.emitProblem(e),
    });
    this.requestWatch = new PendingRequestWatch(layout);
    this.waiters = new AnswerWaiters(layout, options.pollMs ?? 2000, () => this.updateWatching());
  }

  get dir(): string {
    return this.layout.root;
  }

  get isOwner(): boolean {
    return this.ownership.held;
  }

  async put(job: Job): Promise<void> {
    await this.ownership.assertHeld('put');
    // Refuses an id that cannot name a file.
    jobPath(this.layout, job.id);
    const unstorable = unstorableReason(job);
    if (unstorable) {
      throw new RunnerError('internal', `refusing to store an invalid job: ${unstorable}`, {}, job.id);
    }
    const line = journalLine(job);
    // The cache keeps what was written, a copy the caller cannot change.
    const stored = JSON.parse(line) as Job;
    await this.exclusive(async () => {
      const journal = await this.ownJournal();
      const foldNow = journal.append(job.id, line);
      this.cache.jobs.set(job.id, { fingerprint: undefined, job: stored });
      this.cache.problems.delete(job.id);
      // Not waited for: the files are written in the background, and the next records go on meanwhile.
      if (foldNow) void this.fold();
    });
  }

  async get(id: string): Promise<Job | undefined> {
    const path = jobPath(this.layout, id);
    if (this.journal?.holds(id)) return structuredClone(this.cache.jobs.get(id)?.job);
    // The journals first: a fold that ends meanwhile has written the file read after them.
    const names = this.ownership.held ? [] : await journalsIn(this.layout.jobs);
    if (names.length > 0) {
      const entry = (await new JournalReader().update(this.layout.jobs, names)).latest.get(id);
      if (entry) return entry.job;
    }
    return readJobFile(path, id);
  }

  async list(filter: JobFilter = {}): Promise<Job[]> {
    await this.exclusive(() => this.rescan());
    const states = filter.states ? new Set(filter.states) : undefined;
    return [...this.cache.jobs.values()]
      .map((c) => c.job)
      .filter(
        (j) =>
          (!states || states.has(j.state)) &&
          (filter.server === undefined || j.server === filter.server) &&
          (filter.workflowFile === undefined || j.workflow.file === filter.workflowFile),
      )
      .sort((a, b) => a.times.queued - b.times.queued || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((j) => structuredClone(j));
  }

  async remove(id: string): Promise<boolean> {
    await this.ownership.assertHeld('remove');
    const path = jobPath(this.layout, id);
    // Folded first, so that no journal line brings the job back.
    return this.exclusive(async () => {
      await this.fold();
      return this.removeFile(id, path);
    });
  }

  async prune(options: PruneOptions): Promise<string[]> {
    await this.ownership.assertHeld('prune');
    const states = new Set(options.states ?? terminalStates);
    for (const s of states) {
      if (!terminalStates.has(s)) throw new RunnerError('bad_input', `cannot prune jobs that are ${s}`);
    }
    if (!(options.olderThan >= 0)) {
      throw new RunnerError(
        'bad_input',
        `prune: olderThan must be a duration in ms, not ${options.olderThan}`,
      );
    }
    const cutoff = this.now() - options.olderThan;
    const removed = await this.exclusive(async () => {
      await this.fold();
      await this.rescan();
      const old = [...this.cache.jobs.values()]
        .map((c) => c.job)
        .filter((j) => states.has(j.state) && (j.times.finished ?? j.times.queued) <= cutoff);
      for (const j of old) await this.removeFile(j.id, jobPath(this.layout, j.id));
      return old.map((j) => j.id).sort();
    });
    await pruneAnswers(this.layout, cutoff);
    return removed;
  }

  problems(): RunnerError[] {
    return [...this.cache.problems.values()].map((p) => p.error);
  }

  async reload(): Promise<ScanResult> {
    const result = await this.exclusive(() => this.rescan());
    await this.checkRequests();
    await this.waiters.check();
    return result;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    this.updateWatching();
    return () => {
      this.listeners.delete(listener);
      this.updateWatching();
    };
  }

  async acquire(): Promise<AcquireResult> {
    const result = await this.ownership.acquire();
    if (result.acquired) await this.exclusive(() => this.ownJournal());
    this.updateWatching();
    return result;
  }

  heartbeat(): Promise<boolean> {
    return this.ownership.heartbeat();
  }

  async release(): Promise<void> {
    await this.letGo();
    this.updateWatching();
  }

  owner(): Promise<OwnerStatus | undefined> {
    return this.ownership.status();
  }

  async request(op: StoreRequestOp, jobId: string): Promise<StoreRequest> {
    const request = newRequest(op, jobId, this.now(), { ...this.me });
    await writeRequest(this.layout, request);
    return request;
  }

  async takeRequests(): Promise<StoreRequest[]> {
    await this.ownership.assertHeld('takeRequests');
    const { requests, problems } = await takeRequests(this.layout);
    this.requestWatch.taken();
    for (const p of problems) this.emit({ type: 'store/problem', error: p });
    return requests;
  }

  async answer(
    request: StoreRequest,
    result: Pick<RequestAnswer, 'ok' | 'message' | 'jobId'>,
  ): Promise<void> {
    await this.ownership.assertHeld('answer');
    await writeAnswer(this.layout, { ...result, requestId: request.id, answeredAt: this.now() });
  }

  waitForAnswer(requestId: string, signal?: AbortSignal): Promise<RequestAnswer> {
    return this.waiters.wait(requestId, signal);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.waiters.cancelAll();
    this.updateWatching();
    await this.letGo();
  }

  /** Folds the journal and gives ownership up; a handle that lost ownership leaves its journal as it is. */
  private async letGo(): Promise<void> {
    if (this.ownership.held) await this.exclusive(() => this.fold());
    this.journal?.close();
    this.journal = undefined;
    await this.ownership.release();
  }

  /**
   * The journal this owner writes. The first time after taking ownership, it folds the journals a
   * previous owner left (their records go into the job files) and marks the store as one with journals.
   */
  private async ownJournal(): Promise<JournalWriter> {
    if (this.journal) return this.journal;
    const folder = this.layout.jobs;
    const left = await journalsIn(folder);
    const problems = await foldLeftJournals(folder, left, async (job) => {
      await writeTextAtomic(jobPath(this.layout, job.id), serializeJob(job));
      this.cache.jobs.set(job.id, { fingerprint: undefined, job });
    });
    for (const error of problems) this.emit({ type: 'store/problem', error });
    await markJournalled(this.layout);
    const foldBytes = this.options.journalFoldBytes ?? FOLD_BYTES;
    this.journal = new JournalWriter(folder, newestJournalNumber(left), foldBytes);
    return this.journal;
  }

  /**
   * Ends the current journal and writes its jobs' records into their files, one file a turn, behind any
   * fold still under way; resolves once every fold so far is done. Records go on into a new journal
   * meanwhile: a reader reads it after the old one, so a file written with a newer record is never
   * read as the newest when it is not.
   */
  private fold(): Promise<void> {
    const journal = this.journal;
    const folded = journal?.rotate();
    if (!journal || !folded) return this.folding;
    const writeFiles = async () => {
      for (const id of folded.ids) {
        // Lost meanwhile: the journal is the next owner's to fold, and the files are its to write.
        if (this.journal !== journal) return;
        const cached = this.cache.jobs.get(id);
        if (!cached) continue;
        await writeTextAtomic(jobPath(this.layout, id), serializeJob(cached.job));
        cached.fingerprint = undefined;
        await nextTurn();
      }
      await rm(folded.path, { force: true });
      journal.folded(folded);
    };
    // A failed fold leaves its journal, which the next owner folds; the next fold is tried all the same.
    this.folding = this.folding.then(writeFiles).catch((e: unknown) => this.emitProblem(e));
    return this.folding;
  }

  private async rescan(): Promise<ScanResult> {
    const owner = this.ownership.held;
    const result = await scanJobs(this.layout.jobs, this.cache, {
      ownWritesStand: owner,
      ownJournal: owner ? this.journal?.held() : undefined,
      journals: owner ? undefined : this.readers,
    });
    if (result.changed.length > 0 || result.removed.length > 0) {
      const changed = result.changed.map((j) => structuredClone(j));
      this.emit({ type: 'jobs/changed', changed, removed: [...result.removed] });
    }
    for (const error of result.problems) this.emit({ type: 'store/problem', error });
    return result;
  }

  private async removeFile(id: string, path: string): Promise<boolean> {
    const existed = (await stat(path).catch(() => undefined)) !== undefined;
    await rm(path, { force: true });
    this.cache.jobs.delete(id);
    this.cache.problems.delete(id);
    return existed;
  }

  /**
   * Watches the folders while someone listens or waits for an answer, and only then; `jobs/` only while
   * this handle does not own the store (see {@link reloadInBackground}).
   */
  private updateWatching(): void {
    const wanted = this.listeners.size > 0 || this.waiters.size > 0;
    const { jobs, requests, answers } = this.layout;
    const folders = wanted ? [...(this.ownership.held ? [] : [jobs]), requests, answers] : [];
    const key = folders.join('\n');
    if (key === this.watchedKey) return;
    this.watch?.close();
    this.watch = undefined;
    this.watchedKey = key;
    if (folders.length === 0) return;
    this.watch = watchFolders(folders, (changed) => this.reloadInBackground(changed), {
      mode: this.options.watch ?? 'auto',
      pollMs: this.options.pollMs ?? 2000,
    });
  }

  /**
   * Rescans the folders a watch or a poll named. An owner watches no `jobs/`: only the owner writes jobs,
   * so there is nothing in it an owner has not written itself, and a rescan would stat every job file
   * at every write it makes.
   */
  private reloadInBackground(folders: ReadonlySet<string>): void {
    const { jobs, requests, answers } = this.layout;
    const reloaded = async () => {
      if (folders.has(jobs)) await this.exclusive(() => this.rescan());
      if (folders.has(requests)) await this.checkRequests();
      if (folders.has(answers)) await this.waiters.check();
    };
    reloaded().catch((e) => this.emitProblem(e));
  }

  private async checkRequests(): Promise<void> {
    const count = await this.requestWatch.newlyPending();
    if (count > 0) this.emit({ type: 'requests/pending', count });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private emit(event: StoreEvent): void {
    for (const l of [...this.listeners]) l(event);
  }

  private emitProblem(e: unknown): void {
    const error = isRunnerError(e)
      ? e
      : new RunnerError('internal', `job store: ${(e as Error).message}`, {}, e);
    this.emit({ type: 'store/problem', error });
  }
}
