/**
 * Routes the socket's messages and frames to the tracker of the prompt they are about, by `prompt_id`.
 * Frames that name no prompt (legacy previews, progress text, the `executing` replayed after a reconnect)
 * go to the prompt that is running. Messages for ids nobody tracks yet are kept for a while: an old server
 * that ignores our chosen `prompt_id` answers with its own id, and its first events can beat that answer.
 * Besides the trackers, anyone may watch the messages of one prompt id (tracked or not, from before it is
 * submitted); a watcher sees each message right after the prompt's tracker has.
 */
import type { PreviewFrame, TextFrame } from '../protocol/binaryFrames';
import type { ServerMessage } from '../protocol/comfyMessages';
import { type ComfyLog, type Disposable, silentLog } from './events';
import type { PromptTracker } from './promptTracker';

/** How many messages for unknown prompt ids are kept, oldest dropped first. */
const UNKNOWN_LIMIT = 500;

/** One watcher of one prompt id's messages; the id changes when the server renames the prompt. */
interface Watcher {
  promptId: string;
  readonly listener: (message: ServerMessage) => void;
}

function promptIdOf(message: ServerMessage): string | undefined {
  const data = message.data as { prompt_id?: unknown };
  return typeof data.prompt_id === 'string' ? data.prompt_id : undefined;
}

/** The routing table from prompt ids to trackers. */
export class EventRouter {
  private readonly trackers = new Map<string, PromptTracker>();
  private readonly unknown: { id: string; message: ServerMessage }[] = [];
  private readonly watchers = new Map<string, Set<Watcher>>();
  private running?: PromptTracker;
  /** The last `status.exec_info.queue_remaining` seen. */
  queueRemaining?: number;

  /** `log` hears of watchers that throw; one that throws does not stop the others. */
  constructor(private readonly log: ComfyLog = silentLog) {}

  /**
   * Calls `listener` with every message about `promptId` from now on, in order. It follows the prompt when
   * an old server gives it an id of its own ({@link rekey}). Dispose the result to stop.
   */
  watch(promptId: string, listener: (message: ServerMessage) => void): Disposable {
    const watcher: Watcher = { promptId, listener };
    this.watchersOf(promptId).add(watcher);
    return {
      dispose: () => {
        const set = this.watchers.get(watcher.promptId);
        set?.delete(watcher);
        if (set?.size === 0) this.watchers.delete(watcher.promptId);
      },
    };
  }

  /** Starts routing a prompt's events to its tracker. */
  add(tracker: PromptTracker): void {
    this.trackers.set(tracker.promptId, tracker);
  }

  /** Stops routing to a prompt. */
  remove(promptId: string): void {
    const tracker = this.trackers.get(promptId);
    this.trackers.delete(promptId);
    if (this.running === tracker) this.running = undefined;
  }

  /** The tracker of a prompt, if it is tracked. */
  get(promptId: string): PromptTracker | undefined {
    return this.trackers.get(promptId);
  }

  /** Every tracked prompt. */
  all(): PromptTracker[] {
    return [...this.trackers.values()];
  }

  /**
   * Moves a tracker, and the watchers of its id, to the id the server chose, and replays to them what
   * arrived for that id so far.
   */
  rekey(tracker: PromptTracker, serverId: string): void {
    const moved = [...(this.watchers.get(tracker.promptId) ?? [])];
    this.watchers.delete(tracker.promptId);
    this.trackers.delete(tracker.promptId);
    tracker.promptId = serverId;
    this.trackers.set(serverId, tracker);
    for (const w of moved) this.watchersOf((w.promptId = serverId)).add(w);
    const mine = this.unknown.filter((u) => u.id === serverId);
    this.unknown.splice(0, this.unknown.length, ...this.unknown.filter((u) => u.id !== serverId));
    for (const { message } of mine) {
      tracker.handle(message);
      this.noteRunning(tracker);
      this.tell(moved, message);
    }
  }

  /** Routes one message. */
  message(message: ServerMessage): void {
    if (message.type === 'status')
      return void (this.queueRemaining = message.data.status.exec_info.queue_remaining);
    const id = promptIdOf(message);
    if (id === undefined) return this.unaddressed(message);
    const tracker = this.trackers.get(id);
    if (tracker) {
      tracker.handle(message);
      this.noteRunning(tracker);
    } else this.keepUnknown(id, message);
    const watchers = this.watchers.get(id);
    if (watchers) this.tell([...watchers], message);
  }

  /** Routes one binary frame. */
  binary(frame: PreviewFrame | TextFrame): void {
    if (frame.type === 'preview' && frame.promptId !== undefined) {
      this.trackers.get(frame.promptId)?.preview(frame);
      return;
    }
    const running = this.currentlyRunning();
    if (!running) return;
    if (frame.type === 'preview') running.preview(frame);
    else running.text(frame);
  }

  private unaddressed(message: ServerMessage): void {
    // After a reconnect the server names the running node with no prompt id; it can only be ours if one
    // of our prompts is running.
    if (message.type === 'executing' && message.data.node !== null) this.currentlyRunning()?.handle(message);
  }

  private noteRunning(tracker: PromptTracker): void {
    if (tracker.state === 'running') this.running = tracker;
    else if (this.running === tracker) this.running = undefined;
  }

  private currentlyRunning(): PromptTracker | undefined {
    if (this.running?.state === 'running') return this.running;
    this.running = this.all().find((t) => t.state === 'running');
    return this.running;
  }

  private watchersOf(promptId: string): Set<Watcher> {
    let set = this.watchers.get(promptId);
    if (!set) this.watchers.set(promptId, (set = new Set()));
    return set;
  }

  private tell(watchers: readonly Watcher[], message: ServerMessage): void {
    for (const w of watchers) {
      try {
        w.listener(message);
      } catch (e) {
        this.log('error', 'A prompt message watcher threw', e);
      }
    }
  }

  private keepUnknown(id: string, message: ServerMessage): void {
    this.unknown.push({ id, message });
    if (this.unknown.length > UNKNOWN_LIMIT) this.unknown.shift();
  }
}
