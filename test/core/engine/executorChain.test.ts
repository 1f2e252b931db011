import assert from 'node:assert/strict';
import type { Engine } from '../../../src/core/engine/executor';
import { createRegistry } from '../../../src/core/engine/registry';
import type { NodeImpl } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import {
  apiNode,
  chainPrompt,
  runCollecting,
  testEngine,
  testNodes,
  testRecorder,
} from '../../fakes/testNodes';

const CHAIN = 10_000;

/** source -> `length` nodes of class `middle` -> counter. */
function chain(middle = 'TestAdd', length = CHAIN): ApiPrompt {
  return chainPrompt(length, middle);
}

describe('engine on a 10,000-node chain', () => {
  let engine: Engine | undefined;
  beforeEach(() => testRecorder.reset());
  afterEach(() => engine?.dispose());

  it('runs every node and passes the value down the whole chain', async () => {
    engine = testEngine();
    const { outcome } = await runCollecting(engine, chain());
    assert.equal(outcome.status, 'success');
    assert.equal(testRecorder.values.get('chain'), CHAIN);
    assert.equal(testRecorder.runs.length, CHAIN + 2);
  });

  it('the call stack at the last node is no deeper than at the first', async () => {
    const depths = new Map<string, number>();
    const add = testNodes.find((n) => n.classType === 'TestAdd')!;
    const depthAdd: NodeImpl = {
      ...add,
      classType: 'TestDepthAdd',
      run: (inputs, ctx) => {
        depths.set(ctx.nodeId, new Error().stack!.split('\n').length);
        return add.run(inputs, ctx);
      },
    };
    engine = testEngine({ nodes: createRegistry(testNodes, [depthAdd]) });
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      await runCollecting(engine, chain('TestDepthAdd'));
    } finally {
      Error.stackTraceLimit = limit;
    }
    assert.equal(depths.size, CHAIN);
    assert.ok(
      depths.get(String(CHAIN))! <= depths.get('1')! + 2,
      `depths ${depths.get('1')} -> ${depths.get(String(CHAIN))}`,
    );
  });

  it('emits one executing per node and a bounded number of progress_state snapshots', async () => {
    engine = testEngine();
    let executing = 0;
    let snapshots = 0;
    const start = performance.now();
    await runCollecting(engine, chain(), {
      onEvent: (e) => {
        if (e.type === 'executing' && e.data.node !== null) executing++;
        if (e.type === 'progress_state') snapshots++;
      },
    });
    const elapsed = performance.now() - start;
    assert.equal(executing, CHAIN + 2);
    // Every change while at most 64 nodes are listed (a start and a finish each), then one per 100 ms
    // at most, and one before the end.
    const bound = 2 * 64 + Math.ceil(elapsed / 100) + 1;
    assert.ok(snapshots <= bound, `${snapshots} snapshots in ${elapsed.toFixed(0)} ms, bound ${bound}`);
  });

  it('the last progress_state before execution_success lists every node as finished', async () => {
    engine = testEngine();
    const { events } = await runCollecting(engine, chain());
    const end = events.findIndex((e) => e.type === 'execution_success');
    const last = events
      .slice(0, end)
      .filter((e) => e.type === 'progress_state')
      .at(-1);
    assert.ok(last?.type === 'progress_state');
    const states = Object.values(last.data.nodes).map((n) => n.state);
    assert.equal(states.length, CHAIN + 2);
    assert.ok(states.every((s) => s === 'finished'));
  });

  it('a long node after a quick chain shows in a progress_state while it runs', async () => {
    engine = testEngine();
    const prompt = chain();
    prompt.slow = apiNode('TestDelay', { input: [String(CHAIN), 0], ms: 600 });
    prompt.out = apiNode('TestCounter', { input: ['slow', 0], tag: 'chain' });
    let seen = false;
    await runCollecting(engine, prompt, {
      onEvent: (e) => {
        // Only a snapshot sent while `slow` runs lists it as running.
        if (e.type === 'progress_state' && e.data.nodes.slow?.state === 'running') seen = true;
      },
    });
    assert.ok(seen, 'no progress_state showed the long node running');
  });

  it('with progressStates every-change, each node start and finish sends a progress_state', async () => {
    // Long enough to be spaced out by default; every change of 10,000 nodes would take seconds.
    const length = 1500;
    engine = testEngine({ progressStates: 'every-change' });
    let snapshots = 0;
    await runCollecting(engine, chain('TestAdd', length), {
      onEvent: (e) => void (e.type === 'progress_state' && snapshots++),
    });
    assert.equal(snapshots, 2 * (length + 2));
  });
});
