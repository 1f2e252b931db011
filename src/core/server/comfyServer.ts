/**
 * The embedded engine behind ComfyUI's own HTTP and WebSocket protocol (comfyui-protocol.md sections 2
 * and 3), so any ComfyUI client (our own, a script, a library from npm) can use it unchanged.
 *
 * Concurrency: with `parallel` 1 (the default) prompts run one at a time, as in ComfyUI. With `parallel`
 * N the server runs N engines side by side, each taking the next pending prompt when it is free; the CPU
 * is shared between them (each gets `availableParallelism() / N` node slots) and each keeps its own
 * output cache, so an unchanged re-run is served from cache only when it lands on the same engine. We
 * chose engines over a concurrent executor because an Engine's cache and interrupt semantics assume one
 * prompt at a time, and separate engines keep that true.
 *
 * Like ComfyUI without `--enable-cors-header`, it listens on loopback by default and refuses cross-site
 * browser requests; on loopback it also refuses any `Host` but a loopback address, `localhost` or an
 * allowed name, against DNS rebinding (originCheck.ts). Given a `token`, it also refuses every request
 * and socket upgrade that does not carry it (accessToken.ts), as ComfyUI-Login does. docs/security.md
 * lists what it promises and which tests hold it to that.
 *
 * It keeps an idle clock ({@link ComfyServer.idleMs}) so that a server started for one front end can
 * stop by itself once nobody uses it (idleWatch.ts).
 *
 * Lifetimes: the server owns its HTTP server, its sockets and the engines it created; `close()` stops
 * listening, closes every socket, interrupts running prompts, waits for them to end and disposes the
 * engines. An engine passed in by the caller is the caller's to dispose.
 */
import { mkdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { runnerVersion } from '../util/runnerVersion';
import { embeddedVersionString } from '../protocol/serverVersion';
import type { EngineEvent } from '../engine/engineEvents';
import { createEngine, type Engine } from '../engine/executor';
import type { ProgressStatePolicy } from '../engine/runReporter';
import { RunnerError } from '../util/runnerError';
import { redactToken } from './accessToken';
import { EventDelivery } from './eventDelivery';
import { jobsRoutes } from './jobsRoutes';
import { PromptHistory } from './promptHistory';
import { PromptQueue } from './promptQueue';
import { promptRoutes, queueInfo } from './promptRoutes';
import { clientIdOf } from './queueItem';
import { queueRoutes } from './queueRoutes';
import { hostPolicy } from './originCheck';
import { refusalOf, routeRequests, type Gate, type Refusal, type Route } from './router';
import type { ServerFolders, ServerState } from './serverState';
import { SocketHub } from './socketHub';
import { serverFeatureFlags, systemRoutes } from './systemRoutes';
import { uploadRoute } from './uploadRoute';
import { viewRoute } from './viewRoute';

/** Options of {@link startComfyServer}. */
export interface ComfyServerOptions extends ServerFolders {
  /** The address to listen on. @default '127.0.0.1' (loopback only, as ComfyUI without `--listen`) */
  host?: string;
  /**
   * Host names accepted besides loopback addresses and `localhost`: as the `Host` of a request (when
   * the server listens on loopback) and as the host of a page's `Origin` (originCheck.ts). Given without
   * a port; one that is not a host name or address is refused. @default none
   */
  allowHosts?: readonly string[];
  /** Where the server reports what it could not answer as asked (an entry left out). @default nothing */
  log?: (line: string) => void;
  /** The port; 0 picks a free one (read it from the result). @default 8188 */
  port?: number;
  /** How many prompts run at once, each on its own engine. @default 1 */
  parallel?: number;
  /** An engine to serve instead of creating one; only with `parallel` 1. Not disposed by `close()`. */
  engine?: Engine;
  /** Request bodies above this many bytes are refused with 413. @default 100 MiB, as ComfyUI */
  maxUploadSize?: number;
  /**
   * A token every HTTP request and the socket upgrade must carry, as `Authorization: Bearer <token>` or
   * `?token=<token>`; others get 401. Never logged; blanked out of `/system_stats`'s argv.
   * @default none: no token is asked for, as in ComfyUI
   */
  token?: string;
  /**
   * How often `progress_state` goes out. `coalesced`: each socket gets a large prompt's newest snapshot
   * at most every ~100 ms and always the final one, and a socket that reads slowly gets none until it
   * drains (progressCoalescer.ts; the engines the server creates space them out too). `every-change`:
   * every snapshot to every socket, as ComfyUI sends them, at a cost growing with the square of the
   * prompt's size (for comparisons and benchmarks). @default 'coalesced'
   */
  progressStates?: ProgressStatePolicy;
}

/** A running server. */
export interface ComfyServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /**
   * How many milliseconds the server has been idle: no socket open, no prompt queued or running, and no
   * HTTP request since. 0 while any of these holds.
   */
  idleMs(): number;
  /** Stops the server; see the module comment for what it waits for. */
  close(): Promise<void>;
}

/** `system_stats.system.comfyui_version`: this program, and that it is the embedded engine. */
export const embeddedServerVersion = embeddedVersionString(runnerVersion);

