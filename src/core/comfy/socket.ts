/**
 * The WebSocket to one ComfyUI server (comfyui-protocol.md 3.1, 3.2, 4.6, 8). One client id per process, so
 * each VS Code window is its own client and its events come back to it after a reconnect. The first frame
 * of every connection is the feature-flags hello; pings go out every 25 s so proxies with idle timeouts keep
 * the connection; a lost connection is re-opened with the same id, with backoff, and only after the old
 * socket has fully closed, because the server's cleanup of an old socket would otherwise unregister the new
 * one under the same id and it would silently receive nothing.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { RunnerError } from '../util/runnerError';
import { decodeBinaryFrame, type PreviewFrame, type TextFrame } from '../protocol/binaryFrames';
import { type ComfyLog, Emitter, silentLog } from './events';
import { clientFeatureFlags, parseServerMessage, type ServerMessage } from '../protocol/comfyMessages';
import { type ResolvedServer, webSocketUrl } from './serverConfig';

/** This process's client id: stable for its lifetime, different in every window. */
export const processClientId: string = randomUUID();

/** Timings of the socket; every field has a default. */
export interface SocketOptions {
  /** Default {@link processClientId}. */
  clientId?: string;
  /** Default 25 000 ms. A ping unanswered by the next one ends the connection as dead. */
  pingIntervalMs?: number;
  /** First reconnect delay; doubles up to {@link maxBackoffMs}. Default 500 ms. */
  initialBackoffMs?: number;
  /** Default 30 000 ms. */
  maxBackoffMs?: number;
  /** How long a deliberate close may take before the socket is destroyed. Default 5 000 ms. */
  closeTimeoutMs?: number;
  log?: ComfyLog;
}

/** Where the connection stands. */
export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'backoff' | 'failed' | 'disposed';

/** Sent when a connection opens; `reconnect` is true for every connection after the first. */
export interface SocketOpened {
  reconnect: boolean;
}

/** A WebSocket to one server that keeps itself open. */
export class ComfySocket {
  readonly clientId: string;
  /** The flags the server answered our hello with; empty until then (and forever on old servers). */
  serverFeatureFlags: Record<string, unknown> = {};
  /** When the last frame of any kind arrived (ms since epoch); the silence check reads it. */
  lastFrameAt = 0;
  /** Why the last connection attempt failed, if it did. */
  lastError?: RunnerError;

  readonly messages: Emitter<ServerMessage>;
  readonly binary: Emitter<PreviewFrame | TextFrame>;
  readonly opened: Emitter<SocketOpened>;
  readonly closed: Emitter<{ code: number }>;

  private ws?: WebSocket;
  private stateValue: SocketState = 'idle';
  private everOpened = false;
  private backoffMs: number;
  private retryTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private waiters: { resolve: () => void; reject: (e: RunnerError) => void }[] = [];
  private readonly log: ComfyLog;

  constructor(
    private readonly server: ResolvedServer,
    private readonly options: SocketOptions = {},
  ) {
    this.clientId = options.clientId ?? processClientId;
    this.log = options.log ?? silentLog;
    this.backoffMs = options.initialBackoffMs ?? 500;
    this.messages = new Emitter(this.log);
    this.binary = new Emitter(this.log);
    this.opened = new Emitter(this.log);
    this.closed = new Emitter(this.log);
  }

  /** The connection's state. */
  get state(): SocketState {
    return this.stateValue;
  }

