/**
 * How long the engine's thread is held while LoadImage reads large PNG files; prints, never passes or
 * fails. When the engine runs behind `serve`, that thread is also the server's: while it is held, no
 * HTTP request and no WebSocket frame of any client is answered.
 *
 * A prompt loads SIDE x SIDE RGBA PNG files (random pixels, so inflating is real work) and previews a
 * small crop of each; meanwhile a 1 ms interval timer on the same thread records how late it fires.
 * The longest and the total lateness beyond 5 ms are printed for an engine without workers (the
 * baseline: everything on its thread) and one with, where large images are decoded on a worker.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../src/core/engine/executor';
import { encodePng } from '../src/core/engine/pngCodec';
import type { ApiPrompt } from '../src/core/workflow/types';
import { testDirs } from '../test/fakes/testDirs';
import { seededRandom } from '../test/fakes/seededRandom';

const SIDE = 2048;
const FILES = 3;
const ROUNDS = 3;

/** A PNG file of random RGBA pixels. */
function randomPng(side: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const data = Uint8Array.from({ length: side * side * 4 }, () => Math.floor(rnd() * 256));
  return encodePng({ width: side, height: side, channels: 4, data }, [], 1);
}

/** LoadImage of each file, one after another, each cropped small and previewed. */
function loadPrompt(names: readonly string[], round: number): ApiPrompt {
  const prompt: ApiPrompt = {};
  names.forEach((image, i) => {
    prompt[`l${i}`] = { class_type: 'LoadImage', inputs: { image } };
    prompt[`c${i}`] = {
      class_type: 'ImageCrop',
      inputs: { image: [`l${i}`, 0], width: 8, height: 8, x: round, y: i },
    };
    prompt[`p${i}`] = { class_type: 'PreviewImage', inputs: { images: [`c${i}`, 0] } };
  });
  return prompt;
}

/** Runs `work` with a 1 ms timer on this thread; resolves with how late the timer fired. */
async function lateness(
  work: () => Promise<unknown>,
): Promise<{ longest: number; total: number; ms: number }> {
  let last = performance.now();
  let longest = 0;
  let total = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - 1;
    last = now;
    longest = Math.max(longest, late);
    if (late > 5) total += late;
  }, 1);
  const t0 = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { longest, total, ms: performance.now() - t0 };
}

/** Runs the LoadImage stall benchmark and prints its figures. */
export async function runLoadImageStallBench(): Promise<void> {
  console.log(
    `LoadImage of ${FILES} ${SIDE} x ${SIDE} RGBA PNG files; each on a fresh engine, medians of ${ROUNDS} runs after one untimed`,
  );
  const dirs = testDirs();
  const names = Array.from({ length: FILES }, (_, i) => `big-${i}.png`);
  names.forEach((name, i) => writeFileSync(join(dirs.inputDir, name), randomPng(SIDE, i + 1)));
  writeFileSync(join(dirs.inputDir, 'warm.png'), randomPng(512, 99));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const figures: Record<string, { longest: number; total: number; ms: number }> = {};
  for (const workers of [false, true]) {
    const runs = [];
    for (let round = 0; round <= ROUNDS; round++) {
      // A fresh engine each time: one that ran the prompt before would take the loaded images from its cache.
      const engine = createEngine({ ...dirs, workers });
      try {
        // Loading another large image starts the workers, so that their start is not measured.
        await engine.execute(loadPrompt(['warm.png'], 0), { promptId: `warm-${workers}-${round}` });
        const run = () => engine.execute(loadPrompt(names, round), { promptId: `stall-${workers}-${round}` });
        const measured = await lateness(run);
        if (round > 0) runs.push(measured);
      } finally {
        await engine.dispose();
      }
    }
    figures[workers ? 'with workers' : 'no workers (baseline)'] = {
      longest: median(runs.map((r) => r.longest)),
      total: median(runs.map((r) => r.total)),
      ms: median(runs.map((r) => r.ms)),
    };
  }
  const base = figures['no workers (baseline)']!;
  for (const [label, f] of Object.entries(figures)) {
    console.log(
      `  ${label.padEnd(22)} prompt ${f.ms.toFixed(0)} ms; engine thread held at most ${f.longest.toFixed(1)} ms at a time, ` +
        `${f.total.toFixed(0)} ms in all (stretches over 5 ms)` +
        (f === base ? '' : `; against the baseline: longest ${(f.longest / base.longest).toFixed(2)} x`),
    );
  }
}
