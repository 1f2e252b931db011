/**
 * The client of one ComfyUI server, and the only code that speaks its protocol: submits prompts (once,
 * idempotently, under a chosen id), follows each one by its prompt id through the WebSocket (falling
 * back to polling when events stop), lets callers watch one prompt's messages, takes prompts back after
 * a restart, cancels, uploads, collects outputs, and reads the server's node definitions.
 *
 * Lifetimes: one client per server connection; it owns its socket, its HTTP agent and its timers, and
 * `dispose()` releases them all.
 */
import { randomUUID } from 'node:crypto';
import type { ServerMessage } from '../protocol/comfyMessages';
import { memoizeUntilFailure } from '../util/memoizeUntilFailure';
import { RunnerError } from '../util/runnerError';
import type { ApiPrompt, NodeDefs } from '../workflow/types';
import { cancelPrompt } from './cancel';
import { detectCapabilities, type ServerCapabilities } from './serverCapabilities';
import type { DownloadLimits } from './downloadLimits';
import { EventRouter } from './eventRouter';
import { postPrompt, type UploadedImage, type UploadOptions, uploadImage } from './endpoints';
import { type ComfyLog, type Disposable, silentLog } from './events';
import { ComfyHttp } from './http';
import { lookupPrompt, type PromptLookup } from './lookup';
import { fetchNodeDefinitions } from './fetchNodeDefinitions';
import {
  attachListeners,
  type FollowOptions,
  makePromptRun,
  type PromptRun,
  type SubmitOptions,
} from './promptRun';
import { PromptTracker } from './promptTracker';
import { systemStatsReply } from './replies';
import { systemStatsOf, type SystemStats } from './systemStats';
import { RunSupervisor } from './runSupervisor';
import { resolveServer, type ServerOptions } from './serverConfig';
import { ComfySocket, type SocketOptions } from './socket';
import {
  type IdempotentSubmitOptions,
  type OpenedPrompt,
  resumePrompt,
  type Resumption,
  submitIdempotent,
} from './submitIdempotent';

/** Options of a client; every timing has a default. */
export interface ComfyClientOptions extends ServerOptions {
  /** Default: the process's client id, shared by every server this window talks to. */
  clientId?: string;
  /** Socket timings (pings, backoff). */
  socket?: Omit<SocketOptions, 'clientId' | 'log'>;
  /** How often silent prompts are checked. Default 2 000 ms. */
  pollIntervalMs?: number;
  /** A prompt with no event for this long (or any prompt while the socket is down) is polled. Default 5 000 ms. */
  silenceMs?: number;
  /** Active prompts become `lost` when the server stays unreachable this long. Default 15 000 ms. */
  lostAfterMs?: number;
  /** How long to wait for `executing {node: null}` after a terminal event. Default 2 000 ms. */
  finishGraceMs?: number;
  /** History re-reads while it is still `{}`. Default 10 x 200 ms. */
  historyAttempts?: number;
  historyDelayMs?: number;
  /** Limits on each output download: stall timeout, deadline, size cap. @default see downloadLimits.ts */
  downloads?: DownloadLimits;
  log?: ComfyLog;
}

/** A client of one ComfyUI server. */
export class ComfyClient {
  private readonly http: ComfyHttp;
  private readonly socket: ComfySocket;
  private readonly router: EventRouter;
  private readonly supervisor: RunSupervisor;
  private readonly log: ComfyLog;
  private readonly caps: () => Promise<ServerCapabilities>;
  private readonly defs: () => Promise<NodeDefs>;

  constructor(private readonly options: ComfyClientOptions) {
    const server = resolveServer(options);
    this.log = options.log ?? silentLog;
    this.http = new ComfyHttp(server);
    this.router = new EventRouter(this.log);
    this.caps = memoizeUntilFailure(() => detectCapabilities(this.http));
    this.defs = memoizeUntilFailure(() => fetchNodeDefinitions(this.http, this.log));
    this.socket = new ComfySocket(server, { ...options.socket, clientId: options.clientId, log: this.log });
    this.supervisor = new RunSupervisor(this.http, this.socket, this.router, {
      pollIntervalMs: options.pollIntervalMs ?? 2_000,
      silenceMs: options.silenceMs ?? 5_000,
      lostAfterMs: options.lostAfterMs ?? 15_000,
      finishGraceMs: options.finishGraceMs ?? 2_000,
      historyAttempts: options.historyAttempts ?? 10,
      historyDelayMs: options.historyDelayMs ?? 200,
      downloads: options.downloads ?? {},
      jobsApi: () => this.jobsApi(),
      log: this.log,
    });
    this.socket.messages.on((m) => this.router.message(m));
    this.socket.binary.on((f) => this.router.binary(f));
  }

