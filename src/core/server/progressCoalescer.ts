/**
 * Keeps `progress_state` cheap for every socket. A snapshot lists every started node of its prompt, so a
 * socket that took each one would receive bytes growing with the square of the prompt's size, and one
 * that reads slowly would pile them up in the server's memory. So, per socket and running prompt:
 *
 * - a snapshot goes out at once when the socket has drained (its `bufferedAmount` is at most
 *   {@link HIGH_WATER_BYTES}) and, for one listing more than {@link SMALL_SNAPSHOT_LIMIT} nodes, when the
 *   socket's last snapshot of that prompt is {@link SOCKET_SNAPSHOT_INTERVAL_MS} old; small snapshots of
 *   a socket that keeps up go out as ComfyUI sends them;
 * - otherwise it is held: only the newest is kept (one per prompt, shared by every socket), and a timer
 *   sends it once the socket can take it;
 * - a held snapshot is current only until another message of its prompt goes to that socket: it is sent
 *   first if the socket can take it, else dropped, since arriving after that message it would move the
 *   client's view backwards;
 * - before the prompt's terminal message every socket that has not had the newest snapshot gets it,
 *   whatever its state, so each client always sees the final one.
 *
 * Nothing but `progress_state` is held or dropped: `executing`, `executed` and the rest go out as they
 * come (the engine already spaces out `progress`). The engine itself spaces out large snapshots
 * (engine/runReporter.ts); this is what keeps a slow socket from piling them up, and it bounds what an
 * engine sending every change costs on the wire.
 */
import { LARGE_SNAPSHOT_INTERVAL_MS, SMALL_SNAPSHOT_LIMIT } from '../engine/runReporter';

/** Above this many bytes waiting to be written, a socket gets no snapshot until it drains. */
export const HIGH_WATER_BYTES = 256 * 1024;
/**
 * The least time between two large snapshots of a prompt to one socket: a little under the engine's
 * 100 ms, so that the engine's own spacing never makes a socket hold one.
 */
export const SOCKET_SNAPSHOT_INTERVAL_MS = LARGE_SNAPSHOT_INTERVAL_MS * 0.8;

/** The part of a socket the coalescer uses; `ws`'s WebSocket has it. */
export interface CoalescedSocket {
  /** Bytes queued and not yet written to the network. */
  readonly bufferedAmount: number;
  /** 1 while open, as WebSocket.OPEN. */
  readonly readyState: number;
  send(text: string): void;
}

/** A `progress_state` message as the engine emits it. */
export interface ProgressStateMessage {
  type: 'progress_state';
  data: { prompt_id: string; nodes: Record<string, unknown> };
}

/** The newest snapshot of a prompt, serialised once for every socket that gets it. */
interface Newest {
  message: ProgressStateMessage;
  size: number;
  text?: string;
}

/** Where one socket stands with one prompt's snapshots. */
interface SocketSlot {
  /** When its last snapshot of the prompt went out (performance.now()), or -Infinity. */
  sentAt: number;
  /** `held`: the newest is owed and still current; `missed`: owed, but stale until a newer one comes. */
  owed: 'no' | 'held' | 'missed';
}

interface PromptSlots {
  newest?: Newest;
  sockets: Map<CoalescedSocket, SocketSlot>;
}

const OPEN = 1;

/** The snapshots of every running prompt, on their way to the sockets; see the module comment. */
export class ProgressCoalescer {
  private readonly prompts = new Map<string, PromptSlots>();
  private timer: NodeJS.Timeout | undefined;

  /** @param enabled false sends every snapshot at once, as ComfyUI does (for comparisons). */
  constructor(private readonly enabled = true) {}

  /** A `progress_state` for these sockets: sent to those that can take it, held for the others. */
  snapshot(message: ProgressStateMessage, sockets: Iterable<CoalescedSocket>): void {
    const slots = this.slotsOf(message.data.prompt_id);
    const newest: Newest = { message, size: Object.keys(message.data.nodes).length };
    slots.newest = newest;
    const now = performance.now();
    for (const ws of sockets) {
      const slot = slotOf(slots, ws);
      if (this.canTake(ws, slot, newest, now)) send(ws, slot, newest, now);
      else slot.owed = 'held';
    }
    this.arm();
  }

  /**
   * Another message of the prompt is about to go to these sockets: a held snapshot goes first if the
   * socket can take it, else it is dropped (see the module comment).
   */
  overtaken(promptId: string, sockets: Iterable<CoalescedSocket>): void {
    const slots = this.prompts.get(promptId);
    if (!slots?.newest) return;
    const now = performance.now();
    for (const ws of sockets) {
      const slot = slots.sockets.get(ws);
      if (slot?.owed !== 'held') continue;
      if (this.canTake(ws, slot, slots.newest, now)) send(ws, slot, slots.newest, now);
      else slot.owed = 'missed';
    }
  }

  /** The prompt's terminal message is about to go out: every socket still owed the newest gets it now. */
  end(promptId: string): void {
    const slots = this.prompts.get(promptId);
    this.prompts.delete(promptId);
    if (!slots?.newest) return;
    const now = performance.now();
    for (const [ws, slot] of slots.sockets) if (slot.owed !== 'no') send(ws, slot, slots.newest, now);
  }

  /** A socket closed: its slots go, so that nothing here keeps it (and what it buffered) alive. */
  forget(ws: CoalescedSocket): void {
    for (const slots of this.prompts.values()) slots.sockets.delete(ws);
  }

  /** Forgets everything and stops the timer. */
  close(): void {
    this.prompts.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private canTake(ws: CoalescedSocket, slot: SocketSlot, newest: Newest, now: number): boolean {
    if (!this.enabled) return true;
    if (ws.bufferedAmount > HIGH_WATER_BYTES) return false;
    return newest.size <= SMALL_SNAPSHOT_LIMIT || now - slot.sentAt >= SOCKET_SNAPSHOT_INTERVAL_MS;
  }

  private slotsOf(promptId: string): PromptSlots {
    let slots = this.prompts.get(promptId);
    if (!slots) this.prompts.set(promptId, (slots = { sockets: new Map() }));
    return slots;
  }

  /** Starts the timer that sends held snapshots, when some are held and it is not running. */
  private arm(): void {
    if (this.timer || !this.anyHeld()) return;
    this.timer = setTimeout(() => this.tick(), LARGE_SNAPSHOT_INTERVAL_MS / 4);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const slots of this.prompts.values()) {
      for (const [ws, slot] of slots.sockets) {
        if (ws.readyState !== OPEN) slots.sockets.delete(ws);
        else if (slot.owed === 'held' && this.canTake(ws, slot, slots.newest!, now))
          send(ws, slot, slots.newest!, now);
      }
    }
    this.arm();
  }

  private anyHeld(): boolean {
    for (const slots of this.prompts.values())
      for (const slot of slots.sockets.values()) if (slot.owed === 'held') return true;
    return false;
  }
}

function slotOf(slots: PromptSlots, ws: CoalescedSocket): SocketSlot {
  let slot = slots.sockets.get(ws);
  if (!slot) slots.sockets.set(ws, (slot = { sentAt: -Infinity, owed: 'no' }));
  return slot;
}

function send(ws: CoalescedSocket, slot: SocketSlot, newest: Newest, now: number): void {
  slot.owed = 'no';
  slot.sentAt = now;
  // A socket that is closing just misses the message, as with ComfyUI's caught send errors.
  if (ws.readyState !== OPEN) return;
  newest.text ??= JSON.stringify(newest.message);
  ws.send(newest.text);
}
