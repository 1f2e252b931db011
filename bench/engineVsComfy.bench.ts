/**
 * The embedded engine against ComfyUI 0.8.0, workflow by workflow (issue 13). Each per-node workflow is
 * EmptyImage 1024x1024 -> the node -> a 64x64 nearest-exact ImageScale -> SaveImage; three whole
 * workflows chain several heavy nodes. Every time is the engine's own execution_start ->
 * execution_success, as a server's history reports it, median of 5 with the cache cleared before each
 * run, after one warm-up run that starts the worker threads and 3 untimed runs of the workflow itself
 * (the first of which is printed too: V8 compiles a node's code while it first runs it, a cost a serve
 * instance pays once, as a ComfyUI server pays its imports). The ComfyUI figures are not measured here:
 * they come from a real ComfyUI 0.8.0 on CPU (torch 1.13, one thread) on a machine of the same kind.
 */
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/core/engine/executor';
import type { ApiPrompt } from '../src/core/workflow/types';
import { testDirs } from '../test/fakes/testDirs';
import { workflowsDir } from '../test/fakes/fixturePaths';

/** One workflow to time and ComfyUI's time for it, in seconds. */
interface VersusCase {
  label: string;
  comfySeconds: number;
  prompt: ApiPrompt;
}

const RUNS = 5;
/** Untimed runs of each workflow before its timed ones. */
const WARM_UPS = 3;

function node(class_type: string, inputs: Record<string, unknown>): ApiPrompt[string] {
  return { class_type, inputs };
}

/** EmptyImage of `side` -> `nodes` in a chain (each fed by the one before) -> 64x64 -> SaveImage. */
function chain(side: number, nodes: [string, Record<string, unknown>][]): ApiPrompt {
  const prompt: ApiPrompt = {
    '1': node('EmptyImage', { width: side, height: side, batch_size: 1, color: 0x334455 }),
  };
  let last = '1';
  nodes.forEach(([classType, inputs], i) => {
    const id = String(i + 2);
    prompt[id] = node(classType, { ...inputs, image: [last, 0] });
    last = id;
  });
  return { ...prompt, ...tail(last, 'out') };
}

/** The 64x64 nearest-exact scale of `from` and its SaveImage, under ids prefixed by `tag`. */
function tail(from: string, tag: string): ApiPrompt {
  const small = { upscale_method: 'nearest-exact', width: 64, height: 64, crop: 'disabled' };
  return {
    [`${tag}-small`]: node('ImageScale', { ...small, image: [from, 0] }),
    [`${tag}-save`]: node('SaveImage', { images: [`${tag}-small`, 0], filename_prefix: `vs-${tag}` }),
  };
}

function scaleBy(method: string, factor: number): [string, Record<string, unknown>] {
  return ['ImageScaleBy', { upscale_method: method, scale_by: factor }];
}

function blur(radius: number, sigma: number): [string, Record<string, unknown>] {
  return ['ImageBlur', { blur_radius: radius, sigma }];
}

/** Three branches from one 1536x1536 image: each method at 1.75x, then blur r=4 and area 0.5x. */
function threeBranches(): ApiPrompt {
  const prompt: ApiPrompt = {
    src: node('EmptyImage', { width: 1536, height: 1536, batch_size: 1, color: 0x334455 }),
  };
  for (const method of ['bicubic', 'bilinear', 'lanczos']) {
    prompt[`${method}-scale`] = node('ImageScaleBy', {
      upscale_method: method,
      scale_by: 1.75,
      image: ['src', 0],
    });
    prompt[`${method}-blur`] = node('ImageBlur', { blur_radius: 4, sigma: 1, image: [`${method}-scale`, 0] });
    prompt[`${method}-area`] = node('ImageScaleBy', {
      upscale_method: 'area',
      scale_by: 0.5,
      image: [`${method}-blur`, 0],
    });
    Object.assign(prompt, tail(`${method}-area`, method));
  }
  return prompt;
}

/** The corpus's slow workflow: 2048 -> 4096 bicubic -> lanczos 0.75 -> 6144 bicubic -> invert -> area 1024. */
function scaleChain(): ApiPrompt {
  const path = join(workflowsDir, '03_slow.json');
  return JSON.parse(readFileSync(path, 'utf8')) as ApiPrompt;
}

