/**
 * Figures for the Jobs tree with 10,000 jobs; prints, never passes or fails. The tree's provider runs
 * over the fake vscode module, and a small stand-in for VS Code's tree draws what it is told to: on a
 * full refresh every item down the expanded groups, on a partial one the items named and, for expanded
 * ones, their children again. The jobs: 10 batches of 500 and 5,000 jobs alone; 8 running, about 4,000
 * queued, 5,600 finished, 400 failed.
 * 1. Time to first render: the runner's snapshot (here the fake's, which clones every job as the
 *    runner's does), then the overview built from it and the tree's getChildren/getTreeItem for the
 *    groups shown expanded; once cold (the first time the code runs) and once warm.
 * 2. Time per coalesced update: a window's worth of events (8 running jobs x 50 progress steps, 2 jobs
 *    ending, 2 starting, 1 moved in the queue) taken in, then one flush and its redraw.
 * 3. Event -> tree refresh: from an event's arrival to the end of the redraw that shows it, with real
 *    timers: isolated events (one each 150 ms), and a steady stream (one each 2 ms) with the default
 *    40 ms interval and, as the baseline it replaced, with 100 ms.
 */
import { performance } from 'node:perf_hooks';
import type { OverviewNode } from '../src/core/run/jobsOverviewNodes';
import type { RunnerEvent } from '../src/core/run/runner';
import { FakeRunner } from '../test/fakes/fakeRunner';
import { sharedFakeVscode, type FakeTreeItem } from '../test/fakes/fakeVscode';

sharedFakeVscode();

type TreeModule = typeof import('../src/extension/views/jobsTree');
type Provider = InstanceType<TreeModule['JobsTreeProvider']>;

const EXPANDED = 2;

/** VS Code's side of the tree, as far as the cost goes: what it draws when told. */
class TreeUi {
  private readonly known = new Set<OverviewNode>();
  drawn = 0;
  onDrawn: () => void = () => undefined;

  constructor(private readonly provider: Provider) {
    provider.onDidChangeTreeData((e) => {
      if (e === undefined) this.drawAll();
      else for (const n of Array.isArray(e) ? e : [e]) if (this.known.has(n)) this.draw(n);
      this.onDrawn();
    });
  }

  drawAll(): void {
    this.known.clear();
    for (const n of this.provider.getChildren()) this.draw(n);
  }

  private draw(node: OverviewNode): void {
    const item = this.provider.getTreeItem(node) as unknown as FakeTreeItem;
    this.known.add(node);
    this.drawn++;
    if (item.collapsibleState === EXPANDED) for (const c of this.provider.getChildren(node)) this.draw(c);
  }
}

