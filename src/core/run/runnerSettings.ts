/**
 * `runner.json` in a job store: the pool a `comfy-runner run` used, so that `comfy-runner jobs resume`
 * can build it again after that process died. Server URLs are written without credentials (user name,
 * password, query token): a store never holds a secret. A server that wants credentials is named again
 * with them on `jobs resume --server`. How a runner's options and the kept settings make its settings
 * and its pool is here too ({@link settingsFor}, {@link poolOf}).
 */
import { join, resolve } from 'node:path';
import { RunnerError } from '../util/runnerError';
import { readTextIfExists, writeFileAtomic } from '../util/atomicWrite';
import type { DownloadLimits } from '../comfy/downloadLimits';
import type { Job } from '../jobs/job';
import { serverSettingsOf, type ServerSpec } from './serverSettings';

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

/** What a runner is opened with that decides its settings (runner.ts `RunnerOptions`). */
export interface RunnerSettingsRequest {
  /**
   * What a store with unfinished jobs means: `refuse` throws `bad_input` saying how to resume or
   * cancel them; `resume` takes them back.
   */
  readonly unfinished: 'refuse' | 'resume';
  /**
   * The pool. On `resume`, empty means the pool the store kept plus every server an unfinished job was
   * on.
   * @default ['embedded'] (on resume: the stored pool)
   */
  readonly servers?: readonly ServerSpec[];
  /** Where run folders go. @default the stored one, else the store folder's parent */
  readonly out?: string;
  /** The local input folder. @default the stored one, else `input` */
  readonly inputDir?: string;
  /** The most jobs on servers at once over the pool. @default the stored one, else no cap */
  readonly concurrency?: number;
  /**
   * Prompts the embedded engine runs at once, when the pool names it `embedded` (a server spec of its own
   * with `slots` wins). @default the stored number on resume, else 1
   */
  readonly engineSlots?: number;
  /**
   * Limits on each output downloaded from a server: stall timeout, deadline, size cap. Each limit not
   * given is the stored one on resume, else its default (comfy/downloadLimits.ts).
   * @default the stored limits, else the defaults
   */
  readonly downloads?: DownloadLimits;
}

/** The pool: the servers given, else (resuming) the stored pool and the servers jobs were on. */
export function poolOf(options: RunnerSettingsRequest, settings: RunnerSettings): ServerSpec[] {
  const given = options.servers ?? [];
  const pool = given.length > 0 ? [...given] : settings.servers;
  const slots = settings.engineSlots;
  if (slots === undefined) return pool;
  return pool.map((s) => (s === 'embedded' ? { url: s, slots } : s));
}

/** What the store keeps about this runner: the pool's names, folders and client id (never credentials). */
export async function settingsFor(
  storeDir: string,
  options: RunnerSettingsRequest,
  unfinished: readonly Job[],
): Promise<RunnerSettings> {
  const saved = await readRunnerSettings(storeDir);
  const given = (options.servers ?? []).map((s) => serverSettingsOf(s).url);
  const servedOn = unfinished.flatMap((j) => (j.state !== 'queued' && j.server ? [j.server] : []));
  const resumed = options.unfinished === 'resume' ? [...(saved?.servers ?? []), ...servedOn] : [];
  const servers = given.length > 0 ? given : resumed.length > 0 ? resumed : ['embedded'];
  // A new run's cap is its own; a resumed one keeps the cap it was started with unless given another.
  const concurrency =
    options.concurrency ?? (options.unfinished === 'resume' ? saved?.concurrency : undefined);
  const engineSlots =
    options.engineSlots ?? (options.unfinished === 'resume' ? saved?.engineSlots : undefined);
  return {
    servers: [...new Set(servers.map(serverName))],
    clientId: saved?.clientId ?? crypto.randomUUID(),
    inputDir: resolve(options.inputDir ?? saved?.inputDir ?? 'input'),
    out: resolve(options.out ?? saved?.out ?? resolve(storeDir, '..')),
    ...(concurrency !== undefined && { concurrency }),
    ...(engineSlots !== undefined && engineSlots > 1 && { engineSlots }),
    ...downloadsFor(options, saved),
  };
}

/** A new run's download limits are its own; a resumed one keeps those it was started with unless given others. */
function downloadsFor(
  options: RunnerSettingsRequest,
  saved: RunnerSettings | undefined,
): Pick<RunnerSettings, 'downloads'> {
  const kept = options.unfinished === 'resume' ? saved?.downloads : undefined;
  const given = Object.entries(options.downloads ?? {}).filter(([, v]) => v !== undefined);
  const downloads: DownloadLimits = { ...kept, ...Object.fromEntries(given) };
  return Object.keys(downloads).length > 0 ? { downloads } : {};
}
