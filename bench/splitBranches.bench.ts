/**
 * Split runs against whole runs; prints, never passes or fails.
 *
 * A workflow of k heavy independent branches (each TestSource -> CHAIN x TestDelay of STEP_MS ->
 * TestCounter) runs once whole on one server and once split across k servers (`split: { servers: k }`),
 * through the runner as a front end uses it, from submit to idle (every record written, the parts'
 * outputs merged). TestDelay waits on a timer, a fair model of GPU time on a remote server, so four
 * servers do not need four cores. Each server is an in-process `serve` over the test nodes that runs
 * one prompt at a time and one node at a time, as ComfyUI does: the embedded engine would otherwise
 * run a whole run's independent branches side by side on one server (up to a node per core), which
 * no GPU server does.
 *
 * Then a workflow whose branches have unequal depths, split across one server per branch, beside what a
 * level-by-level scheduler would take: one that dispatches every node of a dependency level (its longest
 * path from a source) and waits for the whole level before the next. That figure is computed from the
 * same split run: each level takes its slowest node's measured time (the parts' `times.nodes`), plus one
 * dispatch per level, the measured round trip of a one-node prompt through the same runner.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../src/core/engine/executor';
import type { Job } from '../src/core/jobs/job';
import type { PlanRequest } from '../src/core/run/planJobs';
import { openRunner, type Runner } from '../src/core/run/runner';
import { startComfyServer } from '../src/core/server/comfyServer';
import { linksOf, topologicalOrder } from '../src/core/workflow/graph';
import type { ApiPrompt } from '../src/core/workflow/types';
import { testServerNodes } from '../test/fakes/serveTestServer';
import { apiNode } from '../test/fakes/testNodes';

const KS = [1, 2, 4];
const CHAIN = 3;
const STEP_MS = 300;
const REPS = 3;

/** One branch: a tag, its number of TestDelay nodes in a chain, and each one's wait. */
interface BranchSpec {
  tag: string;
  delays: number;
  ms: number;
}

const UNEQUAL: BranchSpec[] = [
  { tag: 'a', delays: 4, ms: 150 },
  { tag: 'b', delays: 1, ms: 600 },
  { tag: 'c', delays: 2, ms: 300 },
];

/** A server as ComfyUI runs prompts: one at a time, one node at a time. */
interface Server {
  url: string;
  close(): Promise<void>;
}

/** Every prompt's sources get a value of their own, so no server answers a repeat from its cache. */
let nextValue = 1;

async function startServer(root: string, name: string): Promise<Server> {
  const dirs = {
    inputDir: join(root, name, 'in'),
    outputDir: join(root, name, 'out'),
    tempDir: join(root, name, 'tmp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const engine = createEngine({ ...dirs, nodes: testServerNodes(), workers: false, maxConcurrency: 1 });
  const server = await startComfyServer({ ...dirs, host: '127.0.0.1', port: 0, engine });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await engine.dispose();
    },
  };
}

/** Branches with node ids 10i+1 (source), then the delays, then the counter. */
function branchesPrompt(branches: readonly BranchSpec[]): ApiPrompt {
  const prompt: ApiPrompt = {};
  branches.forEach(({ tag, delays, ms }, i) => {
    const first = 10 * i + 1;
    prompt[String(first)] = apiNode('TestSource', { value: nextValue++ });
    for (let d = 1; d <= delays; d++)
      prompt[String(first + d)] = apiNode('TestDelay', { ms, input: [String(first + d - 1), 0] });
    prompt[String(first + delays + 1)] = apiNode('TestCounter', { tag, input: [String(first + delays), 0] });
  });
  return prompt;
}

function heavyBranches(k: number): BranchSpec[] {
  return Array.from({ length: k }, (_, i) => ({ tag: `h${i + 1}`, delays: CHAIN, ms: STEP_MS }));
}

async function openOver(root: string, label: string, urls: readonly string[]): Promise<Runner> {
  const dir = mkdtempSync(join(root, `${label}-`));
  return openRunner({
    storeDir: join(dir, '.store'),
    unfinished: 'refuse',
    servers: [...urls],
    out: dir,
    inputDir: dir,
    store: { pollMs: 50, heartbeatMs: 0 },
  });
}

