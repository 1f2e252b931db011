/**
 * The pool a command-line run dispatches to: the embedded engine and ComfyUI servers, each opened and
 * asked for its node definitions before any job is queued, so that a server that cannot be reached is
 * reported at once (exit code 3, with the reason for each server) instead of leaving jobs waiting.
 */
import { join, resolve } from 'node:path';
import { ComfyClient } from '../core/comfy/client';
import { createEngine } from '../core/engine/executor';
import { isRunnerError, RunnerError } from '../core/util/runnerError';
import { embeddedTarget } from '../core/scheduler/targets/embeddedTarget';
import type { PoolTargetOptions } from '../core/scheduler/pool/poolTarget';
import { withLocalInputs } from '../core/scheduler/targets/remoteInputs';
import { fetchNodeDefinitions, remoteTarget } from '../core/scheduler/targets/remoteTarget';
import type { RunTarget } from '../core/scheduler/targets/runTarget';
import type { NodeDefs } from '../core/workflow/types';
import { serverName } from './runnerSettings';

/** One place jobs can run, and the node definitions to check workflows against there. */
export interface Place {
  readonly name: string;
  readonly target: RunTarget;
  readonly defs: NodeDefs;
}

/** What the pool is made of. */
export interface PoolSetup {
  /** `embedded` and server URLs (credentials in a URL are used, never stored). */
  readonly servers: readonly string[];
  readonly out: string;
  readonly inputDir: string;
  /** The client id every server sees from this store's runners. */
  readonly clientId: string;
}

/**
 * The embedded engine. Its target gives every job's prompt the job's folder to write into, so the
 * engine's own output and temp folders (under `<out>/.engine`) are never written to, nor created.
 */
async function embeddedPlace(setup: PoolSetup): Promise<Place> {
  const root = resolve(setup.out, '.engine');
  const folders = {
    inputDir: resolve(setup.inputDir),
    outputDir: join(root, 'output'),
    tempDir: join(root, 'temp'),
  };
  const engine = createEngine(folders);
  return { name: 'embedded', target: embeddedTarget(engine), defs: await engine.definitions() };
}

/** A ComfyUI server; local input files count as present since they are uploaded before each prompt. */
async function serverPlace(baseUrl: string, setup: PoolSetup): Promise<Place> {
  const client = new ComfyClient({ baseUrl, clientId: setup.clientId });
  const inputDir = resolve(setup.inputDir);
  try {
    const definitions = await fetchNodeDefinitions(client);
    const target = remoteTarget({ client, inputDir, definitions });
    return { name: target.name, target, defs: await withLocalInputs(definitions, inputDir) };
  } catch (e) {
    await client.dispose();
    throw e;
  }
}

/** The servers once each, by their pool name; the first spelling of a server wins (it may carry credentials). */
function distinct(servers: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const s of servers) if (!seen.has(serverName(s))) seen.set(serverName(s), s);
  return [...seen.values()];
}

/**
 * Opens every place of the pool, in the order given. When any cannot be used, the others are closed
 * again and the error names each failing server and why: `server_unreachable` (exit code 3), or
 * `bad_input` for a malformed URL.
 */
export async function openPlaces(setup: PoolSetup): Promise<Place[]> {
  const servers = distinct(setup.servers);
  const opened = await Promise.allSettled(
    servers.map((s) => (s === 'embedded' ? embeddedPlace(setup) : serverPlace(s, setup))),
  );
  const places = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.flatMap((o, i) =>
    o.status === 'rejected' ? [{ server: serverName(servers[i]), error: o.reason as unknown }] : [],
  );
  if (failed.length === 0) return places;
  await closePlaces(places);
  const bad = failed.find((f) => isRunnerError(f.error, 'bad_input'));
  if (bad) throw bad.error;
  const lines = failed.map((f) => `${f.server}: ${(f.error as Error)?.message ?? String(f.error)}`);
  const details = failed.map((f) => ({
    server: f.server,
    reason: isRunnerError(f.error) ? f.error.reason : 'internal',
    message: (f.error as Error)?.message ?? String(f.error),
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
 * How each place joins the scheduler's pool: one slot, as ComfyUI runs one prompt at a time, plus one
 * prefetched prompt waiting in the server's own queue so that it starts the moment the slot frees.
 */
export function poolTargets(places: readonly Place[]): PoolTargetOptions[] {
  return places.map((p) => ({ target: p.target, slots: 1, prefetch: true }));
}
