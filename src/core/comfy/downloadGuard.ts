/**
 * The watch kept over one output download: a stall timer reset by every chunk, a deadline for the whole
 * file, and a byte count held against the size cap (see downloadLimits.ts). A limit that trips fails the
 * download with a {@link RunnerError} naming the server, the file and the limit; so does the batch's
 * signal, when another file of the same batch failed.
 */
import type * as http from 'node:http';
import { Transform } from 'node:stream';
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { ResolvedDownloadLimits } from './downloadLimits';
import type { FileRef } from './endpoints';

/** What a guard's errors name. */
export interface GuardedFile {
  /** The server as shown to the user. */
  readonly server: string;
  readonly ref: FileRef;
}

/** The watch over one download; create it just before the request, stop it however the download ends. */
export interface DownloadGuard {
  /**
   * Waits for the reply's headers; rejects as soon as a limit trips or the batch is aborted meanwhile
   * (a reply that arrives later is discarded). Then checks the announced length against the cap.
   */
  opened(reply: Promise<http.IncomingMessage>): Promise<http.IncomingMessage>;
  /** The stage to put in the pipeline after the reply: it counts bytes and fails the pipeline on a limit. */
  readonly through: Transform;
  /** The limit that tripped (or the batch's reason), once one did. */
  readonly failure: unknown;
  /** Clears the timers. */
  stop(): void;
}

const MiB = 1024 * 1024;

/** `ms` as people read a limit: `30 s`, `1.5 s`, `10 min`. */
function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function fileName(ref: FileRef): string {
  return ref.subfolder ? `${ref.subfolder}/${ref.filename}` : ref.filename;
}

/** The details every limit's error carries: the server, the file as the server named it, and the limit. */
function details(file: GuardedFile, limit: Record<string, unknown>): Record<string, unknown> {
  const { filename, subfolder, type } = file.ref;
  return { server: file.server, file: { filename, subfolder, type }, ...limit };
}

/** The error of a stalled download. */
function stalled(file: GuardedFile, limits: ResolvedDownloadLimits): RunnerError {
  const limit = limits.stallTimeoutMs;
  return new RunnerError(
    'timeout',
    `Downloading ${fileName(file.ref)} from ${file.server} stalled: nothing arrived for ${duration(limit)} (the download stall timeout)`,
    {},
    details(file, { limit: 'stallTimeout', limitMs: limit }),
  );
}

function pastDeadline(file: GuardedFile, limits: ResolvedDownloadLimits): RunnerError {
  const limit = limits.deadlineMs;
  return new RunnerError(
    'timeout',
    `Downloading ${fileName(file.ref)} from ${file.server} took longer than the download deadline of ${duration(limit)}`,
    {},
    details(file, { limit: 'deadline', limitMs: limit }),
  );
}

function tooLarge(file: GuardedFile, limits: ResolvedDownloadLimits, announced?: number): RunnerError {
  const cap = limits.maxBytes;
  const size = announced === undefined ? 'is larger than' : `is ${announced} bytes, over`;
  return new RunnerError(
    'too_large',
    `${fileName(file.ref)} from ${file.server} ${size} the output size cap of ${Number((cap / MiB).toFixed(3))} MiB`,
    {},
    details(file, { limit: 'maxBytes', maxBytes: cap, ...(announced !== undefined && { announced }) }),
  );
}

/** Starts watching one download; the deadline runs from now, the stall timer from now and every chunk. */
export function downloadGuard(
  file: GuardedFile,
  limits: ResolvedDownloadLimits,
  signal?: AbortSignal,
): DownloadGuard {
  let failure: unknown;
  let stopped = false;
  let size = 0;
  const through = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!stopped) stall.refresh();
      size += chunk.length;
      done(size > limits.maxBytes ? tooLarge(file, limits) : null, chunk);
    },
  });
  // A limit can trip before the stage is piped; the pipeline, once there, reports the error itself.
  through.on('error', () => undefined);
  let tripped: (e: unknown) => void = () => undefined;
  const tripping = new Promise<never>((_, reject) => (tripped = reject));
  tripping.catch(() => undefined);
  const trip = (e: unknown): unknown => {
    if (failure !== undefined) return failure;
    failure = e;
    tripped(e);
    through.destroy(e as Error);
    return e;
  };
  const deadline = setTimeout(() => trip(pastDeadline(file, limits)), limits.deadlineMs);
  const stall = setTimeout(() => trip(stalled(file, limits)), limits.stallTimeoutMs);
  const onAbort = () => trip(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  return {
    opened: async (reply) =>
      checkedReply(await waitForReply(reply, tripping, () => trip(stalled(file, limits)))),
    through,
    get failure() {
      return failure;
    },
    stop: () => {
      stopped = true;
      clearTimeout(deadline);
      clearTimeout(stall);
      signal?.removeEventListener('abort', onAbort);
    },
  };

  function checkedReply(res: http.IncomingMessage): http.IncomingMessage {
    stall.refresh();
    // From here on the stall timer watches the body; the socket's own idle timer would race it.
    res.setTimeout(0);
    const announced = Number(res.headers['content-length']);
    if (announced > limits.maxBytes) {
      res.destroy();
      throw trip(tooLarge(file, limits, announced));
    }
    return res;
  }
}

/**
 * The reply, or the failure of a limit that trips first (a reply that comes later is destroyed unread).
 * The request's own idle timeout, set to the stall timeout, counts as a stall.
 */
async function waitForReply(
  reply: Promise<http.IncomingMessage>,
  tripping: Promise<never>,
  stall: () => unknown,
): Promise<http.IncomingMessage> {
  let lost = false;
  reply.then(
    (res) => lost && res.destroy(),
    () => undefined,
  );
  try {
    return await Promise.race([reply, tripping]);
  } catch (e) {
    lost = true;
    throw isRunnerError(e, 'timeout') ? stall() : e;
  }
}