/** Submits a prompt and waits for the runner to be idle; the jobs as they ended and the wall time. */
async function timedRun(
  runner: Runner,
  prompt: ApiPrompt,
  split: PlanRequest['split'],
): Promise<{ ms: number; jobs: Job[] }> {
  const t0 = performance.now();
  const planned = await runner.submit({
    workflows: [{ file: 'branches.json', content: JSON.stringify(prompt) }],
    split,
  });
  await runner.idle();
  const ms = performance.now() - t0;
  const jobs = planned.map((j) => runner.job(j.id)!);
  const bad = jobs.filter((j) => j.state !== 'succeeded');
  if (bad.length > 0)
    throw new Error(`a bench run did not succeed: ${JSON.stringify(bad.map((j) => j.error))}`);
  return { ms, jobs };
}

/** A split run that must have made `parts` parts, else its figure would mean nothing. */
async function splitRun(
  runner: Runner,
  prompt: ApiPrompt,
  parts: number,
): Promise<{ ms: number; jobs: Job[] }> {
  const run = await timedRun(runner, prompt, { servers: parts });
  if (run.jobs.length !== parts)
    throw new Error(
      `the split run made ${run.jobs.length} part(s), not ${parts}: the servers were not all free`,
    );
  return run;
}

/** The round trip of a one-node prompt (a lone TestCounter, a tag of its own each time) through a runner. */
async function roundTrip(runner: Runner): Promise<number> {
  const prompt = { '1': apiNode('TestCounter', { tag: `rt${nextValue++}` }) };
  return (await timedRun(runner, prompt, false)).ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const list = (values: readonly number[]) => values.map((v) => (v / 1000).toFixed(2)).join(', ');

/** k branches whole on one server and split across k servers, REPS times each, alternating. */
async function measureK(root: string, servers: readonly Server[], k: number): Promise<void> {
  const whole = await openOver(root, `whole-${k}`, [servers[0].url]);
  const split = await openOver(
    root,
    `split-${k}`,
    servers.slice(0, k).map((v) => v.url),
  );
  try {
    await roundTrip(whole);
    await roundTrip(split);
    const wholeMs: number[] = [];
    const splitMs: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      wholeMs.push((await timedRun(whole, branchesPrompt(heavyBranches(k)), false)).ms);
      splitMs.push((await splitRun(split, branchesPrompt(heavyBranches(k)), k)).ms);
    }
    const [w, p] = [median(wholeMs), median(splitMs)];
    console.log(
      `  k=${k}: whole on 1 server ${s(w)}, split across ${k} server(s) ${s(p)} (${k} part(s)): ` +
        `speedup ${(w / p).toFixed(2)} (goal: at least ${(0.9 * k).toFixed(2)} = 0.9 x ${k})`,
    );
    console.log(`        runs (s): whole ${list(wholeMs)}; split ${list(splitMs)}`);
  } finally {
    await whole.close();
    await split.close();
  }
}

/** Each node's dependency level: 0 for a node without linked inputs, else one more than its deepest input. */
function levelsOf(prompt: ApiPrompt): Map<string, number> {
  const level = new Map<string, number>();
  for (const id of topologicalOrder(prompt)) {
    const inputs = linksOf(prompt[id]).map(([, link]) => level.get(link[0]) ?? 0);
    level.set(id, inputs.length === 0 ? 0 : 1 + Math.max(...inputs));
  }
  return level;
}

/** The slowest measured node of each level, over every part of a run. */
function levelTimes(prompt: ApiPrompt, parts: readonly Job[]): number[] {
  const levels = levelsOf(prompt);
  const slowest: number[] = [];
  for (const part of parts) {
    for (const [id, t] of Object.entries(part.times.nodes)) {
      const level = levels.get(id);
      if (level === undefined || t.finished === undefined) continue;
      slowest[level] = Math.max(slowest[level] ?? 0, t.finished - t.started);
    }
  }
  return Array.from({ length: Math.max(...levels.values()) + 1 }, (_, i) => slowest[i] ?? 0);
}

