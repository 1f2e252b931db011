/** Timers whose clock a test moves by hand, for code that takes its timers as an option (runsPanelFeed.ts). */
import type { FeedTimers } from '../../src/core/run/runsPanelFeed';

/** Timers a test moves by hand. */
export class ManualTimers implements FeedTimers {
  time = 0;
  private pending: { at: number; fn: () => void; handle: number }[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.next++;
    this.pending.push({ at: this.time + ms, fn, handle });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.handle !== handle);
  }
  now(): number {
    return this.time;
  }
  /** Moves the clock on by `ms`, running what falls due. */
  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.pending = this.pending.filter((p) => p !== due);
      due.fn();
    }
  }
}