/** The fake runner with the 10,000 jobs of the file comment. */
function tenThousand(): FakeRunner {
  const fake = new FakeRunner();
  const s = fake.stream;
  const ids: string[] = [];
  for (let b = 0; b < 10; b++) ids.push(...s.addBatch(`batch-${b}`, 500).map((e) => e.job.id));
  for (let i = 0; i < 5_000; i++) ids.push(s.add().job.id);
  // Spread the states over batches and lone jobs alike.
  const order = ids.map((id, i) => ({ id, k: (i * 7919) % ids.length })).sort((a, b) => a.k - b.k);
  order.slice(0, 8).forEach(({ id }) => s.start(id));
  order.slice(8, 5_308).forEach(({ id }) => s.finish(id));
  order.slice(5_308, 5_608).forEach(({ id }) => s.finish(id, 'cancel'));
  order.slice(5_608, 6_008).forEach(({ id }, i) => s.finish(id, i % 4 === 0 ? 'lose' : 'fail'));
  return fake;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

function firstRender(tree: TreeModule, label: string): void {
  const fake = tenThousand();
  const t0 = performance.now();
  const snapshot = fake.runner.snapshot();
  const t1 = performance.now();
  const provider = new tree.JobsTreeProvider({ tickMs: 3_600_000 });
  const ui = new TreeUi(provider);
  provider.overview.reset(snapshot);
  provider.flush();
  const t2 = performance.now();
  console.log(
    `first render, ${label}: runner snapshot of ${snapshot.jobs.length} jobs ${ms(t1 - t0)} (runner side)`,
  );
  console.log(`first render, ${label}: model + getChildren/getTreeItem of ${ui.drawn} items ${ms(t2 - t1)}`);
  provider.dispose();
}

/** A window's worth of events: progress of every running job, two ends, two starts, one move. */
function windowOfEvents(fake: FakeRunner, running: string[], queued: string[]): RunnerEvent[] {
  const s = fake.stream;
  const events: RunnerEvent[] = [];
  for (let step = 1; step <= 50; step++) for (const id of running) events.push(s.progress(id, step, 50));
  for (let i = 0; i < 2; i++) {
    events.push(...s.finish(running.shift()!));
    const next = queued.shift()!;
    events.push(...s.start(next));
    running.push(next);
  }
  events.push({ type: 'job/moved', jobId: queued.at(-1)!, priority: 0, position: 0 });
  queued.unshift(queued.pop()!);
  return events;
}

function coalescedUpdates(tree: TreeModule): void {
  const fake = tenThousand();
  const provider = new tree.JobsTreeProvider({ tickMs: 3_600_000 });
  const ui = new TreeUi(provider);
  provider.attach(fake.runner);
  const jobs = [...fake.stream.jobs.values()];
  const running = jobs.filter((j) => j.state === 'running').map((j) => j.id);
  const queued = provider.overview.list('queued').ids();
  const take: number[] = [];
  const redraw: number[] = [];
  const drawn: number[] = [];
  let perWindow = 0;
  for (let round = 0; round < 200; round++) {
    const events = windowOfEvents(fake, running, queued);
    perWindow = events.length;
    const t0 = performance.now();
    for (const e of events) provider.overview.apply(e);
    const t1 = performance.now();
    ui.drawn = 0;
    provider.flush();
    redraw.push(performance.now() - t1);
    take.push(t1 - t0);
    drawn.push(ui.drawn);
  }
  console.log(`coalesced update (${perWindow} events a window, 200 windows):`);
  console.log(`  taking the events in: median ${ms(percentile(take, 50))}, p95 ${ms(percentile(take, 95))}`);
  console.log(
    `  flush + redraw: median ${ms(percentile(redraw, 50))}, p95 ${ms(percentile(redraw, 95))}, ` +
      `items drawn median ${percentile(drawn, 50)}`,
  );
  provider.dispose();
}

async function latency(tree: TreeModule, label: string, gapMs: number, refreshMs: number, count: number) {
  const fake = tenThousand();
  const provider = new tree.JobsTreeProvider({ refreshMs, tickMs: 3_600_000 });
  const ui = new TreeUi(provider);
  provider.attach(fake.runner);
  const running = [...fake.stream.jobs.values()].filter((j) => j.state === 'running').map((j) => j.id);
  let pending: number[] = [];
  const latencies: number[] = [];
  ui.onDrawn = () => {
    const done = performance.now();
    for (const t of pending) latencies.push(done - t);
    pending = [];
  };
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    pending.push(performance.now());
    fake.emit(fake.stream.progress(running[i % running.length], i % 50, 50));
  }
  await new Promise((r) => setTimeout(r, refreshMs + 20));
  console.log(
    `event -> tree refresh, ${label}: p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))} ` +
      `(${latencies.length} events)`,
  );
  provider.dispose();
}

/** Runs the benchmark and prints its figures. */
export async function runJobsTreeBench(): Promise<void> {
  const tree = (await import('../src/extension/views/jobsTree')) as TreeModule;
  firstRender(tree, 'cold (first in the process)');
  firstRender(tree, 'warm');
  coalescedUpdates(tree);
  await latency(tree, 'isolated events, 40 ms interval', 150, 40, 40);
  await latency(tree, 'steady stream (1 per 2 ms), 40 ms interval (default)', 2, 40, 1_500);
  await latency(tree, 'steady stream (1 per 2 ms), 100 ms interval (before)', 2, 100, 1_500);
}
