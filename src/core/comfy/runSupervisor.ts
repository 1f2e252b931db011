/**
 * Sees each submitted prompt through to its result. It finalises a prompt when the server is done with it
 * (`executing {node: null}`, or a short grace after a terminal event, because without a client id or on a
 * drop that last frame never comes), and it polls when events stop: a prompt silent for too long, or every
 * prompt while the socket is down, is checked against the server's queue and history, and so is every
 * prompt after a reconnect. A server unreachable (or refusing us) for too long makes its prompts `lost`.
 */
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { DownloadLimits } from './downloadLimits';
import type { EventRouter } from './eventRouter';
import type { ComfyLog } from './events';
import { concludePrompt, failure, type PromptResult, readHistory } from './finalise';
import type { ComfyHttp } from './http';
import type { PromptEnding, PromptTracker } from './promptTracker';
import type { OutputFolder } from './outputs';
import type { HistoryEntry } from './replies';
import { askServer, resyncAction, type PromptVerdict } from './resync';
import type { ComfySocket } from './socket';

/** Timings and hooks of the supervisor (defaults live in the client's options). */
export interface SupervisorOptions {
  pollIntervalMs: number;
  silenceMs: number;
  lostAfterMs: number;
  finishGraceMs: number;
  historyAttempts: number;
  historyDelayMs: number;
  /** The limits of each output download. */
  downloads: DownloadLimits;
  /** Whether the server has `/api/jobs`. */
  jobsApi: () => Promise<boolean>;
  log: ComfyLog;
}

interface Followed {
  tracker: PromptTracker;
  outputDir?: OutputFolder;
  grace?: NodeJS.Timeout;
  finalising?: Promise<void>;
  resolve: (result: PromptResult) => void;
  reject: (error: unknown) => void;
}

/** Follows prompts to their results. */
export class RunSupervisor {
  private readonly followed = new Map<PromptTracker, Followed>();
  private timer?: NodeJS.Timeout;
  private resyncing = false;
  private resyncAgain = false;
  private unreachableSince?: number;

  constructor(
    private readonly api: ComfyHttp,
    private readonly socket: ComfySocket,
    private readonly router: EventRouter,
    private readonly options: SupervisorOptions,
  ) {
    socket.opened.on(({ reconnect }) => {
      // Missed events are never replayed: after a gap the server's lists are the truth.
      if (reconnect) void this.resync(this.waiting());
    });
  }

  /** Starts following a tracker; the promise settles with its result. Call before `tracker.accepted`. */
  track(tracker: PromptTracker, outputDir?: OutputFolder): Promise<PromptResult> {
    const result = new Promise<PromptResult>((resolve, reject) => {
      this.followed.set(tracker, { tracker, outputDir, resolve, reject });
    });
    tracker.finished.on(() => this.finalise(tracker));
    tracker.settled.on((ending) => this.onSettled(tracker, ending));
    this.timer ??= setInterval(() => this.tick(), this.options.pollIntervalMs);
    return result;
  }

  /** Acts on what the server said about a tracker (from a resync or a cancel). */
  applyVerdict(tracker: PromptTracker, verdict: PromptVerdict): void {
    const action = resyncAction(tracker, verdict);
    switch (action.kind) {
      case 'started':
        tracker.startedElsewhere();
        this.suspectDeafSocket('the server runs a prompt whose start never reached us');
        return;
      case 'finalise':
        if (action.missed) this.suspectDeafSocket('a prompt ended without its events reaching us');
        return this.finalise(tracker, action.entry);
      case 'dequeued':
        return tracker.settle({ state: 'interrupted', dequeued: true });
      case 'lost':
        return tracker.settle({ state: 'lost', why: action.why });
      case 'none':
        return;
    }
  }

