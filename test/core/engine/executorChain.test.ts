import assert from 'node:assert/strict';
import type { Engine } from '../../../src/core/engine/executor';
import { createRegistry } from '../../../src/core/engine/registry';
import type { NodeImpl } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { apiNode, runCollecting, testEngine, testNodes, testRecorder } from '../../fakes/testNodes';

const CHAIN = 10_000;

/** source -> CHAIN TestAdd nodes adding 1 each -> counter. */
function chain(middle = 'TestAdd'): ApiPrompt {
  const prompt: ApiPrompt = { '0': apiNode('TestSource', { value: 0 }) };
  for (let i = 1; i <= CHAIN; i++) prompt[String(i)] = apiNode(middle, { input: [String(i - 1), 0], add: 1 });
  prompt.out = apiNode('TestCounter', { input: [String(CHAIN), 0], tag: 'chain' });
  return prompt;
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
    await runCollecting(engine, chain(), {
      onEvent: (e) => {
        if (e.type === 'executing' && e.data.node !== null) executing++;
        if (e.type === 'progress_state') snapshots++;
      },
    });
    assert.equal(executing, CHAIN + 2);
    // Every change up to 1,000 listed nodes, then spaced out: far fewer than two per node.
    assert.ok(snapshots < 2 * CHAIN, `${snapshots} snapshots`);
  });
});
