/**
 * Operations another process asks of a store's owner (`comfy-runner jobs cancel|retry` while a
 * scheduler runs) and the owner's answers. A request is a file in `requests/` named so that names sort
 * in the order the requests were made; the owner takes (reads and deletes) them and applies them, then
 * may write an answer to `answers/<request id>.json` for the asker to pick up.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RunnerError } from '../util/runnerError';
import { readTextIfExists, writeFileAtomic } from '../util/atomicWrite';
import { isJobId, type StoreLayout } from './storeLayout';

/** What another process may ask the owner to do with a job. */
export type StoreRequestOp = 'cancel' | 'retry' | 'prune';

/** One request. */
export interface StoreRequest {
  /** A random id; the answer file is named after it. */
  id: string;
  op: StoreRequestOp;
  jobId: string;
  /** When it was made, ms since the epoch, by the asker's clock. */
  requestedAt: number;
  /** Who asked. */
  from: { pid: number; hostname: string };
}

/** The owner's answer to one request. */
export interface RequestAnswer {
  requestId: string;
  /** True when the operation was applied. */
  ok: boolean;
  /** What happened, for the asker to show ("cancelled", "job is already finished"). */
  message: string;
  /** For a retry: the id of the new job. */
  jobId?: string;
  answeredAt: number;
}

const OPS: readonly StoreRequestOp[] = ['cancel', 'retry', 'prune'];

/** A new request, not yet written. */
export function newRequest(
  op: StoreRequestOp,
  jobId: string,
  requestedAt: number,
  from: StoreRequest['from'],
): StoreRequest {
  if (!OPS.includes(op)) throw new RunnerError('bad_input', `unknown request: ${String(op)}`);
  if (!isJobId(jobId)) throw new RunnerError('bad_input', `not a valid job id: ${JSON.stringify(jobId)}`);
  return { id: randomUUID(), op, jobId, requestedAt, from };
}

/** Writes a request file; names start with the zero-padded time so they sort in request order. */
export async function writeRequest(layout: StoreLayout, request: StoreRequest): Promise<void> {
  const name = `${String(Math.max(0, Math.floor(request.requestedAt))).padStart(15, '0')}-${request.id}.json`;
  await writeFileAtomic(join(layout.requests, name), `${JSON.stringify(request)}\n`);
}

/** The names of the request files waiting, oldest first; temporaries (dot files) are not requests. */
export async function pendingRequestNames(layout: StoreLayout): Promise<string[]> {
  const names = await readdir(layout.requests);
  return names.filter((n) => !n.startsWith('.') && n.endsWith('.json')).sort();
}

/**
 * Reads and deletes every waiting request, oldest first. Each is delivered at most once: a request is
 * deleted when taken, so an owner that crashes before applying it loses it rather than applying a
 * retry twice. Files that are not requests are deleted too and returned as `bad_input` problems.
 */
export async function takeRequests(
  layout: StoreLayout,
): Promise<{ requests: StoreRequest[]; problems: RunnerError[] }> {
  const requests: StoreRequest[] = [];
  const problems: RunnerError[] = [];
  for (const name of await pendingRequestNames(layout)) {
    const path = join(layout.requests, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    await rm(path, { force: true });
    const request = parseRequest(text);
    if (request) requests.push(request);
    else problems.push(new RunnerError('bad_input', `${path}: not a request; ignored`, { file: path }));
  }
  return { requests, problems };
}

function parseRequest(text: string): StoreRequest | undefined {
  try {
    const r = JSON.parse(text) as Partial<StoreRequest>;
    const fromOk = typeof r.from?.pid === 'number' && typeof r.from.hostname === 'string';
    if (typeof r.id === 'string' && OPS.includes(r.op as StoreRequestOp) && isJobId(r.jobId) && fromOk) {
      return {
        id: r.id,
        op: r.op as StoreRequestOp,
        jobId: r.jobId,
        requestedAt: Number(r.requestedAt) || 0,
        from: { pid: r.from!.pid, hostname: r.from!.hostname },
      };
    }
  } catch {
    // Not JSON: reported by the caller.
  }
  return undefined;
}

function answerPath(layout: StoreLayout, requestId: string): string {
  // Request ids come from files other processes wrote; only UUID-like ids become file names.
  if (!/^[A-Za-z0-9-]{1,64}$/.test(requestId)) {
    throw new RunnerError('bad_input', `not a valid request id: ${JSON.stringify(requestId)}`);
  }
  return join(layout.answers, `${requestId}.json`);
}

/** Writes the answer to a request. */
export async function writeAnswer(layout: StoreLayout, answer: RequestAnswer): Promise<void> {
  await writeFileAtomic(answerPath(layout, answer.requestId), `${JSON.stringify(answer)}\n`);
}

/** Reads and deletes the answer to `requestId`; undefined while there is none. */
export async function takeAnswer(layout: StoreLayout, requestId: string): Promise<RequestAnswer | undefined> {
  const path = answerPath(layout, requestId);
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  await rm(path, { force: true });
  try {
    return JSON.parse(text) as RequestAnswer;
  } catch {
    throw new RunnerError('bad_input', `${path}: not an answer`, { file: path });
  }
}

/** Deletes answers nobody picked up (the asker gave up or died) that were written before `cutoff`. */
export async function pruneAnswers(layout: StoreLayout, cutoff: number): Promise<void> {
  for (const name of await readdir(layout.answers)) {
    if (name.startsWith('.') || !name.endsWith('.json')) continue;
    const path = join(layout.answers, name);
    try {
      const answer = JSON.parse(await readFile(path, 'utf8')) as Partial<RequestAnswer>;
      if (typeof answer.answeredAt === 'number' && answer.answeredAt >= cutoff) continue;
    } catch {
      // Unreadable answers are of no use to anyone: delete them too.
    }
    await rm(path, { force: true });
  }
}

/**
 * Tells when the set of waiting request files changed, so that "requests are pending" is said once
 * per new request rather than on every poll.
 */
export class PendingRequestWatch {
  private last = '';

  constructor(private readonly layout: StoreLayout) {}

  /** The number of waiting requests when the set changed since the last call, else 0. */
  async newlyPending(): Promise<number> {
    const names = await pendingRequestNames(this.layout);
    const key = names.join('\n');
    const changed = key !== this.last;
    this.last = key;
    return changed ? names.length : 0;
  }

  /** Forgets the set after the owner took the requests. */
  taken(): void {
    this.last = '';
  }
}
