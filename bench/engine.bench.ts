/**
 * Figures for the embedded engine; prints, never passes or fails. Four measurements:
 * 1. the speedup of four independent heavy branches run at the default concurrency over the same nodes
 *    run one at a time (maxConcurrency 1), on worker threads;
 * 2. the executor's overhead per node on a 10,000-node chain of trivial nodes (validation, cache keys,
 *    scheduling and events included), computed and cached;
 * 3. the time per megapixel of heavy built-in nodes, run directly on a synthetic image; classes the
 *    registry lacks are listed as missing. Extend {@link heavyNodeCases} as node families land;
 * 4. jobs on the embedded run target, output files and the bytes they leave on disk included
 *    (embeddedJobs.bench.ts).
 */
import { availableParallelism } from 'node:os';
import { createEngine, type Engine } from '../src/core/engine/executor';
import { builtinNodes } from '../src/core/engine/registry';
import { createImage } from '../src/core/engine/tensor';
import type { NodeContext } from '../src/core/engine/types';
import type { ApiPrompt } from '../src/core/workflow/types';
import { validatePrompt } from '../src/core/workflow/validate';
import { testDirs } from '../test/fakes/testDirs';
import { apiNode, chainPrompt, testRegistry, testWorkerRegistry } from '../test/fakes/testNodes';
import { runEmbeddedJobsBench } from './embeddedJobs.bench';

/** The side of the square synthetic image the heavy nodes get. */
const SIDE = 1024;

/** One heavy built-in node to time: its class and inputs besides the image. */
export interface HeavyNodeCase {
  label: string;
  classType: string;
  /** The name of the IMAGE input the synthetic image goes to. */
  imageInput: string;
  inputs: Record<string, unknown>;
}

/** The heavy built-in nodes timed per megapixel (input megapixels). */
export const heavyNodeCases: HeavyNodeCase[] = [
  {
    label: 'ImageScale lanczos 2x',
    classType: 'ImageScale',
    imageInput: 'image',
    inputs: scaleTo('lanczos'),
  },
  {
    label: 'ImageScale bicubic 2x',
    classType: 'ImageScale',
    imageInput: 'image',
    inputs: scaleTo('bicubic'),
  },
  {
    label: 'ImageScale bilinear 2x',
    classType: 'ImageScale',
    imageInput: 'image',
    inputs: scaleTo('bilinear'),
  },
  {
    label: 'ImageScale area 0.5x',
    classType: 'ImageScaleBy',
    imageInput: 'image',
    inputs: { upscale_method: 'area', scale_by: 0.5 },
  },
  {
    label: 'ImageBlur r=5',
    classType: 'ImageBlur',
    imageInput: 'image',
    inputs: { blur_radius: 5, sigma: 1 },
  },
  {
    label: 'ImageBlur r=31',
    classType: 'ImageBlur',
    imageInput: 'image',
    inputs: { blur_radius: 31, sigma: 3 },
  },
  {
    label: 'ImageSharpen r=3',
    classType: 'ImageSharpen',
    imageInput: 'image',
    inputs: { sharpen_radius: 3, sigma: 1, alpha: 1 },
  },
  {
    label: 'ImageBlend overlay',
    classType: 'ImageBlend',
    imageInput: 'image1',
    inputs: { blend_factor: 0.5, blend_mode: 'overlay' },
  },
  { label: 'ImageInvert', classType: 'ImageInvert', imageInput: 'image', inputs: {} },
];

function scaleTo(method: string): Record<string, unknown> {
  return { upscale_method: method, width: SIDE * 2, height: SIDE * 2, crop: 'disabled' };
}

