import assert from 'node:assert/strict';
import { testDirs } from '../../fakes/testDirs';
import { createEngine, type Engine } from '../../../src/core/engine/executor';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import {
  apiNode,
  runCollecting,
  testEngine,
  testRecorder,
  testRegistry,
  type Interval,
} from '../../fakes/testNodes';

/** `count` independent branches, each a TestDelay of `ms` into its own counter. */
function delayBranches(count: number, ms: number): ApiPrompt {
  const prompt: ApiPrompt = {};
  for (let i = 1; i <= count; i++) {
    prompt[`d${i}`] = apiNode('TestDelay', { ms });
    prompt[`c${i}`] = apiNode('TestCounter', { input: [`d${i}`, 0], tag: `c${i}` });
  }
  return prompt;
}

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start < b.end && b.start < a.end;

/** The most intervals open at one instant. */
function maxSimultaneous(intervals: readonly Interval[]): number {
  const edges = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (open += e.d));
  return most;
}

describe('engine concurrency', () => {
  let engine: Engine | undefined;
  beforeEach(() => testRecorder.reset());
  afterEach(() => engine?.dispose());

  it('two independent branches overlap', async () => {
    engine = testEngine({ maxConcurrency: 4 });
    await runCollecting(engine, delayBranches(2, 50));
    const [a, b] = testRecorder.intervals;
    assert.ok(overlap(a, b), `intervals ${JSON.stringify(testRecorder.intervals)}`);
  });

  it('two heavy branches run on different worker threads and overlap', async () => {
    engine = testEngine({ maxConcurrency: 2 });
    const spins = (iterations: number): ApiPrompt => ({
      '1': apiNode('TestSpin', { iterations }),
      '2': apiNode('TestCounter', { input: ['1', 1], tag: 'a' }),
      '3': apiNode('TestSpin', { iterations: iterations + 1 }),
      '4': apiNode('TestCounter', { input: ['3', 1], tag: 'b' }),
    });
    // A first run starts both workers, so their start-up time cannot keep the measured spins apart.
    await runCollecting(engine, spins(1));
    await runCollecting(engine, spins(20_000_000), { promptId: 'p2' });
    type Stamps = { start: number; end: number; threadId: number };
    const a = testRecorder.values.get('a') as Stamps;
    const b = testRecorder.values.get('b') as Stamps;
    assert.notEqual(a.threadId, b.threadId);
    assert.ok(a.threadId !== 0 && b.threadId !== 0, 'heavy nodes run off the main thread');
    assert.ok(overlap(a, b), `stamps ${JSON.stringify([a, b])}`);
  });

  it('the concurrency cap holds: never more nodes at once than allowed', async () => {
    engine = testEngine({ maxConcurrency: 2 });
    await runCollecting(engine, delayBranches(6, 30));
    assert.equal(testRecorder.intervals.length, 6);
    assert.equal(maxSimultaneous(testRecorder.intervals), 2);
  });

  it('a cap of one runs nodes one at a time', async () => {
    engine = testEngine({ maxConcurrency: 1 });
    await runCollecting(engine, delayBranches(3, 20));
    assert.equal(maxSimultaneous(testRecorder.intervals), 1);
  });

  it('raising the cap while a prompt runs starts waiting nodes at once', async () => {
    engine = testEngine({ maxConcurrency: 1 });
    const running = engine;
    let raised = false;
    await runCollecting(engine, delayBranches(4, 40), {
      onEvent: (e) => {
        if (e.type === 'executing' && !raised) {
          raised = true;
          running.maxConcurrency = 4;
        }
      },
    });
    assert.equal(maxSimultaneous(testRecorder.intervals), 4);
  });

  it('a node starts as soon as its own inputs are ready, not when its level is done', async () => {
    engine = testEngine({ maxConcurrency: 4 });
    const prompt: ApiPrompt = {
      slow: apiNode('TestDelay', { ms: 150 }),
      fast: apiNode('TestDelay', { ms: 10 }),
      next: apiNode('TestDelay', { input: ['fast', 0], ms: 10 }),
      c1: apiNode('TestCounter', { input: ['slow', 0], tag: 'slow' }),
      c2: apiNode('TestCounter', { input: ['next', 0], tag: 'next' }),
    };
    await runCollecting(engine, prompt);
    const by = new Map(testRecorder.intervals.map((i) => [i.nodeId, i]));
    assert.ok(by.get('next')!.end < by.get('slow')!.end, 'the second stage of the fast branch ended first');
  });

  it('the first failure stops the prompt: a slow sibling branch never starts its next node', async () => {
    engine = testEngine({ maxConcurrency: 4 });
    const prompt: ApiPrompt = {
      slow: apiNode('TestDelay', { ms: 100 }),
      after: apiNode('TestCounter', { input: ['slow', 0], tag: 'after' }),
      pre: apiNode('TestDelay', { ms: 10 }),
      fail: apiNode('TestFail', { input: ['pre', 0], message: 'boom', exception_type: 'ValueError' }),
      out: apiNode('TestCounter', { input: ['fail', 0], tag: 'out' }),
    };
    const { outcome, events } = await runCollecting(engine, prompt);
    assert.equal(outcome.status, 'error');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(testRecorder.counts.get('after'), undefined);
    assert.ok(!events.some((e) => e.type === 'executing' && e.data.node === 'after'));
    assert.equal(events.at(-1)!.type, 'executing');
  });

  it('results of nodes abandoned by a failure are ignored', async () => {
    engine = testEngine({ maxConcurrency: 4 });
    const prompt: ApiPrompt = {
      slow: apiNode('TestDelay', { ms: 60 }),
      after: apiNode('TestCounter', { input: ['slow', 0], tag: 'after' }),
      fail: apiNode('TestFail', { message: 'boom', exception_type: '' }),
      out: apiNode('TestCounter', { input: ['fail', 0], tag: 'out' }),
    };
    const events: string[] = [];
    await runCollecting(engine, prompt, { onEvent: (e) => events.push(e.type) });
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(testRecorder.intervals.length, 1, 'the slow node did finish, later');
    assert.equal(events.at(-1), 'executing');
    assert.equal(events.filter((t) => t === 'executing').length, 3, 'slow, fail, then the closing one');
  });
  it('a heavy node the workers do not know runs on the main thread instead', async () => {
    // Workers load the built-in registry here, which has no TestSpin.
    engine = createEngine({ nodes: testRegistry, ...testDirs() });
    const prompt: ApiPrompt = {
      '1': apiNode('TestSpin', { iterations: 10 }),
      '2': apiNode('TestCounter', { input: ['1', 1], tag: 'spin' }),
    };
    const { outcome } = await runCollecting(engine, prompt);
    assert.equal(outcome.status, 'success');
    assert.equal((testRecorder.values.get('spin') as { threadId: number }).threadId, 0);
  });

  it('with workers off, heavy nodes run on the main thread', async () => {
    engine = testEngine({ workers: false });
    const prompt: ApiPrompt = {
      '1': apiNode('TestSpin', { iterations: 10 }),
      '2': apiNode('TestCounter', { input: ['1', 1], tag: 'spin' }),
    };
    await runCollecting(engine, prompt);
    assert.equal((testRecorder.values.get('spin') as { threadId: number }).threadId, 0);
  });
});