  /**
   * Resolves once the socket is open, connecting first if needed. Rejects with the attempt's error
   * (`auth`, `server_unreachable`) if the attempt in progress fails; reconnecting goes on in the background
   * unless the server refused our credentials.
   */
  ready(): Promise<void> {
    if (this.stateValue === 'disposed')
      return Promise.reject(new RunnerError('internal', 'The socket was closed'));
    if (this.stateValue === 'open') return Promise.resolve();
    const wait = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stateValue === 'idle' || this.stateValue === 'failed' || this.stateValue === 'backoff')
      this.connect();
    return wait;
  }

  /**
   * Replaces a connection that looks open but delivers nothing: closes it, waits until it has fully closed,
   * then connects again with the same client id.
   */
  reconnectNow(why: string): void {
    if (this.stateValue !== 'open' || !this.ws) return;
    this.log('info', `Reconnecting the WebSocket: ${why}`);
    // Not `open` any more: a submit now waits for the new connection instead of racing the old one.
    this.stateValue = 'reconnecting';
    this.backoffMs = 0;
    this.closeGracefully(this.ws);
  }

  /** Closes for good. */
  async dispose(): Promise<void> {
    this.stateValue = 'disposed';
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.rejectWaiters(new RunnerError('internal', 'The socket was closed'));
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((done) => {
        ws.once('close', () => done());
        this.closeGracefully(ws);
      });
    }
    for (const e of [this.messages, this.binary, this.opened, this.closed]) e.clear();
  }

  private connect(): void {
    clearTimeout(this.retryTimer);
    this.stateValue = 'connecting';
    const ws = new WebSocket(webSocketUrl(this.server, this.clientId), {
      headers: { ...this.server.headers },
      ca: this.server.tls.ca,
      rejectUnauthorized: this.server.tls.rejectUnauthorized,
      handshakeTimeout: this.server.requestTimeoutMs,
    });
    this.ws = ws;
    let refusedStatus: number | undefined;
    ws.on('unexpected-response', (_req, res) => {
      refusedStatus = res.statusCode;
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('pong', () => ((ws as { alive?: boolean }).alive = true));
    ws.on('error', (e) => this.onError(e, refusedStatus));
    ws.on('close', (code) => this.onClose(ws, code, refusedStatus));
  }

  private onOpen(ws: WebSocket): void {
    this.stateValue = 'open';
    this.lastError = undefined;
    this.backoffMs = this.options.initialBackoffMs ?? 500;
    this.lastFrameAt = Date.now();
    ws.send(JSON.stringify({ type: 'feature_flags', data: clientFeatureFlags }));
    this.startPings(ws);
    const reconnect = this.everOpened;
    this.everOpened = true;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w.resolve());
    this.opened.fire({ reconnect });
  }

  private startPings(ws: WebSocket): void {
    clearInterval(this.pingTimer);
    (ws as { alive?: boolean }).alive = true;
    this.pingTimer = setInterval(() => {
      const alive = ws as { alive?: boolean };
      // No pong since the last ping: the peer or a middlebox is gone though TCP has not noticed.
      if (!alive.alive) return void ws.terminate();
      alive.alive = false;
      ws.ping();
    }, this.options.pingIntervalMs ?? 25_000);
    this.pingTimer.unref();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.lastFrameAt = Date.now();
    if (isBinary) {
      const decoded = decodeBinaryFrame(data);
      if (decoded.kind === 'frame') this.binary.fire(decoded.frame);
      else if (decoded.kind === 'malformed') this.log('warn', 'Dropped a malformed binary frame', decoded);
      return;
    }
    const parsed = parseServerMessage(data.toString('utf8'));
    if (parsed.kind === 'malformed') return this.log('warn', 'Dropped a malformed server message', parsed);
    if (parsed.kind === 'ignored') return this.log('debug', `Ignored a ${parsed.ignored} message`);
    if (parsed.message.type === 'feature_flags') this.serverFeatureFlags = parsed.message.data;
    this.messages.fire(parsed.message);
  }

  private onError(e: Error, refusedStatus: number | undefined): void {
    this.lastError = socketError(e, refusedStatus, this.server);
    this.log('debug', 'WebSocket error', this.lastError);
  }

  private onClose(ws: WebSocket, code: number, refusedStatus: number | undefined): void {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    const wasOpen = this.stateValue === 'open' || this.stateValue === 'reconnecting';
    if (this.stateValue === 'disposed') return;
    if (wasOpen) this.closed.fire({ code });
    const error =
      this.lastError ?? socketError(new Error(`closed with code ${code}`), refusedStatus, this.server);
    if (!wasOpen) this.rejectWaiters(error);
    if (error.reason === 'auth') {
      this.stateValue = 'failed';
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.stateValue = 'backoff';
    const delay = this.backoffMs;
    const max = this.options.maxBackoffMs ?? 30_000;
    this.backoffMs = Math.min(max, Math.max(this.options.initialBackoffMs ?? 500, delay * 2));
    // Jitter keeps many windows from reconnecting to a restarted server in lockstep.
    this.retryTimer = setTimeout(() => this.connect(), delay * (0.75 + Math.random() * 0.5));
  }

  private closeGracefully(ws: WebSocket): void {
    ws.close(1000);
    const timer = setTimeout(() => ws.terminate(), this.options.closeTimeoutMs ?? 5_000);
    ws.once('close', () => clearTimeout(timer));
  }

  private rejectWaiters(e: RunnerError): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w.reject(e));
  }
}

function socketError(e: Error, status: number | undefined, server: ResolvedServer): RunnerError {
  const where = `${server.base.origin}${server.base.pathname}ws`;
  if (status === 401 || status === 403) {
    return new RunnerError('auth', `${where} refused the credentials (HTTP ${status})`, {}, { status });
  }
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const message = `Cannot open the WebSocket ${where}: ${status ? `HTTP ${status}` : code || e.message}`;
  return new RunnerError('server_unreachable', message, {}, { status, code });
}
