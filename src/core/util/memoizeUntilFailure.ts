/**
 * Asking once and remembering the answer, but not a failure: what a client does with a server's
 * capabilities and node definitions, which do not change while it runs but may not be reachable yet.
 */

/**
 * `load` wrapped so that it runs once and every caller shares its promise; once that promise rejects, the
 * next call runs `load` again.
 */
export function memoizeUntilFailure<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().catch((e: unknown) => {
      pending = undefined;
      throw e;
    }));
}
