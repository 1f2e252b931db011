/**
 * What the client itself costs per job, and how busy it keeps the servers; prints, never passes or fails.
 *
 * JOBS distinct prompts of WAIT_MS each (TestDelay: a timer, so four servers need no four cores) go to
 * SERVERS `comfy-runner serve` instances, each a child process, so that only the client's CPU is this
 * process's. Two clients run them, back to back, ROUNDS times:
 * - the baseline, written here: fetch and ws, one WebSocket per server, one prompt per free slot (no
 *   prefetch), `executing {node: null}` then `/history/<id>` then every output file through `/view`,
 *   kept in memory. No store, no records: the least a client can do.
 * - ours, as `comfy-runner run --server ... --sweep` runs: `openRunner` over a job store with the command
 *   line's options, the jobs planned from a workflow file, followed with the command line's output
 *   (lines per state change, as in a script or CI; discarded here), outputs downloaded into run folders,
 *   `run.json` written;
 * - ours on a terminal: the same, drawing the live block of every job (into a terminal that discards it);
 * - @saintno/comfyui-sdk's ComfyPool, when `CLIENT_COST_COMFYPOOL` names where it is installed (see
 *   comfyPoolClient.ts; it is not a dependency of ours).
 * For each: the client's CPU per job (user and system apart, from `process.cpuUsage` around the measured
 * batch and the client's close, warm-up excluded), the makespan against the ideal (JOBS x WAIT_MS / SERVERS), and from the
 * servers' own history the time a slot stood empty between two prompts. Ours is also given as a ratio of
 * the baseline's figures of the same round. Medians over the rounds; the machine is shared, so the
 * ratios within a round are what count.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { followToEnd } from '../src/cli/runCommand';
import type { CliIo } from '../src/cli/output';
import { cliRunnerOptions } from '../src/cli/runSession';
import { outputRefs, type UiOutputs } from '../src/core/protocol/outputRefs';
import { openRunner, type Runner } from '../src/core/run/runner';
import { writeFileAtomic } from '../src/core/util/atomicWrite';
import type { ApiPrompt } from '../src/core/workflow/types';
import { spawnTestServer, waitPrompt, type ChildTestServer } from '../test/fakes/serveTestServer';
import { comfyPoolDir, openComfyPool, type BenchClient } from './comfyPoolClient';
import { figuresOf, quantile, serverTimes, spread } from './serverTimes';

const SERVERS = 4;
const JOBS = Number(process.env.CLIENT_COST_JOBS ?? 200);
const WAIT_MS = 130;
const ROUNDS = Number(process.env.CLIENT_COST_ROUNDS ?? 3);
/**
 * The clients to run, by label, comma-separated (`CLIENT_COST_CLIENTS=ours` to profile ours alone with
 * `node --cpu-prof`); ratios need the baseline among them. @default every client
 */
const ONLY = process.env.CLIENT_COST_CLIENTS?.split(',');
/** Jobs run first and not measured: sockets open, code paths warm. */
const WARM_UP = 2 * SERVERS;

/** One client's figures for one measured batch. */
interface Measured {
  userMs: number;
  systemMs: number;
  makespanMs: number;
  /** Prompt ids of the measured batch, to find them in the servers' history. */
  promptIds: Set<string>;
}

/** A client under test: opened once per round, runs a warm-up batch, then the measured one. */
type Client = BenchClient;

/** Times a batch and measures this process's CPU while it runs. */
async function measureBatch(client: Client, values: number[]): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ids = await client.run(values);
  const makespanMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, makespanMs, promptIds: new Set(ids) };
}

/** The prompt of job value `v`: its own cache key, so a server never answers it from its cache. */
const promptOf = (v: number): ApiPrompt => waitPrompt('cost', WAIT_MS, v);

// ---- the baseline: fetch + ws, no store ----

