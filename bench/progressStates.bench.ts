/**
 * What `progress_state` costs on big prompts; prints, never passes or fails. For 1,000- and 10,000-node
 * chains and wide graphs (benchGraph.ts), served by `comfy-runner serve`'s server in a child process
 * (progressStatesChild.ts) to one WebSocket client here that reads as fast as it can:
 * - the bytes of the prompt's messages the client received, per node, and how many were `progress_state`;
 * - the child's peak RSS while serving (also for a client that reads nothing until the run is over);
 * - the engine's time per node on the same prompt, alone and with every event fed to the progress reducer
 *   as jobs on the embedded target do (no server then).
 *
 * Each prompt runs with `progressStates` `every-change` (every snapshot, as ComfyUI sends them: the
 * baseline; skipped where it would send gigabytes) and `coalesced` (the default). Set
 * `PROGRESS_BASELINE` to another checkout (its dependencies installed) to also measure its engine and
 * server, for example the main branch before coalescing.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { benchGraph, type GraphShape } from './benchGraph';
import type { ChildReport, ChildRequest } from './progressStatesChild';

/** Above this many bytes an every-change run is skipped (about 190 bytes per listed node per snapshot). */
const MAX_BASELINE_BYTES = 2e9;

interface Served {
  bytes: number;
  progressStates: number;
  nodes: number;
}

interface Measured extends Served, ChildReport {}

/** Resolves once the server's history has the prompt: it has run to its end. */
async function historyHas(url: string, promptId: string): Promise<void> {
  for (;;) {
    const reply = await fetch(`${url}/history/${promptId}`);
    if (Object.hasOwn((await reply.json()) as object, promptId)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Submits the prompt as the client `bench` and counts what the socket receives until it ends. A
 * `stalled` client reads nothing until the prompt has run to its end, as a client on a slow link.
 */
async function clientRun(url: string, request: ChildRequest, stalled: boolean): Promise<Served> {
  const prompt = benchGraph(request.shape, request.size);
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=bench`);
  await new Promise((done, fail) => ws.once('open', done).once('error', fail));
  if (stalled) ws.pause();
  // Named here, so that messages arriving before the reply are counted too.
  const promptId = randomUUID();
  let bytes = 0;
  let progressStates = 0;
  const ended = new Promise<void>((done) => {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString()) as { type: string; data?: Record<string, unknown> };
      if (message.data?.prompt_id !== promptId) return;
      bytes += data.length;
      if (message.type === 'progress_state') progressStates++;
      if (message.type === 'executing' && message.data?.node === null) done();
    });
  });
  const reply = await fetch(`${url}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, client_id: 'bench', prompt_id: promptId }),
  });
  if (!reply.ok) throw new Error(`the prompt was refused: ${await reply.text()}`);
  if (stalled) {
    await historyHas(url, promptId);
    ws.resume();
  }
  await ended;
  ws.close();
  return { bytes, progressStates, nodes: Object.keys(prompt).length };
}

/** Starts the child, runs the prompt against it, then reads its report. */
async function measure(request: ChildRequest, stalled = false): Promise<Measured> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(__dirname, 'progressStatesChild.ts'), JSON.stringify(request)],
    { stdio: ['pipe', 'pipe', 'inherit'], cwd: resolve(__dirname, '..') },
  );
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const lines = createInterface({ input: child.stdout });
  let served: Served | undefined;
  for await (const line of lines) {
    if (line.startsWith('url ')) {
      served = await clientRun(line.slice(4), request, stalled);
      child.stdin.write('done\n');
    } else if (line.startsWith('{') && served) {
      child.stdin.end();
      await exited;
      return { ...served, ...(JSON.parse(line) as ChildReport) };
    }
  }
  throw new Error(`the benchmark's server exited (${String(await exited)}) without a report`);
}

function row(label: string, m: Measured): string {
  const kb = (m.bytes / m.nodes / 1024).toFixed(2);
  return (
    `  ${label.padEnd(13)} ${kb.padStart(8)} KB/node to one client (${m.progressStates} progress_state), ` +
    `peak RSS ${m.peakRssMb.toFixed(0)} MB, engine ${m.engineUs.toFixed(1)} us/node, ` +
    `embedded path ${m.embeddedUs.toFixed(1)} us/node`
  );
}

async function benchShape(shape: GraphShape, size: number): Promise<void> {
  const here = resolve(__dirname, '..');
  console.log(`${shape} of ${size.toLocaleString('en')} nodes`);
  const baseline = process.env.PROGRESS_BASELINE;
  if (baseline) {
    const m = await measure({ root: resolve(baseline), policy: 'coalesced', shape, size });
    console.log(row('baseline', m));
  }
  let before: Measured | undefined;
  // Each of 2n snapshots lists n/2 nodes on average.
  if (190 * size * size > MAX_BASELINE_BYTES) {
    console.log(`  every-change  skipped: it would send about ${((190 * size * size) / 1e9).toFixed(0)} GB`);
  } else {
    before = await measure({ root: here, policy: 'every-change', shape, size });
    console.log(row('every-change', before));
  }
  const after = await measure({ root: here, policy: 'coalesced', shape, size });
  console.log(row('coalesced', after));
  if (before)
    console.log(
      `  coalesced/every-change: bytes ${(after.bytes / before.bytes).toFixed(4)}x, ` +
        `peak RSS ${(after.peakRssMb / before.peakRssMb).toFixed(2)}x, ` +
        `engine ${(after.engineUs / before.engineUs).toFixed(2)}x, ` +
        `embedded path ${(after.embeddedUs / before.embeddedUs).toFixed(2)}x`,
    );
}

/** The 10,000-node chain to a client that reads nothing until the run is over: what the server keeps. */
async function benchStalled(): Promise<void> {
  const request = { shape: 'chain', size: 10_000 } as const;
  console.log('chain of 10,000 nodes to a client that reads only once the run is over');
  const baseline = process.env.PROGRESS_BASELINE;
  if (baseline) {
    const m = await measure({ ...request, root: resolve(baseline), policy: 'coalesced' }, true);
    console.log(row('baseline', m));
  }
  const here = resolve(__dirname, '..');
  console.log(row('coalesced', await measure({ ...request, root: here, policy: 'coalesced' }, true)));
}

/** Prints every figure. */
export async function runProgressStatesBench(): Promise<void> {
  for (const shape of ['chain', 'wide'] as const)
    for (const size of [1000, 10_000]) await benchShape(shape, size);
  await benchStalled();
}
