/**
 * The owner lock: `owner.json` names the one process that dispatches a store's jobs, with a heartbeat
 * it renews. Another process may take ownership only when the owner is not live: its heartbeat is
 * stale, or it ran on this host and its pid is gone. Every change of `owner.json` (taking, renewing,
 * releasing) happens while holding `owner.lock/`, a folder whose creation is atomic, so a renewal never
 * overwrites a takeover and a release never deletes someone else's lock.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { RunnerError } from '../util/runnerError';
import { writeFileAtomic } from '../util/atomicWrite';
import type { StoreLayout } from './storeLayout';

/** The content of `owner.json`. */
export interface OwnerRecord {
  pid: number;
  hostname: string;
  /** Random per acquisition: tells this owner from a later one with a reused pid. */
  token: string;
  /** When ownership was taken, ms since the epoch. */
  since: number;
  /** When the owner last renewed it. */
  heartbeat: number;
}

/** What a process needs to judge whether an owner is live. */
export interface Liveness {
  now: () => number;
  hostname: string;
  staleAfterMs: number;
  isProcessAlive: (pid: number) => boolean;
}

/** The outcome of trying to take ownership. */
export type AcquireResult =
  { acquired: true; previous?: OwnerRecord } | { acquired: false; owner: OwnerRecord };

/** A mutex holder that has been gone this long is taken to have crashed inside it. */
const MUTEX_STALE_MS = 10_000;
const MUTEX_RETRY_MS = 10;

/**
 * True when `owner` is live: its heartbeat is younger than `staleAfterMs` and, when it runs on this
 * host, its process exists. A pid on another host cannot be checked, so there the heartbeat decides.
 */
export function isOwnerLive(owner: OwnerRecord, env: Liveness): boolean {
  if (env.now() - owner.heartbeat >= env.staleAfterMs) return false;
  return owner.hostname !== env.hostname || env.isProcessAlive(owner.pid);
}

/** Whether a process exists, by sending it signal 0; EPERM means it exists but is someone else's. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The current `owner.json`, or undefined when there is none. A file that is not a record (edited by
 * hand) reads as an owner that is long dead, so it can be taken over rather than block the store.
 */
export async function readOwner(layout: StoreLayout): Promise<OwnerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(layout.owner, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const r = JSON.parse(text) as Partial<OwnerRecord>;
    if (typeof r.pid === 'number' && typeof r.hostname === 'string' && typeof r.token === 'string') {
      return {
        pid: r.pid,
        hostname: r.hostname,
        token: r.token,
        since: num(r.since),
        heartbeat: num(r.heartbeat),
      };
    }
  } catch {
    // Falls through to the dead owner below.
  }
  return { pid: 0, hostname: '', token: '', since: 0, heartbeat: 0 };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Takes ownership for `me` unless another live owner holds it. */
export function tryAcquire(layout: StoreLayout, me: OwnerRecord, env: Liveness): Promise<AcquireResult> {
  return withOwnerMutex(layout, async () => {
    const current = await readOwner(layout);
    if (current && current.token !== me.token && isOwnerLive(current, env)) {
      return { acquired: false, owner: current };
    }
    await writeOwner(layout, me);
    return current && current.token !== me.token ? { acquired: true, previous: current } : { acquired: true };
  });
}

/**
 * Renews the heartbeat of the owner with `token`. Returns the record written, or the record of the
 * process that holds ownership now when it is no longer ours (or undefined when nobody does).
 */
export function renewOwner(
  layout: StoreLayout,
  token: string,
  now: number,
): Promise<{ renewed: true; record: OwnerRecord } | { renewed: false; owner?: OwnerRecord }> {
  return withOwnerMutex(layout, async () => {
    const current = await readOwner(layout);
    if (current?.token !== token) return { renewed: false, owner: current };
    const record = { ...current, heartbeat: now };
    await writeOwner(layout, record);
    return { renewed: true, record };
  });
}

/** Gives up ownership if `token` still holds it; a lock taken over since is left alone. */
export function releaseOwner(layout: StoreLayout, token: string): Promise<void> {
  return withOwnerMutex(layout, async () => {
    const current = await readOwner(layout);
    if (current?.token === token) await rm(layout.owner, { force: true });
  });
}

function writeOwner(layout: StoreLayout, record: OwnerRecord): Promise<void> {
  return writeFileAtomic(layout.owner, `${JSON.stringify(record)}\n`);
}

/**
 * Runs `fn` while holding `owner.lock/`. A holder that crashed inside leaves the folder behind; one
 * older than {@link MUTEX_STALE_MS} by the file system's clock is removed. Holders keep it for a few
 * file operations, so waiting longer than that means something is wrong: a `timeout` error.
 */
async function withOwnerMutex<T>(layout: StoreLayout, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + MUTEX_STALE_MS * 1.5;
  for (;;) {
    try {
      await mkdir(layout.ownerMutex);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await mutexIsStale(layout.ownerMutex)) {
      await rm(layout.ownerMutex, { recursive: true, force: true });
    } else if (Date.now() > deadline) {
      throw new RunnerError('timeout', `${layout.ownerMutex} stays locked`, { file: layout.ownerMutex });
    } else {
      await new Promise((r) => setTimeout(r, MUTEX_RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(layout.ownerMutex, { recursive: true, force: true });
  }
}

async function mutexIsStale(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > MUTEX_STALE_MS;
  } catch (e) {
    // Released between our mkdir and stat: not stale, just try again.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
