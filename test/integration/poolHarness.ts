/**
 * Shared set-up for the integration tests: a Scheduler over remote targets, one per test server, each
 * probed through `/system_stats` the way a pool watches real servers; job specs over the wait prompt;
 * and bounded waits, so a test that goes wrong fails with a message instead of hanging. Everything
 * started here is released by {@link closePools}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComfyClient, type ComfyClientOptions } from '../../src/core/comfy/client';
import type { NewJob } from '../../src/core/jobs/job';
import type { PoolTargetOptions, TargetProbe } from '../../src/core/scheduler/pool/poolTarget';
import { remoteTarget } from '../../src/core/scheduler/targets/remoteTarget';
import type { RunTarget } from '../../src/core/scheduler/targets/runTarget';
import { Scheduler } from '../../src/core/scheduler/scheduler';
import type { SchedulerEvent } from '../../src/core/scheduler/schedulerEvents';
import type { SchedulerOptions } from '../../src/core/scheduler/schedulerOptions';
import type { ApiPrompt } from '../../src/core/workflow/types';
import { waitPrompt } from '../fakes/serveTestServer';

/**
 * Client timings for loopback servers: a dead server is noticed within about a second instead of the
 * default fifteen, so a test of a killed server stays short.
 */
export const loopbackTimings: Partial<ComfyClientOptions> = {
  pollIntervalMs: 100,
  silenceMs: 1_000,
  lostAfterMs: 1_000,
  finishGraceMs: 500,
  requestTimeoutMs: 5_000,
  socket: { initialBackoffMs: 50, maxBackoffMs: 200, pingIntervalMs: 5_000 },
};

/** One server of a pool: its name in the pool, its URL, and how the pool uses it. */
export interface PoolMember extends Omit<PoolTargetOptions, 'target'> {
  name: string;
  url: string;
}

const schedulers: Scheduler[] = [];
const targets: RunTarget[] = [];
const folders: string[] = [];

/** A fresh folder, removed by {@link closePools}. */
export function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** Asks `/system_stats`, as a health check of a ComfyUI server does; refused or silent means down. */
export function systemStatsProbe(urls: ReadonlyMap<string, string>): TargetProbe {
  return async (target) => {
    const res = await fetch(`${urls.get(target.name)}/system_stats`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok ? { up: true } : { up: false, reason: `system_stats answered ${res.status}` };
  };
}

/** A remote target for one member, named after it. */
export function memberTarget(m: Pick<PoolMember, 'name' | 'url'>): RunTarget {
  const client = new ComfyClient({ baseUrl: m.url, ...loopbackTimings });
  const target = remoteTarget({ client, inputDir: tempFolder('pool-in-'), name: m.name });
  targets.push(target);
  return target;
}

/**
 * A scheduler over the members, probed every 100 ms, whose targets are all up with their node
 * definitions known when it resolves, so the first jobs can go anywhere.
 */
export async function startPool(
  members: readonly PoolMember[],
  options: SchedulerOptions = {},
): Promise<Scheduler> {
  const urls = new Map(members.map((m) => [m.name, m.url]));
  const scheduler = new Scheduler({
    targets: members.map(({ name, url, ...rest }) => ({ target: memberTarget({ name, url }), ...rest })),
    probe: systemStatsProbe(urls),
    healthIntervalMs: 100,
    ...options,
  });
  schedulers.push(scheduler);
  await scheduler.refreshHealth();
  return scheduler;
}

/** A job over the wait prompt (or another prompt), with its own output folder. */
export function waitJob(tag: string, ms: number, value: number, extra: Partial<NewJob> = {}): NewJob {
  return promptJob(waitPrompt(tag, ms, value), extra);
}

/** A job over any prompt, with its own output folder. */
export function promptJob(prompt: ApiPrompt, extra: Partial<NewJob> = {}): NewJob {
  return {
    workflow: { file: 'integration.json', sourceHash: 's', promptHash: 'p' },
    prompt,
    overrides: [],
    outDir: tempFolder('pool-job-'),
    ...extra,
  };
}

/** Rejects after `ms` with a message naming what was awaited; the timer never outlives the wait. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first event (from now on) that satisfies `when`. */
export function nextEvent<E extends SchedulerEvent>(
  scheduler: Scheduler,
  when: (e: SchedulerEvent) => e is E,
): Promise<E> {
  return new Promise((done) => {
    const off = scheduler.subscribe((e) => {
      if (!when(e)) return;
      off();
      done(e);
    });
  });
}

/**
 * Resolves once the server has nothing running or pending, asking `/queue` every 50 ms; rejects after
 * `timeoutMs`. The deadline is checked in the loop so that no polling outlives a failed test.
 */
export async function serverQueueEmpty(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const queue = (await (await fetch(`${url}/queue`)).json()) as Record<string, unknown[]>;
    if (queue.queue_running?.length === 0 && queue.queue_pending?.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${url} still had prompts after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Disposes every scheduler and target started since the last call, and removes their folders. */
export async function closePools(): Promise<void> {
  for (const s of schedulers.splice(0)) s.dispose();
  for (const t of targets.splice(0)) await t.dispose();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}
