/**
 * Routes the socket's messages and frames to the tracker of the prompt they are about, by `prompt_id`.
 * Frames that name no prompt (legacy previews, progress text, the `executing` replayed after a reconnect)
 * go to the prompt that is running. Messages for ids nobody tracks yet are kept for a while: an old server
 * that ignores our chosen `prompt_id` answers with its own id, and its first events can beat that answer.
 */
import type { PreviewFrame, TextFrame } from '../protocol/binaryFrames';
import type { ServerMessage } from '../protocol/comfyMessages';
import type { PromptTracker } from './promptTracker';

/** How many messages for unknown prompt ids are kept, oldest dropped first. */
const UNKNOWN_LIMIT = 500;

function promptIdOf(message: ServerMessage): string | undefined {
  const data = message.data as { prompt_id?: unknown };
  return typeof data.prompt_id === 'string' ? data.prompt_id : undefined;
}

/** The routing table from prompt ids to trackers. */
export class EventRouter {
  private readonly trackers = new Map<string, PromptTracker>();
  private readonly unknown: { id: string; message: ServerMessage }[] = [];
  private running?: PromptTracker;
  /** The last `status.exec_info.queue_remaining` seen. */
  queueRemaining?: number;

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

  /** Moves a tracker to the id the server chose and replays what arrived for that id so far. */
  rekey(tracker: PromptTracker, serverId: string): void {
    this.trackers.delete(tracker.promptId);
    tracker.promptId = serverId;
    this.trackers.set(serverId, tracker);
    const mine = this.unknown.filter((u) => u.id === serverId);
    this.unknown.splice(0, this.unknown.length, ...this.unknown.filter((u) => u.id !== serverId));
    mine.forEach((u) => this.message(u.message));
  }

  /** Routes one message. */
  message(message: ServerMessage): void {
    if (message.type === 'status')
      return void (this.queueRemaining = message.data.status.exec_info.queue_remaining);
    const id = promptIdOf(message);
    if (id === undefined) return this.unaddressed(message);
    const tracker = this.trackers.get(id);
    if (!tracker) return this.keepUnknown(id, message);
    tracker.handle(message);
    this.noteRunning(tracker);
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

  private keepUnknown(id: string, message: ServerMessage): void {
    this.unknown.push({ id, message });
    if (this.unknown.length > UNKNOWN_LIMIT) this.unknown.shift();
  }
}
