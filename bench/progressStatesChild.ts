/**
 * The server side of progressStates.bench.ts, in a process of its own so that its peak RSS is the
 * server's alone (run as `node --import tsx bench/progressStatesChild.ts <request JSON>`). Loads the engine and server from the source tree `root` (this one, or another checkout
 * to compare with), serves the test nodes, prints `url <url>` and waits; on `done` it times the engine on
 * the same prompt, bare and through the protocol's reducer as the embedded target's scheduler applies
 * it, prints one line of JSON and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type * as ExecutorModule from '../src/core/engine/executor';
import type * as RegistryModule from '../src/core/engine/registry';
import type { NodeImpl } from '../src/core/engine/types';
import type * as ReducerModule from '../src/core/protocol/promptProgress';
import type * as ServerModule from '../src/core/server/comfyServer';
import type * as TestNodesModule from '../test/fakes/testNodes';
import { benchGraph, type GraphShape } from './benchGraph';

/** What the parent asks for, as the child's one argument (JSON). */
export interface ChildRequest {
  /** The source tree whose engine and server run. */
  root: string;
  /** The engine's and server's `progressStates` (a tree without the option ignores it). */
  policy: 'coalesced' | 'every-change';
  /** The prompt, built on both sides with {@link benchGraph}. */
  shape: GraphShape;
  size: number;
}

/** What the child prints at the end. */
export interface ChildReport {
  /** Median time per node of the engine run alone, computed, in microseconds. */
  engineUs: number;
  /** The same with every event fed to the progress reducer, as jobs on the embedded target do. */
  embeddedUs: number;
  /** Peak RSS of the process up to the end of the served run, in MB. */
  peakRssMb: number;
}

/** A node class the test registry lacks: an output node that takes any input and does nothing. */
function sinkNode(counter: NodeImpl): NodeImpl {
  const optional = counter.def.input.optional ?? {};
  const def = {
    ...counter.def,
    name: 'BenchSink',
    display_name: 'BenchSink',
    input: { required: {}, optional },
    input_order: { required: [], optional: Object.keys(optional) },
  };
  return { classType: 'BenchSink', def, run: () => ({ outputs: [null] }) };
}

async function load<T>(root: string, path: string): Promise<T> {
  return (await import(pathToFileURL(join(root, path)).href)) as T;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as ChildRequest;
  const { root, policy } = request;
  const prompt = benchGraph(request.shape, request.size);
  const { createEngine } = await load<typeof ExecutorModule>(root, 'src/core/engine/executor.ts');
  const { createRegistry } = await load<typeof RegistryModule>(root, 'src/core/engine/registry.ts');
  const { startComfyServer } = await load<typeof ServerModule>(root, 'src/core/server/comfyServer.ts');
  const reducer = await load<typeof ReducerModule>(root, 'src/core/protocol/promptProgress.ts');
  const { testNodes } = await load<typeof TestNodesModule>(root, 'test/fakes/testNodes.ts');
  const nodes = createRegistry(testNodes, [sinkNode(testNodes.find((n) => n.classType === 'TestCounter')!)]);
  const dir = mkdtempSync(join(tmpdir(), 'progress-bench-'));
  const dirs = { inputDir: join(dir, 'in'), outputDir: join(dir, 'out'), tempDir: join(dir, 'temp') };
  const engine = createEngine({ ...dirs, nodes, workers: false, progressStates: policy });
  const server = await startComfyServer({ ...dirs, port: 0, engine, progressStates: policy });
  console.log(`url ${server.url}`);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'done') break;
  // Taken before the engine is timed alone, so it is the peak of serving the prompt.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  await server.close();
  const count = Object.keys(prompt).length;
  const time = async (onEvent?: (e: { type: string }) => void): Promise<number> => {
    const times: number[] = [];
    // The first runs warm the JIT up and are not counted; small prompts run more often, so that each
    // figure covers about 100,000 nodes.
    const runs = 2 + Math.max(5, Math.ceil(100_000 / count));
    for (let run = 0; run < runs; run++) {
      engine.clearCache();
      const start = performance.now();
      await engine.execute(prompt, { promptId: `t${run}`, onEvent });
      if (run >= 2) times.push(performance.now() - start);
    }
    return (median(times) * 1000) / count;
  };
  const engineUs = await time(() => undefined);
  const progress = reducer.initialProgress(prompt);
  const embeddedUs = await time((e) => {
    if (e.type !== 'preview')
      reducer.applyProgressMessage(progress, e as Parameters<typeof reducer.applyProgressMessage>[1]);
  });
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ engineUs, embeddedUs, peakRssMb } satisfies ChildReport));
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
