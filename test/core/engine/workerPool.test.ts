import assert from 'node:assert/strict';
import { WorkerPool } from '../../../src/core/engine/workerPool';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { testEngine, testWorkerRegistry } from '../../fakes/testNodes';

/** A TestSpin task long enough to be still running, or still queued, when the pool is disposed. */
function longSpin(pool: WorkerPool) {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const dirs = { inputDir: '', outputDir: '', tempDir: '' };
  const task = { classType: 'TestSpin', nodeId: '1', inputs: { iterations: 1e12 }, flag, dirs };
  return pool
    .run(task, () => undefined)
    .result.then(
      () => undefined,
      (e: unknown) => e,
    );
}

describe('the worker pool when disposed', () => {
  it('fails running and queued tasks with the internal RunnerError the engine refuses prompts with', async () => {
    const pool = new WorkerPool({ size: 1, registryModule: testWorkerRegistry });
    const running = longSpin(pool);
    const queued = longSpin(pool);
    await pool.dispose();
    const [a, b] = await Promise.all([running, queued]);
    assert.ok(isRunnerError(a, 'internal'), String(a));
    assert.ok(isRunnerError(b, 'internal'), String(b));
  });

  it('refuses new tasks with the same RunnerError as a disposed engine refuses a prompt', async () => {
    const pool = new WorkerPool({ size: 1, registryModule: testWorkerRegistry });
    await pool.dispose();
    const engine = testEngine();
    await engine.dispose();
    const refusedPrompt = await engine.execute({}, { promptId: 'p' }).catch((e: unknown) => e);
    const refusedTask = await longSpin(pool);
    assert.ok(isRunnerError(refusedTask, 'internal'));
    assert.ok(isRunnerError(refusedPrompt, 'internal'));
  });
});