/** Prints every figure. */
export async function runEngineBench(): Promise<void> {
  console.log(`engine bench (${availableParallelism()} CPUs)`);
  await benchBranches();
  await benchChain();
  await benchHeavyNodes();
  await runEmbeddedJobsBench();
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await f();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function testNodeEngine(maxConcurrency?: number): Engine {
  return createEngine({
    nodes: testRegistry,
    workerRegistry: testWorkerRegistry,
    maxConcurrency,
    ...testDirs(),
  });
}

/** Four TestSpin branches, each into its own output. */
function fourBranches(iterations: number): ApiPrompt {
  const prompt: ApiPrompt = {};
  for (let i = 1; i <= 4; i++) {
    prompt[`s${i}`] = apiNode('TestSpin', { iterations: iterations + i });
    prompt[`o${i}`] = apiNode('TestCounter', { input: [`s${i}`, 0], tag: `o${i}` });
  }
  return prompt;
}

/** Median wall time of the four-branch prompt on each engine, runs alternating so load drift hits both alike. */
async function branchTimes(engines: Engine[]): Promise<number[]> {
  // Warm up every worker the runs will use, so start-up is not measured.
  for (const engine of engines) await engine.execute(fourBranches(1), { promptId: 'warm' });
  const times = engines.map((): number[] => []);
  for (let run = 0; run < 5; run++) {
    for (const [i, engine] of engines.entries()) {
      engine.clearCache();
      times[i].push(await timed(() => engine.execute(fourBranches(40_000_000), { promptId: `b${run}` })));
    }
  }
  return times.map(median);
}

async function benchBranches(): Promise<void> {
  const engines = [testNodeEngine(1), testNodeEngine()];
  try {
    const [serial, parallel] = await branchTimes(engines);
    console.log(
      `four heavy branches: one at a time ${serial.toFixed(0)} ms, default concurrency ` +
        `(${engines[1].maxConcurrency}) ${parallel.toFixed(0)} ms, speedup ${(serial / parallel).toFixed(2)}x`,
    );
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
  }
}

async function benchChain(): Promise<void> {
  const length = 10_000;
  const prompt = chainPrompt(length);
  const engine = testNodeEngine();
  const defs = await engine.definitions();
  try {
    const computed: number[] = [];
    const cached: number[] = [];
    const validation: number[] = [];
    let events = 0;
    for (let run = 0; run < 5; run++) {
      engine.clearCache();
      computed.push(
        await timed(() => engine.execute(prompt, { promptId: `c${run}`, onEvent: () => events++ })),
      );
      cached.push(await timed(() => engine.execute(prompt, { promptId: `r${run}` })));
      validation.push(await timed(async () => validatePrompt(prompt, defs)));
    }
    const perNode = (ms: number) => ((ms * 1000) / (length + 2)).toFixed(1);
    console.log(
      `10,000-node chain: computed ${perNode(median(computed))} us/node ` +
        `(of which validation ${perNode(median(validation))} us/node), ` +
        `fully cached re-run ${perNode(median(cached))} us/node, ${Math.round(events / 5)} events per computed run`,
    );
  } finally {
    await engine.dispose();
  }
}

function benchContext(): NodeContext {
  return {
    nodeId: 'bench',
    checkpoint: () => undefined,
    progress: () => undefined,
    preview: () => undefined,
    ...testDirs(),
    prompt: {},
  };
}

async function benchHeavyNodes(): Promise<void> {
  const image = createImage(1, SIDE, SIDE, 3);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i % 251) / 250;
  const megapixels = (SIDE * SIDE) / 1e6;
  const missing: string[] = [];
  for (const c of heavyNodeCases) {
    const impl = builtinNodes.get(c.classType);
    if (!impl) {
      missing.push(c.label);
      continue;
    }
    const inputs = { ...c.inputs, [c.imageInput]: image, image2: image };
    const times: number[] = [];
    for (let run = 0; run < 3; run++) times.push(await timed(async () => impl.run(inputs, benchContext())));
    console.log(
      `${c.label}: ${(median(times) / megapixels).toFixed(1)} ms per input megapixel (${SIDE}x${SIDE} RGB)`,
    );
  }
  if (missing.length > 0) console.log(`not in the registry yet: ${missing.join(', ')}`);
}
