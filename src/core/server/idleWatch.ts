/**
 * Waiting until a server has been idle for a while (no socket, nothing queued or running, no request:
 * {@link ComfyServer.idleMs}), so that `comfy-runner serve --exit-when-idle` started for a front end
 * stops by itself after that front end went away for good, and not while it only reloads.
 */
import type { ComfyServer } from './comfyServer';

/**
 * Resolves once `server` has been idle for `ms` milliseconds without a break; never resolves when
 * `signal` aborts first (the watch is dropped). The clock is read on a timer that does not keep the
 * process alive, at most a quarter of `ms` apart (and at least every second).
 */
export function whenIdleFor(
  server: Pick<ComfyServer, 'idleMs'>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return;
    const every = Math.max(10, Math.min(1000, ms / 4));
    const timer = setInterval(() => {
      if (server.idleMs() < ms) return;
      stop();
      done();
    }, every);
    timer.unref();
    const stop = () => {
      clearInterval(timer);
      signal?.removeEventListener('abort', stop);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}
