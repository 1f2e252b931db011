import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { Engine } from '../../../src/core/engine/executor';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { testDirs } from '../../fakes/testDirs';
import { apiNode, runCollecting, testEngine, testRecorder } from '../../fakes/testNodes';

/** Two branches from one source: 1 -> 2 -> 3 (output "a") and 1 -> 4 -> 5 (output "b"). */
function branches(addA = 1, addB = 2): ApiPrompt {
  return {
    '1': apiNode('TestSource', { value: 10 }),
    '2': apiNode('TestAdd', { input: ['1', 0], add: addA }),
    '3': apiNode('TestCounter', { input: ['2', 0], tag: 'a' }),
    '4': apiNode('TestAdd', { input: ['1', 0], add: addB }),
    '5': apiNode('TestCounter', { input: ['4', 0], tag: 'b' }),
  };
}

const cachedNodes = (events: { type: string; data: unknown }[]) =>
  (events.find((e) => e.type === 'execution_cached')!.data as { nodes: string[] }).nodes;

describe('engine cache', () => {
  let engine: Engine;
  let dirs: ReturnType<typeof testDirs>;
  beforeEach(() => {
    testRecorder.reset();
    dirs = testDirs();
    engine = testEngine({ ...dirs });
  });
  afterEach(() => engine.dispose());

  it('a second identical run executes nothing and writes nothing new', async () => {
    await runCollecting(engine, branches());
    const files = readdirSync(dirs.outputDir).sort();
    testRecorder.reset();
    const { events, outcome } = await runCollecting(engine, branches(), { promptId: 'p2' });
    assert.deepEqual(testRecorder.runs, []);
    assert.deepEqual(readdirSync(dirs.outputDir).sort(), files);
    assert.deepEqual(cachedNodes(events), ['1', '2', '3', '4', '5']);
    assert.equal(events.filter((e) => e.type === 'executing' && e.data.node !== null).length, 0);
    assert.deepEqual(Object.keys(outcome.outputs).sort(), ['3', '5']);
  });

  it('cached output nodes replay their cached UI in executed', async () => {
    const first = await runCollecting(engine, branches());
    const { events } = await runCollecting(engine, branches(), { promptId: 'p2' });
    const executed = (evs: typeof events) =>
      evs
        .filter((e) => e.type === 'executed')
        .map((e) => e.data)
        .sort((a, b) => String(a.node).localeCompare(String(b.node)));
    assert.deepEqual(
      executed(events),
      executed(first.events).map((d) => ({ ...d, prompt_id: 'p2' })),
    );
  });

  it('changing one input re-runs only the nodes that depend on it', async () => {
    await runCollecting(engine, branches(1, 2));
    testRecorder.reset();
    const { events } = await runCollecting(engine, branches(1, 3), { promptId: 'p2' });
    assert.deepEqual([...testRecorder.runs].sort(), ['4', '5']);
    assert.deepEqual(cachedNodes(events), ['1', '2', '3']);
    assert.equal(testRecorder.values.get('b'), 13);
  });

  it('a node id is not part of the cache key', async () => {
    await runCollecting(engine, branches());
    testRecorder.reset();
    const renamed: ApiPrompt = {
      '10': apiNode('TestSource', { value: 10 }),
      '20': apiNode('TestAdd', { input: ['10', 0], add: 1 }),
      '30': apiNode('TestCounter', { input: ['20', 0], tag: 'a' }),
    };
    await runCollecting(engine, renamed, { promptId: 'p2' });
    assert.deepEqual(testRecorder.runs, []);
  });

  it('a changed fingerprint re-runs the node and what depends on it', async () => {
    const prompt: ApiPrompt = {
      '1': apiNode('TestFingerprint', { tag: 'file' }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'out' }),
    };
    testRecorder.fingerprints.set('file', 'hash-1');
    await runCollecting(engine, prompt);
    testRecorder.fingerprints.set('file', 'hash-2');
    await runCollecting(engine, prompt, { promptId: 'p2' });
    assert.equal(testRecorder.counts.get('out'), 2);
    assert.deepEqual(testRecorder.runs, ['1', '2', '1', '2']);
  });

  it('an unchanged fingerprint keeps the node cached', async () => {
    const prompt: ApiPrompt = {
      '1': apiNode('TestFingerprint', { tag: 'file' }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'out' }),
    };
    testRecorder.fingerprints.set('file', 'hash-1');
    await runCollecting(engine, prompt);
    await runCollecting(engine, prompt, { promptId: 'p2' });
    assert.deepEqual(testRecorder.runs, ['1', '2']);
  });

  it('clearCache makes the next run compute everything', async () => {
    await runCollecting(engine, branches());
    engine.clearCache();
    testRecorder.reset();
    await runCollecting(engine, branches(), { promptId: 'p2' });
    assert.equal(testRecorder.runs.length, 5);
  });

  it('the classic policy keeps only what the latest prompt used', async () => {
    const other: ApiPrompt = {
      '1': apiNode('TestSource', { value: 99 }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'other' }),
    };
    await runCollecting(engine, branches());
    await runCollecting(engine, other, { promptId: 'p2' });
    testRecorder.reset();
    await runCollecting(engine, branches(), { promptId: 'p3' });
    assert.equal(testRecorder.runs.length, 5);
  });

  it('the none policy computes every node on every run', async () => {
    const uncached = testEngine({ cachePolicy: 'none' });
    try {
      await runCollecting(uncached, branches());
      await runCollecting(uncached, branches(), { promptId: 'p2' });
      assert.equal(testRecorder.runs.length, 10);
    } finally {
      await uncached.dispose();
    }
  });

  it('nodes that completed before a failure stay cached', async () => {
    const failing: ApiPrompt = {
      ...branches(),
      '6': apiNode('TestFail', { input: ['2', 0], message: 'boom', exception_type: 'ValueError' }),
      '7': apiNode('TestCounter', { input: ['6', 0], tag: 'never' }),
    };
    const { outcome } = await runCollecting(engine, failing, { partialTargets: ['7'] });
    assert.equal(outcome.status, 'error');
    testRecorder.reset();
    await runCollecting(engine, branches(), { promptId: 'p2' });
    assert.deepEqual([...testRecorder.runs].sort(), ['3', '4', '5']);
  });
});