interface UnequalFigures {
  ours: number[];
  levels: number[][];
  trips: number[];
  whole: number[];
}

async function measureUnequalRuns(root: string, servers: readonly Server[]): Promise<UnequalFigures> {
  const n = UNEQUAL.length;
  const split = await openOver(
    root,
    'unequal-split',
    servers.slice(0, n).map((v) => v.url),
  );
  const whole = await openOver(root, 'unequal-whole', [servers[0].url]);
  const figures: UnequalFigures = { ours: [], levels: [], trips: [], whole: [] };
  try {
    await roundTrip(split);
    await roundTrip(whole);
    for (let rep = 0; rep < REPS; rep++) {
      const prompt = branchesPrompt(UNEQUAL);
      const run = await splitRun(split, prompt, n);
      figures.ours.push(run.ms);
      figures.levels.push(levelTimes(prompt, run.jobs));
      figures.trips.push(await roundTrip(split));
      figures.whole.push((await timedRun(whole, branchesPrompt(UNEQUAL), false)).ms);
    }
    return figures;
  } finally {
    await split.close();
    await whole.close();
  }
}

/** The unequal-depth workflow: ours measured, a level-by-level scheduler computed, the ideal. */
async function measureUnequal(root: string, servers: readonly Server[]): Promise<void> {
  const shape = UNEQUAL.map((b) => `${b.tag}: ${b.delays} x ${b.ms} ms`).join(', ');
  console.log(`unequal depths (${shape}) split across ${UNEQUAL.length} servers, median of ${REPS}:`);
  const f = await measureUnequalRuns(root, servers);
  const levelled = f.levels.map((lv, i) => lv.reduce((a, b) => a + b, 0) + lv.length * f.trips[i]);
  // REPS is odd, so the median is one of the runs: its levels are the ones shown.
  const mid = Math.max(0, levelled.indexOf(median(levelled)));
  const ours = median(f.ours);
  const ideal = Math.max(...UNEQUAL.map((b) => b.delays * b.ms));
  const longest = UNEQUAL.find((b) => b.delays * b.ms === ideal)!;
  console.log(`  ours (split, measured submit to idle): ${s(ours)}   runs (s): ${list(f.ours)}`);
  console.log(
    `  level-by-level scheduler (computed): ${s(median(levelled))}   runs (s): ${list(levelled)}; ` +
      `ours is ${(median(levelled) / ours).toFixed(2)} x faster`,
  );
  const lv = f.levels[mid];
  console.log(
    `    = sum over the ${lv.length} dependency levels of the slowest node's measured time in the split run ` +
      `(${lv.map((t) => t.toFixed(0)).join(' + ')} ms) + ${lv.length} x ${f.trips[mid].toFixed(0)} ms dispatch ` +
      `(a one-node prompt's measured round trip through the same runner, one per level)`,
  );
  console.log(
    `  ideal (longest branch, ${longest.tag}: ${longest.delays} x ${longest.ms} ms): ${s(ideal)}; ` +
      `ours / ideal ${(ours / ideal).toFixed(2)}`,
  );
  console.log(`  for reference, whole on 1 server: ${s(median(f.whole))}   runs (s): ${list(f.whole)}`);
}

/** Runs the split-branches benchmark and prints its figures. */
export async function runSplitBranchesBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'split-bench-'));
  const servers: Server[] = [];
  try {
    for (let i = 0; i < Math.max(...KS, UNEQUAL.length); i++)
      servers.push(await startServer(root, `serve-${i + 1}`));
    console.log(
      `split-branches bench (k branches of TestSource -> ${CHAIN} x TestDelay ${STEP_MS} ms -> TestCounter; ` +
        `in-process serve instances, one prompt and one node at a time as ComfyUI; 1 slot each; median of ${REPS})`,
    );
    for (const k of KS) await measureK(root, servers, k);
    await measureUnequal(root, servers);
  } finally {
    for (const v of servers) await v.close();
    rmSync(root, { recursive: true, force: true });
  }
}
