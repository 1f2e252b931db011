/**
 * The pool a run dispatches to: the embedded engine and ComfyUI servers, each opened and asked for its
 * node definitions before any job is planned, so that a server that cannot be reached is reported at
 * once (with the reason for each server) instead of leaving jobs waiting, and so that the definitions
 * are asked for once: planning checks prompts with them and the scheduler's pool starts with them.
 */
import { freemem, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ComfyClient } from '../comfy/client';
import type { DownloadLimits } from '../comfy/downloadLimits';
import type { SystemStats } from '../comfy/systemStats';
import type { EngineLog } from '../engine/engineEvents';
import { createEngine } from '../engine/executor';
import type { PoolTargetOptions } from '../scheduler/pool/poolTarget';
import { embeddedTarget } from '../scheduler/targets/embeddedTarget';
import { withLocalInputs } from '../scheduler/targets/remoteInputs';
import { remoteTarget } from '../scheduler/targets/remoteTarget';
import type { RunTarget } from '../scheduler/targets/runTarget';
import { isRunnerError, RunnerError } from '../util/runnerError';
import type { NodeDefs } from '../workflow/types';
import { serverName } from './runnerSettings';
import { serverSettingsOf, type ServerSettings, type ServerSpec } from './serverSettings';

/** The pool's name for the embedded engine, in the jobs it ran too. */
export const EMBEDDED = 'embedded';

/** One place jobs can run, and the node definitions to check workflows against there. */
export interface Place {
  readonly name: string;
  readonly target: RunTarget;
  readonly defs: NodeDefs;
  /** How it joins the scheduler's pool. */
  readonly settings: ServerSettings;
  /** What it says about itself now (`/system_stats` of a server; the machine's memory for the engine). */
  stats(): Promise<SystemStats>;
}

/** What the pool is made of. */
export interface PoolSetup {
  /** `embedded`, server URLs, or servers with their settings and credentials (used, never stored). */
  readonly servers: readonly ServerSpec[];
  readonly out: string;
  readonly inputDir: string;
  /** The client id every server sees from this store's runners. */
  readonly clientId: string;
  /** Limits on each output downloaded from a server. @default downloadLimits.ts's defaults */
  readonly downloads?: DownloadLimits;
  /** Where the embedded engine writes the JavaScript stack of a node that threw. @default stderr */
  readonly engineLog?: EngineLog;
}

/**
 * The embedded engine. Its target gives every job's prompt the job's folder to write into, so the
 * engine's own output and temp folders (under `<out>/.engine`) are never written to, nor created.
 */
async function embeddedPlace(setup: PoolSetup, settings: ServerSettings): Promise<Place> {
  const root = resolve(setup.out, '.engine');
  const folders = {
    inputDir: resolve(setup.inputDir),
    outputDir: join(root, 'output'),
    tempDir: join(root, 'temp'),
  };
  const engine = createEngine({ ...folders, log: setup.engineLog });
  const target = embeddedTarget(engine);
  return { name: EMBEDDED, target, defs: await engine.definitions(), settings, stats: engineStats };
}

/** The engine runs on this machine's CPU and memory, as `comfy-runner serve` reports it. */
function engineStats(): Promise<SystemStats> {
  const ram = { ramTotal: totalmem(), ramFree: freemem() };
  const cpu = { name: 'cpu', type: 'cpu', vramTotal: ram.ramTotal, vramFree: ram.ramFree };
  return Promise.resolve({ version: 'embedded', ...ram, devices: [cpu] });
}

/** A ComfyUI server; local input files count as present since they are uploaded before each prompt. */
async function serverPlace(setup: PoolSetup, settings: ServerSettings): Promise<Place> {
  const client = new ComfyClient({
    baseUrl: settings.url,
    clientId: setup.clientId,
    headers: settings.headers,
    downloads: setup.downloads,
    ...settings.credentials,
  });
  const inputDir = resolve(setup.inputDir);
  try {
    const definitions = await client.nodeDefinitions();
    const target = remoteTarget({
      client,
      inputDir,
      definitions,
      name: settings.name ?? serverName(settings.url),
    });
    const defs = await withLocalInputs(definitions, inputDir);
    return { name: target.name, target, defs, settings, stats: () => client.systemStats() };
  } catch (e) {
    await client.dispose();
    throw e;
  }
}

/** The servers once each, by their pool name; the first spelling of a server wins (it may carry credentials). */
function distinct(servers: readonly ServerSettings[]): ServerSettings[] {
  const seen = new Map<string, ServerSettings>();
  for (const s of servers) {
    const name = s.name ?? serverName(s.url);
    if (!seen.has(name)) seen.set(name, s);
  }
  return [...seen.values()];
}

/**
 * Opens every place of the pool, in the order given. When any cannot be used, the others are closed
 * again and the error names each failing server and why: `server_unreachable`, or `bad_input` for a
 * malformed URL.
 */
export async function openPlaces(setup: PoolSetup): Promise<Place[]> {
  const servers = distinct(setup.servers.map(serverSettingsOf));
  const opened = await Promise.allSettled(
    servers.map((s) => (s.url === 'embedded' ? embeddedPlace(setup, s) : serverPlace(setup, s))),
  );
  const places = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.flatMap((o, i) =>
    o.status === 'rejected'
      ? [{ server: servers[i].name ?? serverName(servers[i].url), error: o.reason as unknown }]
      : [],
  );
  if (failed.length === 0) return places;
  await closePlaces(places);
  const bad = failed.find((f) => isRunnerError(f.error, 'bad_input'));
  if (bad) throw bad.error;
  const messageOf = (e: unknown) => (e as Error)?.message ?? String(e);
  const lines = failed.map((f) => `${f.server}: ${messageOf(f.error)}`);
  const details = failed.map((f) => ({
    server: f.server,
    reason: isRunnerError(f.error) ? f.error.reason : 'internal',
    message: messageOf(f.error),
  }));
  throw new RunnerError(
    'server_unreachable',
    `cannot use every server:\n  ${lines.join('\n  ')}`,
    {},
    {
      servers: details,
    },
  );
}

/** Disposes the places' targets (used when a run stops before its runner owns them). */
export async function closePlaces(places: readonly Place[]): Promise<void> {
  await Promise.all(places.map((p) => p.target.dispose().catch(() => undefined)));
}

/**
 * How each place joins the scheduler's pool: by default one slot, as ComfyUI runs one prompt at a
 * time, plus one prefetched prompt waiting in the server's own queue so that it starts the moment the
 * slot frees; with the definitions it reported, so the pool does not ask again.
 */
export function poolTargets(places: readonly Place[]): PoolTargetOptions[] {
  return places.map((p) => ({
    target: p.target,
    slots: p.settings.slots ?? 1,
    prefetch: p.settings.prefetch ?? true,
    tags: p.settings.tags,
    enabled: p.settings.enabled,
    autoRetry: p.settings.autoRetry,
    definitions: p.defs,
  }));
}
