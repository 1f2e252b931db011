/**
 * The small pieces of plumbing the ComfyUI client shares: a typed event emitter whose subscriptions are
 * disposables, and the logger callback through which it reports what it drops or retries.
 */

/** Something to release; subscriptions return one. */
export interface Disposable {
  dispose(): void;
}

/** Where the client reports malformed frames, retries and other things worth a log line. */
export type ComfyLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  details?: unknown,
) => void;

/** A logger that drops everything; the default. */
export const silentLog: ComfyLog = () => undefined;

/**
 * A typed event source. A listener that throws is reported to the log and does not stop the others, so a
 * bug in a view cannot stall a prompt's tracking.
 */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private readonly log: ComfyLog = silentLog) {}

  /** Subscribes; dispose the result to unsubscribe. */
  on(listener: (value: T) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Calls every listener with `value`. */
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (e) {
        this.log('error', 'An event listener threw', e);
      }
    }
  }

  /**
   * Calls every listener with the value `make` builds, built only when someone listens: for values that
   * cost time linear in a prompt's size and go out on every message.
   */
  fireLazy(make: () => T): void {
    if (this.listeners.size > 0) this.fire(make());
  }

  /** Drops every listener. */
  clear(): void {
    this.listeners.clear();
  }
}
