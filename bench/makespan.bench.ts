/**
 * The makespan of fixed-length jobs over several serve instances; prints, never passes or fails.
 *
 * JOBS jobs, each a TestDelay of WAIT_MS (a test-only node that waits on a timer, so four servers do
 * not need four cores), go through the Scheduler and remote targets to SERVERS in-process serve
 * instances, with the client's default timings and run records written, as a real run would; once
 * with one slot per server, once with a prefetched job besides. The ideal is JOBS x WAIT_MS / SERVERS:
 * every slot busy waiting all the time. What is above it, per job, is printed with where it goes, from
 * the servers' own history timestamps: the time a server's slot stood empty between two prompts
 * (submitting, following the events, reading the history, downloading the output, the scheduler's
 * turn-around), and each prompt's execution beyond its wait (the engine's cost, the timer's lateness).
 *
 * The servers share this process's event loop with the scheduler, and equal-length jobs end on all
 * four at once, so their turn-arounds queue behind one another: a pessimistic setting for the gap.
 * Last, the servers' own floor: every prompt queued at once with no client doing anything, which no
 * client can beat (the engine's and server's cost per prompt is in it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ComfyClient } from '../src/core/comfy/client';
import type { Job, NewJob } from '../src/core/jobs/job';
import { remoteTarget } from '../src/core/scheduler/targets/remoteTarget';
import type { RunTarget } from '../src/core/scheduler/targets/runTarget';
import { Scheduler } from '../src/core/scheduler/scheduler';
import { startTestServer, waitPrompt, type TestServer } from '../test/fakes/serveTestServer';
import { figuresOf, serverTimes, spread, type PromptTimes } from './serverTimes';

const SERVERS = 4;
const JOBS = 200;
const WAIT_MS = 100;
/** Jobs run first and not measured: sockets open, code paths warm. */
const WARM_UP = 2 * SERVERS;

/** One way of giving the servers jobs. */
interface Setup {
  label: string;
  /** Submit one job ahead, so a server starts the next prompt without waiting for our round trip. */
  prefetch: boolean;
}

const setups: Setup[] = [
  { label: '1 slot each', prefetch: false },
  { label: '1 slot + 1 prefetched each', prefetch: true },
];

interface Rig {
  servers: TestServer[];
  targets: RunTarget[];
  scheduler: Scheduler;
  root: string;
}

async function startRig(setup: Setup): Promise<Rig> {
  const root = mkdtempSync(join(tmpdir(), 'makespan-'));
  const servers: TestServer[] = [];
  for (let i = 0; i < SERVERS; i++) servers.push(await startTestServer());
  const targets = servers.map((s, i) =>
    remoteTarget({ client: new ComfyClient({ baseUrl: s.url }), inputDir: root, name: `serve-${i + 1}` }),
  );
  const scheduler = new Scheduler({
    targets: targets.map((target) => ({ target, slots: 1, prefetch: setup.prefetch })),
  });
  await scheduler.refreshHealth();
  return { servers, targets, scheduler, root };
}

async function stopRig(rig: Rig): Promise<void> {
  rig.scheduler.dispose();
  for (const t of rig.targets) await t.dispose();
  for (const s of rig.servers) await s.close();
  rmSync(rig.root, { recursive: true, force: true });
}

function jobSpec(root: string, i: number): NewJob {
  return {
    workflow: { file: 'makespan.json', sourceHash: 's', promptHash: 'p' },
    prompt: waitPrompt('makespan', WAIT_MS, i),
    overrides: [],
    outDir: join(root, `job-${i}`),
  };
}

/** A measured batch: its jobs, the time from the first add to idle, and both ends by the wall clock. */
interface Batch {
  jobs: Job[];
  ms: number;
  addedAt: number;
  idleAt: number;
}

/** Runs `count` jobs numbered from `first` and returns them with the time from the first add to idle. */
async function runBatch(rig: Rig, first: number, count: number): Promise<Batch> {
  const addedAt = Date.now();
  const t0 = performance.now();
  const ids = Array.from({ length: count }, (_, i) => rig.scheduler.add(jobSpec(rig.root, first + i)).id);
  await rig.scheduler.onIdle();
  const ms = performance.now() - t0;
  return { jobs: ids.map((id) => rig.scheduler.job(id)!), ms, addedAt, idleAt: Date.now() };
}

/** The measured jobs' prompts as each server ran them. */
async function promptTimes(rig: Rig, jobs: Job[]): Promise<PromptTimes[][]> {
  return Promise.all(
    rig.servers.map(async (server, i) => {
      const times = await serverTimes(server.url);
      return jobs
        .filter((j) => j.server === `serve-${i + 1}` && j.promptId !== undefined)
        .map((j) => times.get(j.promptId!))
        .filter((t) => t !== undefined);
    }),
  );
}