  /** The client id sent as `clientId` on the socket and `client_id` with every prompt. */
  get clientId(): string {
    return this.socket.clientId;
  }

  /** The server as shown to the user: its base URL without credentials, query token or trailing slash. */
  get displayName(): string {
    return this.http.displayName;
  }

  /** What the server supports; asked once and remembered (asked again after a failure). */
  capabilities(): Promise<ServerCapabilities> {
    return this.caps();
  }

  /**
   * The server's node definitions (`/object_info`), validated; asked once and remembered (asked again
   * after a failure). A class whose definition is malformed is logged and left out. Throws as the HTTP
   * layer does, and `protocol` for a reply that is not a map of definitions.
   */
  nodeDefinitions(): Promise<NodeDefs> {
    return this.defs();
  }

  /**
   * Asks `/system_stats` now, unlike {@link capabilities}, which remembers: the server's health. Throws
   * `server_unreachable`, `auth`, `timeout` or `protocol` as the HTTP layer does.
   */
  async ping(): Promise<void> {
    await this.http.json({ route: 'system_stats' }, systemStatsReply);
  }

  /**
   * Asks `/system_stats` now: the version, memory and devices with their free VRAM. Throws as
   * {@link ping} does.
   */
  async systemStats(): Promise<SystemStats> {
    return systemStatsOf(await this.http.json({ route: 'system_stats' }, systemStatsReply));
  }

  /** Opens the socket; `submit` does this itself before its first prompt. */
  connect(): Promise<void> {
    return this.socket.ready();
  }

  /**
   * Submits a prompt under an id we choose, registered before the POST so early events are kept. Resolves
   * once the server queued it; 400 rejects with `prompt_rejected` (details: a ValidationResult listing every
   * node error). Outputs that failed validation on a 200 are listed in `warnings`.
   */
  async submit(prompt: ApiPrompt, options: SubmitOptions = {}): Promise<PromptRun> {
    await this.openSocketForSubmit();
    const tracker = new PromptTracker(options.promptId ?? randomUUID(), prompt, this.log);
    attachListeners(tracker, options);
    this.router.add(tracker);
    let queued;
    try {
      queued = await postPrompt(this.http, {
        prompt,
        client_id: this.clientId,
        prompt_id: tracker.promptId,
        extra_data: options.extraData,
        front: options.front,
        number: options.number,
        partial_execution_targets: options.partialExecutionTargets,
      });
    } catch (e) {
      this.router.remove(tracker.promptId);
      throw e;
    }
    if (queued.promptId !== tracker.promptId) this.router.rekey(tracker, queued.promptId);
    const result = this.supervisor.track(tracker, options.outputDir);
    tracker.accepted(queued.nodeErrors);
    if (tracker.cancelRequested)
      void this.cancel(tracker.promptId).catch((e) => this.log('warn', 'Cancel failed', e));
    return makePromptRun(tracker, queued.number, result, () => this.cancel(tracker.promptId));
  }

  /**
   * Every message the server sends about `promptId` from now on, in order; dispose the result to stop.
   * Subscribe before submitting under that id so that none is missed: an idle server can start, and even
   * finish, a prompt before the POST returns. Each message reaches the prompt's own tracking first. Should
   * an old server give the prompt an id of its own, the subscription follows it.
   */
  messagesOf(promptId: string, listener: (message: ServerMessage) => void): Disposable {
    return this.router.watch(promptId, listener);
  }

  /**
   * Submits under `options.promptId`, chosen and kept by the caller beforehand, so that the outcome of the
   * POST never has to be guessed: when it fails in a way that may have reached the server (a timeout, a
   * reset), the server is asked about that id first, and a prompt it has, or that it cannot be asked
   * about, is followed (`confirmed` false for the latter). Only when the server does not have it is the
   * failure rethrown, meaning never submitted. Other failures are thrown as {@link submit} throws them.
   */
  submitIdempotent(prompt: ApiPrompt, options: IdempotentSubmitOptions): Promise<OpenedPrompt> {
    return submitIdempotent(this, prompt, options);
  }

