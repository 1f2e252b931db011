/**
 * Figures for jobs on the embedded run target, output files included: a 1024x1024 noise image loaded,
 * inverted, saved and previewed, as a command-line run does it. Prints the median time per job (jobs
 * whose SaveImage prefix differs each time, then identical jobs) and the bytes the runs left on disk,
 * in the jobs' folders and anywhere else under the output root.
 */
import { readdirSync, statSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createEngine } from '../src/core/engine/executor';
import { encodePng } from '../src/core/engine/pngCodec';
import { createJob } from '../src/core/jobs/job';
import { embeddedTarget } from '../src/core/scheduler/targets/embeddedTarget';
import type { RunHooks } from '../src/core/scheduler/targets/runTarget';
import type { ApiPrompt } from '../src/core/workflow/types';

const SIDE = 1024;
const JOBS = 5;

/** A PNG of random RGB pixels, which compresses badly, so output files are as big as real renders. */
function noisePng(): Uint8Array {
  const data = new Uint8Array(SIDE * SIDE * 3);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    data[i] = seed >>> 24;
  }
  return encodePng({ width: SIDE, height: SIDE, channels: 3, data }, [], 1);
}

function prompt(prefix: string): ApiPrompt {
  return {
    '1': { class_type: 'LoadImage', inputs: { image: 'noise.png' } },
    '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
    '4': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  };
}

const hooks: RunHooks = {
  accepted: () => undefined,
  started: () => undefined,
  event: () => undefined,
  warning: () => undefined,
};

/** Bytes of every file under `dir`, by top-level entry of `root`. */
function bytesUnder(dir: string, root: string, into: Map<string, number>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytesUnder(path, root, into);
    else {
      const top = relative(root, path).split(/[\\/]/)[0];
      into.set(top, (into.get(top) ?? 0) + statSync(path).size);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Prints the figures. */
export async function runEmbeddedJobsBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  const inputDir = join(root, 'input');
  const out = join(root, 'out');
  mkdirSync(inputDir);
  writeFileSync(join(inputDir, 'noise.png'), noisePng());
  // The engine's own folders, as the command line's pool gives them; jobs write into theirs.
  const folders = { outputDir: join(out, '.engine', 'output'), tempDir: join(out, '.engine', 'temp') };
  const engine = createEngine({ inputDir, ...folders });
  const target = embeddedTarget(engine);
  const runJob = async (n: number, prefix: string): Promise<number> => {
    const job = createJob({
      workflow: { file: 'bench.json', sourceHash: '', promptHash: '' },
      prompt: prompt(prefix),
      overrides: [],
      outDir: join(out, `job-${n}`),
    });
    const start = performance.now();
    const result = await target.run(job, hooks, new AbortController().signal);
    if (result.status !== 'success') throw new Error(`bench job ${n} ended ${result.status}`);
    return performance.now() - start;
  };
  try {
    await runJob(0, 'warm');
    const distinct: number[] = [];
    const same: number[] = [];
    for (let i = 1; i <= JOBS; i++) distinct.push(await runJob(i, `bench${i}`));
    for (let i = 1; i <= JOBS; i++) same.push(await runJob(JOBS + i, 'bench'));
    const bytes = new Map<string, number>();
    bytesUnder(out, out, bytes);
    const inJobs = [...bytes].filter(([k]) => k.startsWith('job-')).reduce((s, [, v]) => s + v, 0);
    const elsewhere = [...bytes].filter(([k]) => !k.startsWith('job-')).reduce((s, [, v]) => s + v, 0);
    const mb = (n: number) => (n / 1e6).toFixed(1);
    console.log(
      `embedded jobs (${SIDE}x${SIDE} noise, SaveImage + PreviewImage): new prefix each job ` +
        `${median(distinct).toFixed(0)} ms/job, identical jobs ${median(same).toFixed(0)} ms/job; ` +
        `${2 * JOBS + 1} jobs left ${mb(inJobs)} MB in their folders and ${mb(elsewhere)} MB elsewhere under the output root`,
    );
  } finally {
    await target.dispose();
  }
}