/** The client's time at both ends of a batch: first add to first prompt start, last end to idle. */
function endsLine(startAt: number, times: readonly PromptTimes[][], endAt?: number): string {
  const all = times.flat();
  const first = Math.min(...all.map((t) => t.start)) - startAt;
  const idle =
    endAt === undefined ? '' : `, last prompt's end to idle ${endAt - Math.max(...all.map((t) => t.end))} ms`;
  return `    at the ends: first add to first prompt start ${first} ms${idle}`;
}

function report(setup: Setup, batch: Batch, times: PromptTimes[][]): void {
  const { jobs, ms } = batch;
  const server = figuresOf(times, WAIT_MS);
  const ideal = (JOBS * WAIT_MS) / SERVERS;
  const perServer = JOBS / SERVERS;
  const failed = jobs.filter((j) => j.state !== 'succeeded').length;
  console.log(`${setup.label}:`);
  console.log(
    `  makespan ${ms.toFixed(0)} ms, ideal ${ideal} ms (${JOBS} x ${WAIT_MS} ms / ${SERVERS}): ` +
      `ratio ${(ms / ideal).toFixed(3)} (goal: at most 1.030)`,
  );
  console.log(
    `  overhead per job: ${((ms - ideal) / perServer).toFixed(1)} ms ((makespan - ideal) / ${perServer} jobs per server); where it goes:`,
  );
  console.log(`    server slot empty between two prompts (dispatch): ${spread(server.gaps)}`);
  console.log(
    `    prompt on the server beyond its ${WAIT_MS} ms wait (engine, timer): ${spread(server.beyondWait)}`,
  );
  console.log(endsLine(batch.addedAt, times, batch.idleAt));
  if (failed > 0)
    console.log(`  WARNING: ${failed} of ${JOBS} jobs did not succeed; the figures above are off`);
}

/** Starts the servers, warms up, runs the measured batch and prints its figures. */
async function measure(setup: Setup): Promise<void> {
  const rig = await startRig(setup);
  try {
    await runBatch(rig, 0, WARM_UP);
    const batch = await runBatch(rig, WARM_UP, JOBS);
    report(setup, batch, await promptTimes(rig, batch.jobs));
  } finally {
    await stopRig(rig);
  }
}

/** Posts a prompt to a server as a client that does nothing with it; resolves with its prompt id. */
async function postOnly(url: string, value: number): Promise<string> {
  const promptId = randomUUID();
  const prompt = waitPrompt('floor', WAIT_MS, value);
  const body = JSON.stringify({ prompt, client_id: 'floor', prompt_id: promptId });
  await (await fetch(`${url}/prompt`, { method: 'POST', body })).arrayBuffer();
  return promptId;
}

/** Resolves once every prompt of `ids` has ended on the server; with when the last one ended. */
async function lastEnd(url: string, ids: readonly string[]): Promise<number> {
  for (;;) {
    const times = await serverTimes(url);
    if (ids.every((id) => times.has(id))) return Math.max(...ids.map((id) => times.get(id)!.end));
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * The servers' own floor: every prompt queued on its server at once (round robin), nothing done with
 * the results, the makespan from the first POST to the last prompt's end by the servers' clocks. No
 * client can do better than this; what a setup has above it is the client's.
 */
async function measureFloor(): Promise<{ ratio: number; times: PromptTimes[][]; startAt: number }> {
  const servers: TestServer[] = [];
  for (let i = 0; i < SERVERS; i++) servers.push(await startTestServer());
  try {
    const warm = servers.map((s, i) => postOnly(s.url, -1 - i));
    await Promise.all(servers.map(async (s, i) => lastEnd(s.url, [await warm[i]!])));
    const t0 = Date.now();
    const ids = await Promise.all(
      servers.map(async (s, k) => {
        const mine: string[] = [];
        for (let i = k; i < JOBS; i += SERVERS) mine.push(await postOnly(s.url, i));
        return mine;
      }),
    );
    const ends = await Promise.all(servers.map((s, k) => lastEnd(s.url, ids[k]!)));
    const times = await Promise.all(
      servers.map(async (s, k) => {
        const all = await serverTimes(s.url);
        return ids[k]!.map((id) => all.get(id)!);
      }),
    );
    return { ratio: (Math.max(...ends) - t0) / ((JOBS * WAIT_MS) / SERVERS), times, startAt: t0 };
  } finally {
    for (const s of servers) await s.close();
  }
}

/** Runs the makespan benchmark and prints its figures. */
export async function runMakespanBench(): Promise<void> {
  console.log(`makespan bench (${JOBS} jobs of ${WAIT_MS} ms over ${SERVERS} in-process serve instances)`);
  for (const setup of setups) await measure(setup);
  const floor = await measureFloor();
  const figures = figuresOf(floor.times, WAIT_MS);
  console.log(
    `every prompt queued on its server at once, no client at all (the servers' own floor): ratio ${floor.ratio.toFixed(3)}`,
  );
  console.log(`    server slot empty between two prompts: ${spread(figures.gaps)}`);
  console.log(`    prompt on the server beyond its ${WAIT_MS} ms wait: ${spread(figures.beyondWait)}`);
  console.log(endsLine(floor.startAt, floor.times));
}