/** The workflows of issue 13, with the ComfyUI 0.8.0 times measured there. */
export const versusCases: VersusCase[] = [
  { label: 'ImageInvert', comfySeconds: 0.01, prompt: chain(1024, [['ImageInvert', {}]]) },
  { label: 'ImageBlur r=5 σ=2', comfySeconds: 0.12, prompt: chain(1024, [blur(5, 2)]) },
  { label: 'ImageScaleBy bilinear 2×', comfySeconds: 0.06, prompt: chain(1024, [scaleBy('bilinear', 2)]) },
  { label: 'ImageScaleBy area 0.5×', comfySeconds: 0.02, prompt: chain(1024, [scaleBy('area', 0.5)]) },
  {
    label: 'ImageSharpen r=3',
    comfySeconds: 0.1,
    prompt: chain(1024, [['ImageSharpen', { sharpen_radius: 3, sigma: 1, alpha: 1 }]]),
  },
  { label: 'ImageScaleBy lanczos 2×', comfySeconds: 0.12, prompt: chain(1024, [scaleBy('lanczos', 2)]) },
  { label: 'ImageScaleBy bicubic 2×', comfySeconds: 0.09, prompt: chain(1024, [scaleBy('bicubic', 2)]) },
  { label: 'ImageBlur r=31 σ=8', comfySeconds: 60, prompt: chain(1024, [blur(31, 8)]) },
  {
    label: 'workflow: 1536² bicubic 1.5× → blur r=4 → area 0.5×',
    comfySeconds: 0.66,
    prompt: chain(1536, [scaleBy('bicubic', 1.5), blur(4, 1), scaleBy('area', 0.5)]),
  },
  { label: 'workflow: three branches at 1.75×', comfySeconds: 1.5, prompt: threeBranches() },
  { label: 'workflow: 2048² → 4096² → 6144² chain', comfySeconds: 3.6, prompt: scaleChain() },
];

/** execution_start -> execution_success of one run, in seconds, by the engine's events. */
async function serverSideSeconds(engine: Engine, prompt: ApiPrompt, promptId: string): Promise<number> {
  let start = 0;
  let end = 0;
  const outcome = await engine.execute(prompt, {
    promptId,
    onEvent: (e) => {
      if (e.type === 'execution_start') start = performance.now();
      else if (e.type === 'execution_success') end = performance.now();
    },
  });
  if (outcome.status !== 'success') throw new Error(`${promptId} ended ${outcome.status}`);
  return (end - start) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ratioText(comfy: number, ours: number): string {
  return comfy >= ours ? `${(comfy / ours).toFixed(2)}× faster` : `${(ours / comfy).toFixed(2)}× slower`;
}

/** Prints each workflow's median time beside ComfyUI's, with the ratio (ComfyUI time / engine time). */
export async function runEngineVsComfyBench(): Promise<void> {
  const [load1] = loadavg();
  console.log(
    `engine vs ComfyUI 0.8.0 (${availableParallelism()} CPUs, load ${load1.toFixed(2)}); the ComfyUI ` +
      'figures were measured on a machine of the same kind (CPU, torch 1.13, one thread), not in this run',
  );
  const engine = createEngine(testDirs());
  try {
    await serverSideSeconds(engine, versusCases[0].prompt, 'warm-up');
    console.log(
      `each workflow: ${WARM_UPS} untimed runs first (the first printed as "first run": JavaScript compiles ` +
        `a node's code as it runs it, a cost a serve instance pays once), then the median of ${RUNS}`,
    );
    console.log('| workflow | ComfyUI 0.8.0 | engine | ComfyUI / engine | first run |');
    console.log('|---|---|---|---|---|');
    for (const [i, c] of versusCases.entries()) {
      const time = async (run: string) => {
        engine.clearCache();
        return serverSideSeconds(engine, c.prompt, `vs-${i}-${run}`);
      };
      const first = await time('first');
      for (let run = 1; run < WARM_UPS; run++) await time(`warm-${run}`);
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) times.push(await time(String(run)));
      const ours = median(times);
      console.log(
        `| ${c.label} | ${c.comfySeconds} s | ${ours.toFixed(3)} s | ${(c.comfySeconds / ours).toFixed(2)} ` +
          `(${ratioText(c.comfySeconds, ours)}) | ${first.toFixed(3)} s |`,
      );
    }
  } finally {
    await engine.dispose();
  }
}
