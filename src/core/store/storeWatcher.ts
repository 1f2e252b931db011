/**
 * Noticing another process's writes to a store: `fs.watch` on its folders for a prompt reaction, and a
 * poll as well, because `fs.watch` is unavailable or silent on some file systems (network shares,
 * some containers). Either only says "look again"; what changed is found by rescanning.
 */
import { watch, type FSWatcher } from 'node:fs';

/**
 * How changes are noticed: `auto` watches the folders and polls as a backstop; `poll` only polls;
 * `off` notices nothing, and the caller calls `reload()` itself.
 */
export type WatchMode = 'auto' | 'poll' | 'off';

/** Options of {@link watchFolders}. */
export interface WatchOptions {
  readonly mode: WatchMode;
  /** Time between two polls, in ms. */
  readonly pollMs: number;
  /**
   * Events this close together are reported once; one write shows up as several events.
   * @default 20
   */
  readonly debounceMs?: number;
}

/** A running watch; `close` stops it. */
export interface FolderWatch {
  close(): void;
}

/**
 * Calls `onChange` (never more than once per debounce interval) when a file in one of `folders` may
 * have changed. Dot files are ignored: they are the temporaries of atomic writes, and the rename that
 * completes a write reports the final name.
 */
export function watchFolders(
  folders: readonly string[],
  onChange: () => void,
  options: WatchOptions,
): FolderWatch {
  if (options.mode === 'off') return { close: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, options.debounceMs ?? 20);
    timer.unref();
  };
  const watchers = options.mode === 'auto' ? startWatchers(folders, poke) : [];
  const poll = setInterval(onChange, Math.max(1, options.pollMs));
  // A store's watch must not keep a command-line process alive on its own.
  poll.unref();
  return {
    close: () => {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

function startWatchers(folders: readonly string[], poke: () => void): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    try {
      const w = watch(folder, { persistent: false }, (_event, name) => {
        if (typeof name !== 'string' || !name.startsWith('.')) poke();
      });
      // An error (the folder was deleted, the watch limit reached) leaves the poll to notice changes.
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // fs.watch is not supported here; the poll notices changes instead.
    }
  }
  return watchers;
}