  /**
   * Takes back a prompt submitted earlier under `promptId`, perhaps by a runner that has since stopped:
   * the server is asked about it (a few times, if it cannot be reached at once), and a prompt it has is
   * followed as {@link follow} does, as is one it cannot be asked about now (`confirmed` false). Resolves
   * `unknown`, following nothing, when the server does not have it.
   */
  resume(promptId: string, prompt: ApiPrompt, options: FollowOptions = {}): Promise<Resumption> {
    return resumePrompt(this, promptId, prompt, options);
  }

  /**
   * What the server says about a prompt id now: `running`, `pending`, `finished` (with its history
   * entry) or `unknown` (comfyui-protocol.md 4.6). Asked before a prompt whose submission had an unknown
   * outcome is ever submitted again, and when a restarted runner takes its jobs back. Throws
   * `server_unreachable`, `timeout` or `auth` when the server cannot be asked.
   */
  async lookup(promptId: string): Promise<PromptLookup> {
    return lookupPrompt(this.http, promptId, await this.jobsApi());
  }

  /**
   * Follows a prompt submitted earlier, perhaps by another process under this client id, as `submit`
   * would have: it is registered before the server is asked about it, so no event is missed in between;
   * then a pending or running prompt is followed to its end, a finished one is concluded from its
   * history (outputs downloaded into `outputDir`), and one the server does not know ends `lost`. A
   * server that cannot be asked now is polled like any silent prompt, and its prompt ends `lost` if it
   * stays unreachable. `prompt` only gives the node count for progress. The handle's `number` is -1: a
   * followed prompt's queue number is not known.
   */
  async follow(promptId: string, prompt: ApiPrompt, options: FollowOptions = {}): Promise<PromptRun> {
    await this.openSocketForSubmit();
    const tracker = new PromptTracker(promptId, prompt, this.log);
    attachListeners(tracker, options);
    this.router.add(tracker);
    const result = this.supervisor.track(tracker, options.outputDir);
    tracker.accepted({});
    try {
      this.supervisor.applyVerdict(tracker, await this.lookup(promptId));
    } catch (e) {
      this.log('warn', `Could not ask about prompt ${promptId}; polling it`, e);
    }
    return makePromptRun(tracker, -1, result, () => this.cancel(promptId));
  }

  /**
   * Cancels one of our prompts: a queued one is deleted from the queue, a running one is cancelled through
   * the jobs API or interrupted by id. Never a global interrupt. Does nothing for unknown or ended prompts.
   */
  async cancel(promptId: string): Promise<void> {
    const tracker = this.router.get(promptId);
    if (!tracker || !tracker.active) return;
    tracker.cancelRequested = true;
    tracker.progress.fire(tracker.snapshot());
    if (tracker.state === 'submitting') return;
    const jobsApi = await this.jobsApi();
    const verdict = await cancelPrompt(this.http, tracker, jobsApi);
    if (verdict) this.supervisor.applyVerdict(tracker, verdict);
  }

  /** Uploads an image to the server's input folder; use the returned name (the server may rename it). */
  uploadImage(data: Uint8Array | Blob, filename: string, options?: UploadOptions): Promise<UploadedImage> {
    return uploadImage(this.http, data, filename, options);
  }

  /** Closes the socket, stops polling, and rejects the results of prompts still followed with `lost`. */
  async dispose(): Promise<void> {
    this.supervisor.dispose();
    await this.socket.dispose();
    this.http.server.agent.destroy();
  }

  private async jobsApi(): Promise<boolean> {
    try {
      return (await this.capabilities()).jobsApi;
    } catch {
      return false;
    }
  }

  private async openSocketForSubmit(): Promise<void> {
    try {
      await this.socket.ready();
    } catch (e) {
      // Credentials the proxy refuses will fail the POST too; say so now. Otherwise polling will do.
      if (e instanceof RunnerError && e.reason === 'auth') throw e;
      this.log('warn', 'The WebSocket did not open; following prompts by polling', e);
    }
  }
}
