/**
 * Waiting for the owner's answer to a request: each waiter is settled by the first check that finds
 * `answers/<request id>.json`, and the answer file is deleted once read. While anyone waits, a poll runs
 * that keeps the process alive: a command that asked the owner something must not exit before it hears
 * back (the store's other timers are unreferenced so that they never hold a process open).
 */
import { RunnerError } from '../util/runnerError';
import type { StoreLayout } from './storeLayout';
import { takeAnswer, type RequestAnswer } from './storeRequests';

interface Waiter {
  resolve: (answer: RequestAnswer) => void;
  reject: (error: unknown) => void;
}

/** The waiters of one store handle, by request id. */
export class AnswerWaiters {
  private readonly pending = new Map<string, Waiter[]>();
  private poll: NodeJS.Timeout | undefined;

  /**
   * `onCountChange` is called whenever waiting starts or ends, so the store can watch its folders only
   * while needed; `pollMs` is the time between two looks for answers.
   */
  constructor(
    private readonly layout: StoreLayout,
    private readonly pollMs: number,
    private readonly onCountChange: () => void,
  ) {}

  /** How many requests are waited for. */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves with the answer to `requestId`; rejects with `timeout` or `interrupted` when `signal` aborts. */
  wait(requestId: string, signal?: AbortSignal): Promise<RequestAnswer> {
    if (signal?.aborted) return Promise.reject(abortError(requestId, signal));
    return new Promise<RequestAnswer>((resolve, reject) => {
      const onAbort = () => this.settle(requestId, (w) => w.reject(abortError(requestId, signal!)));
      const waiter: Waiter = {
        resolve: (a) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(a);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, [...(this.pending.get(requestId) ?? []), waiter]);
      this.countChanged();
      // The answer may already be there: the owner can answer before the asker starts waiting.
      this.checkOne(requestId).catch((e) => this.settle(requestId, (w) => w.reject(e)));
    });
  }

  /** Looks for the answers of every waited-for request. */
  async check(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((id) => this.checkOne(id)));
  }

  /** Rejects every waiter, with `error` or else `interrupted` (the store is closing). */
  cancelAll(error?: unknown): void {
    for (const id of [...this.pending.keys()]) {
      this.settle(id, (w) =>
        w.reject(error ?? new RunnerError('interrupted', `stopped waiting for request ${id}`)),
      );
    }
  }

  private async checkOne(requestId: string): Promise<void> {
    if (!this.pending.has(requestId)) return;
    const answer = await takeAnswer(this.layout, requestId);
    if (answer) this.settle(requestId, (w) => w.resolve(answer));
  }

  private settle(requestId: string, how: (w: Waiter) => void): void {
    const waiters = this.pending.get(requestId);
    if (!waiters) return;
    this.pending.delete(requestId);
    this.countChanged();
    for (const w of waiters) how(w);
  }

  private countChanged(): void {
    if (this.pending.size > 0 && !this.poll) {
      this.poll = setInterval(() => {
        this.check().catch((e) => this.cancelAll(e));
      }, this.pollMs);
    } else if (this.pending.size === 0 && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
    this.onCountChange();
  }
}

function abortError(requestId: string, signal: AbortSignal): RunnerError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return new RunnerError(
    timedOut ? 'timeout' : 'interrupted',
    `no answer to request ${requestId}${timedOut ? ' in time' : ''}`,
  );
}
