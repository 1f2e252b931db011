import assert from 'node:assert/strict';
import { embeddedTarget } from '../../../src/core/scheduler/targets/embeddedTarget';
import { testDirs } from '../../fakes/testDirs';
import { apiNode, testEngine } from '../../fakes/testNodes';
import { spec, testScheduler } from '../scheduler/schedulerKit';
import { tempDir } from './durableKit';

describe('the embedded target in a pool', () => {
  it('reports the engine’s node definitions, so it is sent only jobs whose node classes it has', async () => {
    const engine = testEngine(testDirs());
    const target = embeddedTarget(engine);
    try {
      assert.deepEqual(
        Object.keys(await target.capabilities!()).sort(),
        Object.keys(await engine.definitions()).sort(),
      );
      const s = testScheduler({ targets: [{ target }], onNoTarget: 'fail' });
      const prompt = {
        '1': apiNode('TestSource', { value: 1 }),
        '2': apiNode('TestCounter', { tag: 'pool', input: ['1', 0] }),
      };
      const runnable = s.add(spec({ prompt, outDir: tempDir('embedded-out-') }));
      const foreign = s.add(spec({ outDir: tempDir('embedded-out-') }, ['KSampler']));
      await s.onIdle();
      assert.equal(s.job(runnable.id)?.state, 'succeeded', JSON.stringify(s.job(runnable.id)?.error));
      assert.equal(s.job(foreign.id)?.state, 'failed');
      assert.equal(s.job(foreign.id)?.error?.reason, 'no_capable_server');
      assert.match(s.job(foreign.id)?.error?.message ?? '', /embedded: no node class KSampler/);
      s.dispose();
    } finally {
      await target.dispose();
    }
  });
});