/** One server's connection in the baseline: a socket that resolves each prompt's end by id. */
async function baselineConnection(url: string) {
  const clientId = randomUUID();
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=${clientId}`);
  await new Promise((done, fail) => ws.once('open', done).once('error', fail));
  const ends = new Map<string, () => void>();
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(data.toString()) as { type: string; data: { node?: unknown; prompt_id?: string } };
    if (m.type === 'executing' && m.data.node === null && m.data.prompt_id) ends.get(m.data.prompt_id)?.();
  });
  /** Submits one prompt, waits for its end, reads its history and downloads its outputs. */
  const runOne = async (prompt: ApiPrompt): Promise<string> => {
    const promptId = randomUUID();
    const ended = new Promise<void>((done) => ends.set(promptId, done));
    const body = JSON.stringify({ prompt, client_id: clientId, prompt_id: promptId });
    const posted = await fetch(`${url}/prompt`, { method: 'POST', body });
    if (!posted.ok) throw new Error(`POST /prompt: ${posted.status} ${await posted.text()}`);
    await posted.arrayBuffer();
    await ended;
    ends.delete(promptId);
    const history = (await (await fetch(`${url}/history/${promptId}`)).json()) as Record<
      string,
      { outputs: UiOutputs }
    >;
    for (const ref of outputRefs(history[promptId]?.outputs ?? {})) {
      const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      await (await fetch(`${url}/view?${query}`)).arrayBuffer();
    }
    return promptId;
  };
  return { runOne, close: () => ws.close() };
}

/** The baseline client over every server: each takes the next prompt as soon as its last one is done. */
async function openBaseline(urls: readonly string[]): Promise<Client> {
  const connections = await Promise.all(urls.map(baselineConnection));
  return {
    run: async (values) => {
      let next = 0;
      const ids: string[] = [];
      await Promise.all(
        connections.map(async (c) => {
          while (next < values.length) ids.push(await c.runOne(promptOf(values[next++]!)));
        }),
      );
      return ids;
    },
    close: async () => connections.forEach((c) => c.close()),
  };
}

// ---- ours: the command line's run over a job store ----

const quietIo: CliIo = { out: () => undefined, err: () => undefined, isTty: false };
const terminalIo: CliIo = { ...quietIo, isTty: true, status: () => undefined };

/** `comfy-runner run` as a library: a runner over a fresh store, jobs planned from a workflow file. */
async function openOurs(
  urls: readonly string[],
  root: string,
  io: CliIo,
): Promise<Client & { runner: Runner }> {
  const file = join(root, 'cost.json');
  writeFileSync(file, JSON.stringify(promptOf(0)));
  const runner = await openRunner({
    storeDir: join(root, '.store'),
    unfinished: 'refuse',
    servers: [...urls],
    out: join(root, 'out'),
    inputDir: join(root, 'input'),
    ...cliRunnerOptions(io),
  });
  return {
    runner,
    run: async (values) => {
      const sweeps = [{ node: '1', input: 'value', values }];
      const planned = await runner.plan({ workflows: [{ file }], sweeps, out: join(root, 'out') });
      let ids: string[] = [];
      const add = () => void (ids = runner.add(planned).map((j) => j.id));
      await followToEnd(runner, [], add, false, io);
      return ids.map((id) => runner.job(id)?.promptId ?? '');
    },
    close: () => runner.close(),
  };
}

// ---- measuring and printing ----

/**
 * What one atomic replace of a job-sized file costs this process in CPU on this disk, in ms: the
 * store's way of writing a job (a temporary file renamed over the old one). On ext4 a rename over a
 * file makes the kernel allocate the new file's blocks at once, which costs far more than writing a
 * new file, and varies with what else the disk is doing; the figure says how much of our cost is that.
 */
async function atomicReplaceMs(dir: string): Promise<number> {
  const text = `${JSON.stringify({ prompt: promptOf(1), padding: 'x'.repeat(1000) }, null, 2)}\n`;
  const paths = Array.from({ length: 100 }, (_, i) => join(dir, `job-${i}.json`));
  for (const p of paths) await writeFileAtomic(p, text);
  const cpu0 = process.cpuUsage();
  for (const p of paths) await writeFileAtomic(p, text);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / paths.length;
}

/** What one client did in one round. */
interface Round extends Measured {
  gapsMs: number[];
}

/**
 * Opens a client, warms it up, measures a batch and reads the servers' history about it. The client's
 * close counts towards its CPU: ours folds its store's journal then, writing the batch's job files.
 */
async function measureClient(
  open: () => Promise<Client>,
  servers: readonly ChildTestServer[],
  firstValue: number,
): Promise<Round> {
  const client = await open();
  let closed = false;
  try {
    const values = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i);
    await client.run(values(firstValue, WARM_UP));
    const measured = await measureBatch(client, values(firstValue + WARM_UP, JOBS));
    const perServer = await Promise.all(
      servers.map(async (s) => {
        const times = await serverTimes(s.url);
        return [...measured.promptIds].flatMap((id) => times.get(id) ?? []);
      }),
    );
    const seen = perServer.reduce((n, runs) => n + runs.length, 0);
    if (seen !== JOBS) console.log(`  WARNING: the servers ran ${seen} of the ${JOBS} prompts`);
    const cpu0 = process.cpuUsage();
    closed = true;
    await client.close();
    const closing = process.cpuUsage(cpu0);
    return {
      ...measured,
      userMs: measured.userMs + closing.user / 1000,
      systemMs: measured.systemMs + closing.system / 1000,
      gapsMs: figuresOf(perServer, WAIT_MS).gaps,
    };
  } finally {
    if (!closed) await client.close();
  }
}

const median = (values: readonly number[]) => quantile(values, 0.5);
const IDEAL_MS = (JOBS * WAIT_MS) / SERVERS;

const cpuOf = (r: Round) => r.userMs + r.systemMs;

function roundLine(label: string, r: Round, base?: Round): string {
  const perJob = (ms: number) => (ms / JOBS).toFixed(2);
  const against = base
    ? `; against the baseline: CPU ${(cpuOf(r) / cpuOf(base)).toFixed(2)} x, makespan ${(r.makespanMs / base.makespanMs).toFixed(3)} x`
    : '';
  return (
    `    ${label.padEnd(9)} CPU/job ${perJob(cpuOf(r))} ms (user ${perJob(r.userMs)}, ` +
    `system ${perJob(r.systemMs)}); makespan ${(r.makespanMs / IDEAL_MS).toFixed(3)} x ideal; ` +
    `slot empty ${spread(r.gapsMs)}${against}`
  );
}

function summary(label: string, rounds: readonly Round[], base?: readonly Round[]): string {
  const perJob = (f: (r: Round) => number) => (median(rounds.map(f)) / JOBS).toFixed(2);
  const ratio = (f: (r: Round) => number) => median(rounds.map((r, i) => f(r) / f(base![i]!)));
  const against = base
    ? `; against the baseline: CPU ${ratio(cpuOf).toFixed(2)} x, makespan ${ratio((r) => r.makespanMs).toFixed(3)} x`
    : '';
  return (
    `  ${label.padEnd(9)} CPU/job ${perJob(cpuOf)} ms (user ${perJob((r) => r.userMs)}, ` +
    `system ${perJob((r) => r.systemMs)}), makespan ${median(rounds.map((r) => r.makespanMs / IDEAL_MS)).toFixed(3)} x ideal, ` +
    `slot empty median ${median(rounds.flatMap((r) => r.gapsMs)).toFixed(1)} ms${against}`
  );
}

/** Runs the client-cost benchmark and prints its figures. */
export async function runClientCostBench(): Promise<void> {
  console.log(
    `client cost bench (${JOBS} distinct prompts of ${WAIT_MS} ms over ${SERVERS} serve child processes, ` +
      `${ROUNDS} rounds; ideal makespan ${IDEAL_MS} ms)`,
  );
  const servers = await Promise.all(Array.from({ length: SERVERS }, () => spawnTestServer()));
  const urls = servers.map((s) => s.url);
  const root = mkdtempSync(join(tmpdir(), 'client-cost-'));
  const clients = [
    { label: 'baseline', open: () => openBaseline(urls), rounds: [] as Round[] },
    { label: 'ours', open: (dir: string) => openOurs(urls, dir, quietIo), rounds: [] as Round[] },
    { label: 'ours tty', open: (dir: string) => openOurs(urls, dir, terminalIo), rounds: [] as Round[] },
  ];
  const poolDir = comfyPoolDir();
  if (poolDir)
    clients.push({ label: 'ComfyPool', open: () => openComfyPool(poolDir, urls, promptOf), rounds: [] });
  else
    console.log(
      '  (ComfyPool left out: set CLIENT_COST_COMFYPOOL to where @saintno/comfyui-sdk is installed)',
    );
  const base = clients.find((c) => c.label === 'baseline' && (!ONLY || ONLY.includes(c.label)));
  try {
    let value = 0;
    const nextValues = () => (value += WARM_UP + JOBS) - WARM_UP - JOBS;
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`  round ${round}:`);
      for (const c of clients) {
        if (ONLY && !ONLY.includes(c.label)) continue;
        const dir = mkdtempSync(join(root, `round-${round}-`));
        const r = await measureClient(() => c.open(dir), servers, nextValues());
        c.rounds.push(r);
        console.log(roundLine(c.label, r, c === base ? undefined : base?.rounds.at(-1)));
      }
    }
    console.log(`medians over ${ROUNDS} rounds (ratios: the median of each round's ratio to the baseline):`);
    for (const c of clients) {
      if (c.rounds.length > 0) console.log(summary(c.label, c.rounds, c === base ? undefined : base?.rounds));
    }
    console.log("  goals: CPU/job below ComfyPool's in the same run; makespan no worse than the baseline");
    const replaceMs = await atomicReplaceMs(mkdtempSync(join(root, 'disk-')));
    console.log(
      `  this disk, now: one atomic replace of a job file costs ${replaceMs.toFixed(2)} ms CPU ` +
        `(ours appends a job's record 4 times to the store's journal, then creates 4 files: the record ` +
        `when the journal is folded, the run folder, run.json, the output)`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(root, { recursive: true, force: true });
  }
}
