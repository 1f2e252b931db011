import assert from 'node:assert/strict';
import { retrySpec } from '../../../src/core/scheduler/retryPolicy';
import { sampleJob } from '../../fakes/storeKit';

describe('retrySpec', () => {
  it('keeps the retried job’s seeds and place in its batch, so the retry is the same run again', () => {
    const seed = { node: '3', input: 'seed', value: 42 };
    const failed = sampleJob({ state: 'failed', overrides: [seed], batch: { id: 'b', index: 3, size: 4 } });
    const spec = retrySpec(failed, { attempt: 2, outDir: 'comfy-runs/invert-2' });
    assert.deepEqual(spec.overrides, [seed]);
    assert.deepEqual(spec.batch, { id: 'b', index: 3, size: 4 });
  });
});
