/**
 * The `/ws` endpoint (comfyui-protocol.md 3.1, 3.2): one socket per client id, the first message `status`
 * with `sid`, the feature-flags answer to a client's first frame (whose flags are kept per socket, as
 * ComfyUI keeps them, to choose the form of previews), and delivery of each message, text or binary, to
 * its audience (eventRouting.ts).
 *
 * A client id that connects again replaces its earlier socket, as in ComfyUI. Unlike ComfyUI, the old
 * socket closing later does not unregister the new one (comfyui-protocol.md 3.1 describes that pitfall);
 * a reconnecting client simply keeps receiving its events.
 *
 * A frame from a client may carry at most {@link MAX_CLIENT_FRAME_BYTES}, as ComfyUI's aiohttp allows:
 * `ws` refuses a larger one as soon as its header announces it, before buffering any of it, and closes
 * the socket with 1009 (message too big). Clients only ever send the small feature-flags hello. Nothing
 * keeps a closed socket: it leaves the client map, its flags live in a WeakMap, and
 * {@link HubSources.socketClosed} tells the event delivery to let it go.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Audience } from './eventRouting';

/** What the hub asks the rest of the server. */
export interface HubSources {
  /** `status.exec_info.queue_remaining` now. */
  queueRemaining(): number;
  /** The node last announced to this client for its running prompt, replayed on reconnect. */
  lastNodeOf(clientId: string): string | undefined;
  /** The server's feature flags, sent in answer to a client's. */
  featureFlags(): Record<string, unknown>;
  /** A socket connected or closed (the server's idle clock). @default nothing */
  socketsChanged?(): void;
  /** A socket closed: whoever keeps something per socket lets it go. @default nothing */
  socketClosed?(ws: WebSocket): void;
}

/** The largest frame a client may send: 4 MiB, aiohttp's default `max_msg_size`, which ComfyUI keeps. */
export const MAX_CLIENT_FRAME_BYTES = 4 * 1024 * 1024;

/** A `{type, data}` message. */
export interface HubMessage {
  type: string;
  data: unknown;
}

/** The sockets of one server. */
export class SocketHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  private readonly sockets = new Map<string, WebSocket>();
  /** The feature flags each socket sent in its hello; a socket that sent none has none. */
  private readonly clientFlags = new WeakMap<WebSocket, Record<string, unknown>>();

  constructor(private readonly sources: HubSources) {}

  /** Whether an upgrade request is for the socket endpoint (`/ws`, or `/api/ws` like every route). */
  static isSocketPath(req: http.IncomingMessage): boolean {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    return path === '/ws' || path === '/api/ws';
  }

  /** Takes over an upgrade request of the HTTP server. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const requested = new URL(req.url ?? '/', 'http://localhost').searchParams.get('clientId');
    const clientId = requested || randomBytes(16).toString('hex');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, clientId));
  }

  /** Sends a message to its audience. */
  deliver(message: HubMessage, audience: Audience): void {
    if (audience.kind === 'everyone') return this.broadcast(message);
    if (audience.kind === 'client') this.send(this.sockets.get(audience.clientId), message);
  }

  /** The sockets an audience reaches now (one may be closing; sending to it does nothing). */
  socketsOf(audience: Audience): WebSocket[] {
    if (audience.kind === 'everyone') return [...this.sockets.values()];
    const ws = audience.kind === 'client' ? this.sockets.get(audience.clientId) : undefined;
    return ws ? [ws] : [];
  }

  /** Sends a message to every socket. */
  broadcast(message: HubMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.sockets.values()) sendFrame(ws, text);
  }

  /** Sends a binary frame to its audience. */
  deliverBinary(frame: Uint8Array, audience: Audience): void {
    if (audience.kind === 'everyone') for (const ws of this.sockets.values()) sendFrame(ws, frame);
    else if (audience.kind === 'client') {
      const ws = this.sockets.get(audience.clientId);
      if (ws) sendFrame(ws, frame);
    }
  }

  /**
   * True when the socket of this client id said `supports_preview_metadata: true` in its hello (the
   * value must be exactly true, as ComfyUI's `supports_feature` requires).
   */
  supportsPreviewMetadata(clientId: string): boolean {
    const ws = this.sockets.get(clientId);
    return ws !== undefined && this.clientFlags.get(ws)?.supports_preview_metadata === true;
  }

  /** The number of registered client ids. */
  get size(): number {
    return this.sockets.size;
  }

  /** The number of open sockets, a replaced one included until it closes. */
  get connections(): number {
    return this.wss.clients.size;
  }

  /** Closes every socket at once (clients see the server go away) and stops accepting new ones. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.sockets.clear();
    this.wss.close();
  }

  private accept(ws: WebSocket, clientId: string): void {
    this.sockets.set(clientId, ws);
    this.sources.socketsChanged?.();
    ws.on('close', () => {
      if (this.sockets.get(clientId) === ws) this.sockets.delete(clientId);
      this.sources.socketClosed?.(ws);
      this.sources.socketsChanged?.();
    });
    // Only protocol errors (a frame too large, a bad opcode) reach here, and `ws` has already sent the
    // close frame with their code and ends the connection once it is out; terminating now could cut it.
    ws.on('error', () => undefined);
    this.send(ws, {
      type: 'status',
      data: { status: { exec_info: { queue_remaining: this.sources.queueRemaining() } }, sid: clientId },
    });
    const lastNode = this.sources.lastNodeOf(clientId);
    if (lastNode !== undefined) this.send(ws, { type: 'executing', data: { node: lastNode } });
    // Only the first text frame is examined: it may be the feature-flags hello.
    ws.once('message', (data, isBinary) => {
      if (!isBinary) this.onFirstMessage(ws, data.toString());
    });
  }

  private onFirstMessage(ws: WebSocket, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const hello = parsed as { type?: unknown; data?: unknown } | null;
    if (hello?.type !== 'feature_flags') return;
    if (typeof hello.data === 'object' && hello.data !== null && !Array.isArray(hello.data)) {
      this.clientFlags.set(ws, hello.data as Record<string, unknown>);
    }
    this.send(ws, { type: 'feature_flags', data: this.sources.featureFlags() });
  }

  private send(ws: WebSocket | undefined, message: HubMessage): void {
    if (ws) sendFrame(ws, JSON.stringify(message));
  }
}

/** Sends a text (string) or binary (bytes) frame. */
function sendFrame(ws: WebSocket, frame: string | Uint8Array): void {
  // A socket that is closing just misses the message, as with ComfyUI's caught send errors.
  if (ws.readyState === WebSocket.OPEN) ws.send(frame);
}