  /** Stops following everything; results still pending reject with `lost`. */
  dispose(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const f of this.followed.values()) {
      clearTimeout(f.grace);
      if (!f.finalising) f.reject(new RunnerError('lost', `Stopped following prompt ${f.tracker.promptId}`));
    }
    this.followed.clear();
  }

  /** Prompts that the server may still be running and that are not being finalised. */
  private waiting(): PromptTracker[] {
    return [...this.followed.values()]
      .filter((f) => !f.finalising && f.tracker.active && f.tracker.state !== 'submitting')
      .map((f) => f.tracker);
  }

  private onSettled(tracker: PromptTracker, ending: PromptEnding): void {
    const f = this.followed.get(tracker);
    if (!f || f.finalising) return;
    // Lost and dequeued prompts have no history to wait for.
    if (ending.state === 'lost' || (ending.state === 'interrupted' && ending.dequeued))
      return this.finalise(tracker);
    if (tracker.sawFinished) return;
    f.grace = setTimeout(() => this.finalise(tracker), this.options.finishGraceMs);
  }

  private finalise(tracker: PromptTracker, entry?: HistoryEntry): void {
    const f = this.followed.get(tracker);
    if (!f || f.finalising) return;
    clearTimeout(f.grace);
    f.finalising = this.conclude(f, entry)
      .then(f.resolve, f.reject)
      .finally(() => {
        this.followed.delete(tracker);
        this.router.remove(tracker.promptId);
        if (this.followed.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      });
  }

  private async conclude(f: Followed, entry: HistoryEntry | undefined): Promise<PromptResult> {
    const { tracker } = f;
    const ending = tracker.ending;
    if (ending?.state === 'lost' || (ending?.state === 'interrupted' && ending.dequeued)) {
      throw failure(tracker, ending, {
        promptId: tracker.promptId,
        outputs: tracker.executedOutputs,
        files: [],
        warnings: tracker.warnings,
      });
    }
    const history = entry ?? (await this.readHistoryOrNothing(tracker));
    return concludePrompt(this.api, tracker, history, f.outputDir, this.options.downloads);
  }

  private async readHistoryOrNothing(tracker: PromptTracker): Promise<HistoryEntry | undefined> {
    const { historyAttempts, historyDelayMs } = this.options;
    try {
      return await readHistory(this.api, tracker.promptId, historyAttempts, historyDelayMs);
    } catch (e) {
      // The events already told us how it ended; history would only have confirmed it.
      if (tracker.ending) {
        this.options.log('warn', `Could not read the history of ${tracker.promptId}`, e);
        return undefined;
      }
      throw e;
    }
  }

  private tick(): void {
    const now = Date.now();
    const open = this.socket.state === 'open';
    const silent = this.waiting().filter((t) => !open || now - t.lastEventAt >= this.options.silenceMs);
    if (silent.length > 0) void this.resync(silent);
  }

  private async resync(trackers: PromptTracker[]): Promise<void> {
    if (trackers.length === 0) return;
    if (this.resyncing) return void (this.resyncAgain = true);
    this.resyncing = true;
    try {
      const verdicts = await askServer(
        this.api,
        trackers.map((t) => t.promptId),
        await this.options.jobsApi(),
      );
      this.unreachableSince = undefined;
      for (const t of trackers) {
        const verdict = verdicts.get(t.promptId);
        if (verdict && t.active) this.applyVerdict(t, verdict);
      }
    } catch (e) {
      this.onResyncError(e);
    } finally {
      this.resyncing = false;
      if (this.resyncAgain) {
        this.resyncAgain = false;
        void this.resync(this.waiting());
      }
    }
  }

  private onResyncError(e: unknown): void {
    // A proxy that keeps refusing us is as final as a server that is gone: do not poll forever.
    if (!isRunnerError(e, 'server_unreachable', 'timeout', 'auth')) {
      this.options.log('warn', 'Could not check prompts against the server', e);
      return;
    }
    const now = Date.now();
    this.unreachableSince ??= now;
    const gone = now - this.unreachableSince;
    if (gone < this.options.lostAfterMs) return;
    const what = e.reason === 'auth' ? 'has refused our credentials' : 'has been unreachable';
    const why = `the server ${what} for ${Math.round(gone / 1000)} s`;
    for (const t of this.waiting()) t.settle({ state: 'lost', why });
  }

  private suspectDeafSocket(why: string): void {
    if (this.socket.state === 'open') this.socket.reconnectNow(why);
  }
}
