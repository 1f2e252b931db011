/**
 * One store handle's side of the owner lock: taking ownership, renewing the heartbeat on a timer,
 * noticing that ownership was lost (this process stalled past the stale limit and another took over),
 * and refusing writes once it is.
 */
import { randomUUID } from 'node:crypto';
import { RunnerError } from '../util/runnerError';
import {
  isOwnerLive,
  readOwner,
  releaseOwner,
  renewOwner,
  tryAcquire,
  type AcquireResult,
  type Liveness,
  type OwnerRecord,
} from './ownerLock';
import type { StoreLayout } from './storeLayout';

/** Who owns a store, as another process sees it. */
export interface OwnerStatus {
  record: OwnerRecord;
  /** False when the owner's heartbeat is stale or its process is gone: ownership may be taken. */
  live: boolean;
  /** True when the owner is this store handle. */
  mine: boolean;
}

/** What ownership needs beyond judging liveness. */
export interface OwnershipEnv extends Liveness {
  pid: number;
  /** Time between heartbeats in ms; 0 renews only when {@link StoreOwnership.heartbeat} is called. */
  heartbeatMs: number;
  /** Called once when ownership turns out to have been taken over, with the new owner if any. */
  onLost: (owner: OwnerRecord | undefined) => void;
  /** Called with errors of timer-driven heartbeats, which have no caller to throw to. */
  onError: (error: unknown) => void;
}

/** The ownership state of one store handle. */
export class StoreOwnership {
  private token: string | undefined;
  private lastBeat = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly layout: StoreLayout,
    private readonly env: OwnershipEnv,
  ) {}

  /** True while this handle owns the store, as far as it knows. */
  get held(): boolean {
    return this.token !== undefined;
  }

  /** Takes ownership unless a live owner holds it; starts the heartbeat when it does. */
  async acquire(): Promise<AcquireResult> {
    if (this.token) return { acquired: true };
    const now = this.env.now();
    const me: OwnerRecord = {
      pid: this.env.pid,
      hostname: this.env.hostname,
      token: randomUUID(),
      since: now,
      heartbeat: now,
    };
    const result = await tryAcquire(this.layout, me, this.env);
    if (result.acquired) {
      this.token = me.token;
      this.lastBeat = now;
      this.startTimer();
    }
    return result;
  }

  /** Renews the heartbeat; false (and `onLost`) when ownership was taken over since. */
  async heartbeat(): Promise<boolean> {
    const token = this.token;
    if (!token) return false;
    const now = this.env.now();
    const result = await renewOwner(this.layout, token, now);
    if (result.renewed) {
      this.lastBeat = now;
      return true;
    }
    if (this.token === token) {
      this.forget();
      this.env.onLost(result.owner);
    }
    return false;
  }

  /** Gives ownership up; a no-op when not held. */
  async release(): Promise<void> {
    const token = this.token;
    if (!token) return;
    this.forget();
    await releaseOwner(this.layout, token);
  }

  /** The current owner, if any. */
  async status(): Promise<OwnerStatus | undefined> {
    const record = await readOwner(this.layout);
    if (!record) return undefined;
    return { record, live: isOwnerLive(record, this.env), mine: record.token === this.token };
  }

  /**
   * Throws unless this handle owns the store. When the last heartbeat is older than half the stale
   * limit (the process slept, or the timer is off) it renews first: nobody may take over before the
   * heartbeat is a whole stale limit old, so after this check a takeover cannot have gone unnoticed.
   */
  async assertHeld(what: string): Promise<void> {
    if (this.token && this.env.now() - this.lastBeat >= this.env.staleAfterMs / 2) await this.heartbeat();
    if (!this.token) {
      throw new RunnerError(
        'internal',
        `${what}: this process does not own the job store ${this.layout.root}`,
        {
          file: this.layout.owner,
        },
      );
    }
  }

  private startTimer(): void {
    if (this.env.heartbeatMs <= 0) return;
    this.timer = setInterval(() => {
      this.heartbeat().catch(this.env.onError);
    }, this.env.heartbeatMs);
    // The heartbeat must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private forget(): void {
    this.token = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
