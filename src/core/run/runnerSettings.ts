/**
 * `runner.json` in a job store: the pool a `comfy-runner run` used, so that `comfy-runner jobs resume`
 * can build it again after that process died. Server URLs are written without credentials (user name,
 * password, query token): a store never holds a secret. A server that wants credentials is named again
 * with them on `jobs resume --server`.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { RunnerError } from '../util/runnerError';
import { readTextIfExists, writeFileAtomic } from '../util/atomicWrite';
import type { DownloadLimits } from '../comfy/downloadLimits';

/** What a run tells its store about its pool. */
export interface RunnerSettings {
  /** `embedded` and server URLs, as the jobs name their servers. */
  servers: string[];
  /**
   * The client id the servers saw: a server sends a prompt's events to the client id that submitted it,
   * so a resumed runner connects under the same one.
   */
  clientId: string;
  /** The local input folder (uploaded to servers, read by the embedded engine), absolute. */
  inputDir: string;
  /** The output folder, absolute; the embedded engine's own folders are under it. */
  out: string;
  /** The global cap on jobs on servers, when one was given. */
  concurrency?: number;
  /** The limits on output downloads that were given (the others are their defaults). */
  downloads?: DownloadLimits;
  /** Prompts the embedded engine ran at once, when more than one was given. */
  engineSlots?: number;
}

const FILE = 'runner.json';

/**
 * The name of a server in the pool and in its jobs: its URL without credentials, query or fragment, and
 * without the trailing slash (as a remote target names itself). `embedded` stays itself. Throws
 * `bad_input` for something that is not an http(s) URL.
 */
export function serverName(server: string): string {
  if (server === 'embedded') return server;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new RunnerError('bad_input', `--server takes a URL or "embedded", not "${server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RunnerError('bad_input', `--server takes an http(s) URL or "embedded", not "${server}"`);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href.replace(/\/$/, '');
}

/** The settings kept in the store, or undefined when there are none (or they are unreadable). */
export async function readRunnerSettings(storeDir: string): Promise<RunnerSettings | undefined> {
  const text = await readTextIfExists(join(storeDir, FILE));
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as Partial<RunnerSettings>;
    if (!Array.isArray(s.servers) || typeof s.clientId !== 'string') return undefined;
    if (typeof s.inputDir !== 'string' || typeof s.out !== 'string') return undefined;
    // Limits that are not positive numbers are dropped: the defaults are better than a broken limit.
    const { downloads: raw, engineSlots, ...rest } = s as RunnerSettings;
    const downloads = downloadLimitsIn(raw);
    const slots = Number.isInteger(engineSlots) && engineSlots! >= 1 ? engineSlots : undefined;
    return { ...rest, ...(downloads && { downloads }), ...(slots !== undefined && { engineSlots: slots }) };
  } catch {
    return undefined;
  }
}

/** The limits of `raw` that are positive numbers; undefined when none is. */
function downloadLimitsIn(raw: unknown): DownloadLimits | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const keys = ['stallTimeoutMs', 'deadlineMs', 'maxBytes'] as const;
  const kept = keys.flatMap((k) => {
    const v = (raw as Record<string, unknown>)[k];
    return typeof v === 'number' && v > 0 ? [[k, v] as const] : [];
  });
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Writes the settings (atomically), server URLs stripped of credentials. */
export async function writeRunnerSettings(storeDir: string, settings: RunnerSettings): Promise<void> {
  const clean = { ...settings, servers: settings.servers.map(serverName) };
  await writeFileAtomic(join(storeDir, FILE), `${JSON.stringify(clean, null, 2)}\n`);
}

/**
 * The settings a run keeps: its own pool and folders, under the client id the store had (a new one for
 * a new store), so every process on one store speaks to the servers as the same client.
 */
export function runSettings(
  previous: RunnerSettings | undefined,
  run: { servers: string[]; inputDir: string; out: string; concurrency?: number },
): RunnerSettings {
  return {
    servers: run.servers,
    clientId: previous?.clientId ?? randomUUID(),
    inputDir: resolve(run.inputDir),
    out: resolve(run.out),
    ...(run.concurrency !== undefined && { concurrency: run.concurrency }),
  };
}
