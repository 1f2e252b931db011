/**
 * Noticing another process's writes to a store: `fs.watch` on its folders for a prompt reaction, and a
 * poll as well, because `fs.watch` is unavailable or silent on some file systems (network shares,
 * some containers). Either only says "look again" about some folders (a poll: all of them); what
 * changed is found by rescanning them.
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
 * Calls `onChange` with the folders in which a file may have changed (never more than once per
 * debounce interval for what a watch saw; every folder at each poll). Dot files are ignored: they are
 * the temporaries of atomic writes, and the rename that completes a write reports the final name.
 */
export function watchFolders(
  folders: readonly string[],
  onChange: (folders: ReadonlySet<string>) => void,
  options: WatchOptions,
): FolderWatch {
  if (options.mode === 'off') return { close: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  let poked = new Set<string>();
  const poke = (folder: string) => {
    poked.add(folder);
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const changed = poked;
      poked = new Set();
      onChange(changed);
    }, options.debounceMs ?? 20);
    timer.unref();
  };
  const watchers = options.mode === 'auto' ? startWatchers(folders, poke) : [];
  const all = new Set(folders);
  const poll = setInterval(() => onChange(all), Math.max(1, options.pollMs));
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

function startWatchers(folders: readonly string[], poke: (folder: string) => void): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    try {
      const w = watch(folder, { persistent: false }, (_event, name) => {
        if (typeof name !== 'string' || !name.startsWith('.')) poke(folder);
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
