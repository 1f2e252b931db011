/**
 * The durable job store's contract: a folder with one JSON file per job and the owner's journal of
 * newer records (jobJournal.ts), shared safely by two processes. One of them, the owner, dispatches jobs
 * and is the only one that writes them; another (`comfy-runner jobs cancel` while a scheduler runs) asks
 * the owner through request files, or takes ownership when the owner is gone. `openStore` (openStore.ts)
 * opens one; docs/store-format.md has the format.
 */
import type { RunnerError } from '../util/runnerError';
import type { Job } from '../jobs/job';
import type { JobState } from '../jobs/jobState';
import type { ScanResult } from './jobScan';
import type { AcquireResult, OwnerRecord } from './ownerLock';
import type { OwnerStatus } from './storeOwnership';
import type { RequestAnswer, StoreRequest, StoreRequestOp } from './storeRequests';
import type { WatchMode } from './storeWatcher';

/** Options of {@link openStore}; each has a default. */
export interface StoreOptions {
  /**
   * The clock, in ms since the epoch: heartbeats, staleness, pruning and request times use it.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Time between the owner's heartbeats, in ms; 0 renews only when `heartbeat()` is called.
   * @default 5000
   */
  readonly heartbeatMs?: number;
  /**
   * An owner whose heartbeat is this old is taken to be gone, in ms.
   * @default 30000
   */
  readonly staleAfterMs?: number;
  /**
   * How another process's writes are noticed (see {@link WatchMode}).
   * @default 'auto'
   */
  readonly watch?: WatchMode;
  /**
   * Time between two polls of the store's folders, in ms.
   * @default 2000
   */
  readonly pollMs?: number;
  /**
   * Whether a process of this host exists; tests replace it.
   * @default signal 0 to the pid
   */
  readonly isProcessAlive?: (pid: number) => boolean;
  /**
   * How large the owner's journal of job records grows before it is folded into the job files, in bytes.
   * @default 4 MiB
   */
  readonly journalFoldBytes?: number;
  /** @default process.pid */
  readonly pid?: number;
  /** @default os.hostname() */
  readonly hostname?: string;
}

/** Which jobs {@link JobStore.list} returns; all given conditions must hold. */
export interface JobFilter {
  states?: readonly JobState[];
  /** Jobs that ran or run on this server. */
  server?: string;
  /** Jobs of this workflow file. */
  workflowFile?: string;
}

/** What {@link JobStore.prune} removes. */
export interface PruneOptions {
  /**
   * States whose jobs may go; only final states are allowed.
   * @default every final state
   */
  states?: readonly JobState[];
  /** The least age in ms, counted from the job's end (or its queueing, if it never ran). */
  olderThan: number;
}

/** Something that happened to the store, told to subscribers. */
export type StoreEvent =
  /** Job files were added, rewritten or removed by another process (or another handle). */
  | { type: 'jobs/changed'; changed: Job[]; removed: string[] }
  /** Request files are waiting; the owner should call `takeRequests()`. */
  | { type: 'requests/pending'; count: number }
  /** Another process took ownership: this handle may no longer write. */
  | { type: 'owner/lost'; owner?: OwnerRecord }
  /** A file could not be read, or a background heartbeat or reload failed. */
  | { type: 'store/problem'; error: RunnerError };

/** A job store. Every method is safe to call while another is still running. */
export interface JobStore {
  /** The store's folder, absolute. */
  readonly dir: string;
  /** Writes a job (owner only). Only the fields of {@link Job} are stored. */
  put(job: Job): Promise<void>;
  /** One job, read from disk now; undefined when absent. Throws `bad_input` when its file is unreadable. */
  get(id: string): Promise<Job | undefined>;
  /** The readable jobs matching `filter`, oldest first; unreadable files are in {@link problems}. */
  list(filter?: JobFilter): Promise<Job[]>;
  /** Deletes a job's file (owner only); false when there was none. Outputs are left alone. */
  remove(id: string): Promise<boolean>;
  /** Deletes old jobs in final states and old unclaimed answers (owner only); returns the job ids. */
  prune(options: PruneOptions): Promise<string[]>;
  /** The job files the last scan could not read, each a `bad_input` error naming the file. */
  problems(): RunnerError[];
  /** Rescans now and tells subscribers what changed; returns the same. */
  reload(): Promise<ScanResult>;
  /** Tells `listener` about changes from now on (and starts watching the folder); returns unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  /** Takes ownership unless a live owner holds it. */
  acquire(): Promise<AcquireResult>;
  /** Renews the owner's heartbeat; false when ownership was lost. */
  heartbeat(): Promise<boolean>;
  /** Gives ownership up. */
  release(): Promise<void>;
  /** Who owns the store now, if anyone. */
  owner(): Promise<OwnerStatus | undefined>;
  /** True while this handle owns the store. */
  readonly isOwner: boolean;
  /** Asks the owner to apply `op` to a job (any process); returns the request written. */
  request(op: StoreRequestOp, jobId: string): Promise<StoreRequest>;
  /** Reads and deletes the waiting requests, oldest first (owner only); each is delivered once. */
  takeRequests(): Promise<StoreRequest[]>;
  /** Answers a request (owner only). */
  answer(request: StoreRequest, result: Pick<RequestAnswer, 'ok' | 'message' | 'jobId'>): Promise<void>;
  /** Resolves with the owner's answer to a request; rejects with `timeout` or `interrupted` on abort. */
  waitForAnswer(requestId: string, signal?: AbortSignal): Promise<RequestAnswer>;
  /** Stops watching and heartbeats and releases ownership. */
  close(): Promise<void>;
}
