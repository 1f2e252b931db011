/**
 * The server's queue: pending prompts ordered as ComfyUI's heap orders them, and one or more lanes that
 * run them. A lane is one {@link Engine}, which runs one prompt at a time; with one lane the server behaves
 * like ComfyUI (one prompt at a time), with N lanes N prompts run at once, each lane keeping its own cache.
 *
 * The order of what clients see follows ComfyUI's worker loop (main.py `prompt_worker`): taking a prompt
 * broadcasts `status`; the run's events follow; when it ends, history is written, `status` is broadcast
 * with the count down by one, and only then `executing {node: null}` goes out, so a client that reads
 * `/history` on that message always finds the entry.
 */
import type { EngineEvent, ExecutionOutcome } from '../engine/engineEvents';
import type { Engine } from '../engine/executor';
import { failedBeforeRun } from './failedBeforeRun';
import { historyEntry, lifecycleEvents, type PromptHistory, type StatusMessage } from './promptHistory';
import { clientIdOf, compareItems, type QueueItem } from './queueItem';

/** What the queue tells the rest of the server. */
export interface QueueHooks {
  /** The number of pending plus running prompts changed, or a prompt was taken: broadcast `status`. */
  statusChanged(): void;
  /** An event of a running prompt, for the sockets. */
  event(item: QueueItem, event: EngineEvent): void;
}

interface Lane {
  engine: Engine;
  running?: { item: QueueItem; abort: AbortController; lastNode?: string };
}

/** The pending queue and the lanes that run it. */
export class PromptQueue {
  private pending: QueueItem[] = [];
  private readonly lanes: Lane[];
  private readonly idle = new Set<() => void>();
  private closed = false;

  constructor(
    engines: readonly Engine[],
    private readonly history: PromptHistory,
    private readonly hooks: QueueHooks,
  ) {
    this.lanes = engines.map((engine) => ({ engine }));
  }

  /** Queues an accepted prompt and starts it if a lane is free. */
  put(item: QueueItem): void {
    this.pending.push(item);
    this.pending.sort(compareItems);
    this.hooks.statusChanged();
    this.pump();
  }

  /** Pending plus running: ComfyUI's `queue_remaining`. */
  remaining(): number {
    return this.pending.length + this.running().length;
  }

  /** The running items and the pending ones, in run order. */
  snapshot(): { running: QueueItem[]; pending: QueueItem[] } {
    return { running: this.running(), pending: [...this.pending] };
  }

  /** True when the id is pending or running. */
  knows(promptId: string): boolean {
    return this.find(promptId) !== undefined;
  }

  /** The item with this id while it is pending or running. */
  find(promptId: string): QueueItem | undefined {
    return (
      this.pending.find((i) => i.promptId === promptId) ?? this.running().find((i) => i.promptId === promptId)
    );
  }

  /** Removes a pending prompt; false when it is not pending (running, finished or unknown). */
  dequeue(promptId: string): boolean {
    const index = this.pending.findIndex((i) => i.promptId === promptId);
    if (index < 0) return false;
    this.pending.splice(index, 1);
    this.hooks.statusChanged();
    return true;
  }

  /** Empties the pending queue; running prompts go on. */
  clear(): void {
    this.pending = [];
    this.hooks.statusChanged();
  }

  /**
   * Interrupts the running prompt with this id, or every running prompt when no id is given. Atomic: only
   * a prompt running now is touched, never one that starts later. True when something was interrupted.
   */
  interrupt(promptId?: string): boolean {
    let hit = false;
    for (const lane of this.lanes) {
      const run = lane.running;
      if (!run || (promptId !== undefined && run.item.promptId !== promptId)) continue;
      run.abort.abort();
      hit = true;
    }
    return hit;
  }

  /** The node last announced as executing for a running prompt of this client, for reconnects. */
  lastNodeOf(clientId: string): string | undefined {
    return this.lanes.find((l) => l.running && clientIdOf(l.running.item) === clientId)?.running?.lastNode;
  }

  /** Forgets every cached output in every lane. */
  clearCaches(): void {
    for (const lane of this.lanes) lane.engine.clearCache();
  }

  /** Stops taking prompts, interrupts running ones and resolves when they have ended. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = [];
    this.interrupt();
    if (this.running().length > 0) await new Promise<void>((done) => this.idle.add(done));
  }

  private running(): QueueItem[] {
    return this.lanes.flatMap((l) => (l.running ? [l.running.item] : []));
  }

  private pump(): void {
    for (const lane of this.lanes) {
      if (this.closed || lane.running || this.pending.length === 0) continue;
      const item = this.pending.shift()!;
      lane.running = { item, abort: new AbortController() };
      this.hooks.statusChanged();
      void this.run(lane, item);
    }
    if (this.running().length === 0) {
      for (const done of this.idle) done();
      this.idle.clear();
    }
  }

  private async run(lane: Lane, item: QueueItem): Promise<void> {
    const messages: StatusMessage[] = [];
    let closing: EngineEvent | undefined;
    const onEvent = (event: EngineEvent): void => {
      if (event.type === 'executing') {
        if (event.data.node === null) return void (closing = event);
        if (lane.running) lane.running.lastNode = event.data.display_node;
      }
      if (lifecycleEvents.has(event.type)) messages.push([event.type, { ...event.data }]);
      this.hooks.event(item, event);
    };
    const outcome = await this.execute(lane, item, onEvent);
    this.history.add(item.promptId, historyEntry(item, outcome, messages));
    lane.running = undefined;
    this.hooks.statusChanged();
    this.hooks.event(item, closing ?? { type: 'executing', data: { node: null, prompt_id: item.promptId } });
    this.pump();
  }

  private async execute(
    lane: Lane,
    item: QueueItem,
    onEvent: (event: EngineEvent) => void,
  ): Promise<ExecutionOutcome> {
    try {
      return await lane.engine.execute(item.prompt, {
        promptId: item.promptId,
        extraData: { ...item.extraData, ...item.sensitive },
        partialTargets: item.partialTargets,
        onEvent,
        signal: lane.running!.abort.signal,
      });
    } catch (e) {
      // Accepted prompts can still be refused when they start (an input file deleted meanwhile).
      return failedBeforeRun(item, e, onEvent);
    }
  }
}
