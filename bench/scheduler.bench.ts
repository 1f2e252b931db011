/**
 * Figures for the scheduler; prints, never passes or fails. Fake targets, no servers:
 * 1. the latency of `add` with 10,000 jobs already queued behind busy targets (median and p99), with
 *    and without a subscriber (events carry copies of the job, so a UI watching costs something);
 * 2. the gap between a run ending on a target and the next `run` call on that target (median and
 *    p99), with instant targets draining 10,000 jobs: the time a slot stays empty on our account;
 * 3. the same gap when the freed target's next job sits behind 10,000 jobs pinned to a busy target,
 *    which the dispatch loop steps over: its worst case, linear in the jobs skipped.
 * The makespan over several real server instances comes with the serve benchmark.
 */
import { performance } from 'node:perf_hooks';
import type { NewJob } from '../src/core/jobs/job';
import type { RunResult, RunTarget } from '../src/core/scheduler/targets/runTarget';
import { Scheduler } from '../src/core/scheduler/scheduler';
import { FakeTarget } from '../test/fakes/fakeTarget';

const QUEUED = 10_000;
const MEASURED_ADDS = 2_000;
const TARGETS = 4;

function jobSpec(i: number): NewJob {
  return {
    workflow: { file: 'bench.json', sourceHash: 's', promptHash: 'p' },
    prompt: {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'model.safetensors' } },
      '2': { class_type: 'KSampler', inputs: { model: ['1', 0], seed: i, steps: 20 } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'bench' } },
    },
    overrides: [],
    outDir: `/nonexistent/bench-${i}`,
    priority: i % 3,
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function us(ms: number): string {
  return `${(ms * 1000).toFixed(1)} µs`;
}

/** `add` latency with QUEUED jobs waiting behind targets whose slots are all taken. */
function enqueueLatency(subscribed: boolean): number[] {
  const targets = Array.from({ length: TARGETS }, (_, i) => new FakeTarget(`gpu-${i}`));
  const s = new Scheduler({
    targets: targets.map((target) => ({ target, slots: 2, prefetch: true })),
    writeRunRecords: false,
    healthIntervalMs: 0,
  });
  if (subscribed) s.subscribe(() => undefined);
  for (let i = 0; i < QUEUED; i++) s.add(jobSpec(i));
  const times: number[] = [];
  for (let i = 0; i < MEASURED_ADDS; i++) {
    const spec = jobSpec(QUEUED + i);
    const t0 = performance.now();
    s.add(spec);
    times.push(performance.now() - t0);
  }
  s.dispose();
  return times;
}

/** A target that ends every run in the next microtask, noting when each run was called and ended. */
function instantTarget(name: string, gaps: number[]): RunTarget {
  let lastEnd: number | undefined;
  return {
    name,
    run: () => {
      const called = performance.now();
      if (lastEnd !== undefined) gaps.push(called - lastEnd);
      return new Promise<RunResult>((resolve) =>
        queueMicrotask(() => {
          lastEnd = performance.now();
          resolve({ status: 'success', outputs: [] });
        }),
      );
    },
    dispose: () => Promise.resolve(),
  };
}

/** The slot-free-to-next-run gaps while instant targets drain QUEUED jobs. */
async function dispatchGaps(): Promise<{ gaps: number[]; ms: number }> {
  const gaps: number[] = [];
  const s = new Scheduler({
    targets: Array.from({ length: TARGETS }, (_, i) => ({ target: instantTarget(`gpu-${i}`, gaps) })),
    writeRunRecords: false,
    healthIntervalMs: 0,
    paused: true,
  });
  for (let i = 0; i < QUEUED; i++) s.add(jobSpec(i));
  const t0 = performance.now();
  s.resume();
  await s.onIdle();
  const ms = performance.now() - t0;
  s.dispose();
  return { gaps, ms };
}

/** The gap when a slot frees on one target and every job ahead of the next one is pinned to another. */
async function gapsBehindPinned(rounds: number): Promise<number[]> {
  let called = 0;
  const busy = new FakeTarget('busy');
  const free = new FakeTarget('free', { onRun: () => (called = performance.now()) });
  const s = new Scheduler({
    targets: [{ target: busy }, { target: free }],
    writeRunRecords: false,
    healthIntervalMs: 0,
  });
  const pinned = (i: number): NewJob => ({ ...jobSpec(i), priority: 0, runOn: { targets: ['busy'] } });
  for (let i = 0; i <= QUEUED; i++) s.add(pinned(i));
  for (let i = 0; i <= rounds; i++) s.add({ ...jobSpec(i), priority: 0 });
  const gaps: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    free.pending()[0]!.succeed();
    await new Promise<void>((resolve) => setImmediate(resolve));
    gaps.push(called - t0);
  }
  s.dispose();
  return gaps;
}

/** Runs the scheduler benchmark and prints its figures. */
export async function runSchedulerBench(): Promise<void> {
  console.log(`scheduler bench (${TARGETS} fake targets, ${QUEUED} jobs queued)`);
  enqueueLatency(false); // warm-up: lets the JIT settle before the figures that count
  for (const subscribed of [false, true]) {
    const t = enqueueLatency(subscribed);
    console.log(
      `enqueue with ${QUEUED} queued${subscribed ? ', one subscriber' : ''}: median ${us(quantile(t, 0.5))}, p99 ${us(quantile(t, 0.99))}`,
    );
  }
  const { gaps, ms } = await dispatchGaps();
  console.log(
    `slot free -> next run call: median ${us(quantile(gaps, 0.5))}, p99 ${us(quantile(gaps, 0.99))} ` +
      `(${gaps.length} gaps; ${QUEUED} jobs drained in ${ms.toFixed(0)} ms)`,
  );
  const behind = await gapsBehindPinned(200);
  console.log(
    `slot free -> next run call behind ${QUEUED} jobs pinned elsewhere: median ${us(quantile(behind, 0.5))}, ` +
      `p99 ${us(quantile(behind, 0.99))}`,
  );
}