function enginesFor(options: ComfyServerOptions, folders: ServerFolders): Engine[] {
  const parallel = options.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new RunnerError('bad_input', `parallel must be a whole number of at least 1, not ${parallel}`);
  if (options.engine) {
    if (parallel !== 1)
      throw new RunnerError('bad_input', 'a given engine can only be served with parallel 1');
    return [options.engine];
  }
  const maxConcurrency = Math.max(1, Math.floor(availableParallelism() / parallel));
  const progressStates = options.progressStates;
  return Array.from({ length: parallel }, () => createEngine({ ...folders, maxConcurrency, progressStates }));
}

function foldersOf(options: ComfyServerOptions): ServerFolders {
  const folders = {
    inputDir: resolve(options.inputDir),
    outputDir: resolve(options.outputDir),
    tempDir: resolve(options.tempDir),
  };
  for (const dir of Object.values(folders)) mkdirSync(dir, { recursive: true });
  return folders;
}

/** The time of the last sign of use and the requests being answered; {@link ComfyServer.idleMs}. */
class IdleClock {
  private last = Date.now();
  private requests = 0;

  touch(): void {
    this.last = Date.now();
  }

  /** A request arrived; the returned function says it ended (once). */
  request(): () => void {
    this.requests++;
    this.touch();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.requests--;
      this.touch();
    };
  }

  idleMs(busy: boolean): number {
    if (busy || this.requests > 0) return 0;
    return Math.max(0, Date.now() - this.last);
  }
}

/** The queue, history, sockets and state of one server, wired together. */
function assemble(options: ComfyServerOptions, engines: Engine[], folders: ServerFolders, clock: IdleClock) {
  const history = new PromptHistory();
  const maxUploadSize = options.maxUploadSize ?? 100 * 1024 * 1024;
  const hooks = {
    statusChanged: () => {
      clock.touch();
      hub.broadcast({ type: 'status', data: { status: queueInfo(state) } });
    },
    event: (item: Parameters<typeof clientIdOf>[0], e: EngineEvent) => delivery.deliver(e, clientIdOf(item)),
  };
  const queue = new PromptQueue(engines, history, hooks);
  const state: ServerState = {
    queue,
    history,
    folders,
    definitions: () => engines[0].definitions(),
    featureFlags: () => serverFeatureFlags(maxUploadSize),
    version: embeddedServerVersion,
    argv: process.argv.map((a) => redactToken(a, options.token)),
    maxUploadSize,
    log: options.log ?? (() => undefined),
    counter: 0,
  };
  const hub: SocketHub = new SocketHub({
    queueRemaining: () => queue.remaining(),
    lastNodeOf: (clientId) => queue.lastNodeOf(clientId),
    featureFlags: state.featureFlags,
    socketsChanged: () => clock.touch(),
    socketClosed: (ws) => delivery.socketClosed(ws),
  });
  const delivery = new EventDelivery(hub, options.progressStates !== 'every-change');
  return { state, hub, delivery };
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? `port ${port} is already in use on ${host}` : e.message;
      fail(new RunnerError('bad_input', `Cannot listen on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => done((server.address() as AddressInfo).port));
  });
}

/** Stops listening, closes sockets, ends running prompts, then disposes the engines the server made. */
async function shutDown(
  server: http.Server,
  hub: SocketHub,
  delivery: EventDelivery,
  state: ServerState,
  owned: Engine[],
): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  hub.close();
  await state.queue.close();
  delivery.close();
  server.closeAllConnections();
  await closed;
  await Promise.all(owned.map((e) => e.dispose()));
}

/** The request listener: every request, refused or not, counts as use on the idle clock. */
function listener(routes: Route[], gate: Gate, state: ServerState, clock: IdleClock) {
  const route = routeRequests(routes, { ...gate, maxBody: state.maxUploadSize });
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.once('close', clock.request());
    route(req, res);
  };
}

/** The raw HTTP answer to a refused socket upgrade, with the refusal's message as its body. */
function refusedUpgrade({ status, message }: Refusal): string {
  const body = Buffer.from(message, 'utf8');
  const head = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  return `${head.join('\r\n')}\r\n\r\n${body.toString('utf8')}`;
}

/** Starts a ComfyUI-compatible server in front of the embedded engine; resolves once it listens. */
export async function startComfyServer(options: ComfyServerOptions): Promise<ComfyServer> {
  const host = options.host ?? '127.0.0.1';
  // First, so that a bad allowed host is refused before anything is started.
  const gate: Gate = { hosts: hostPolicy(host, options.allowHosts), token: options.token };
  const folders = foldersOf(options);
  const engines = enginesFor(options, folders);
  const clock = new IdleClock();
  const { state, hub, delivery } = assemble(options, engines, folders, clock);
  const routes = [
    ...promptRoutes(state),
    ...queueRoutes(state),
    viewRoute(state),
    uploadRoute(state),
    ...jobsRoutes(state),
    ...systemRoutes(state),
  ];
  const server = http.createServer(listener(routes, gate, state, clock));
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    clock.touch();
    if (!SocketHub.isSocketPath(req)) return void socket.destroy();
    const refused = refusalOf(req, gate);
    if (refused) return void socket.end(refusedUpgrade(refused));
    hub.handleUpgrade(req, socket, head);
  });
  const port = await listen(server, host, options.port ?? 8188);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= shutDown(server, hub, delivery, state, options.engine ? [] : engines));
  const idleMs = () => clock.idleMs(hub.connections > 0 || state.queue.remaining() > 0);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, port, idleMs, close };
}
