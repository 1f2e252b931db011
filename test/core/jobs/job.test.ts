import assert from 'node:assert/strict';
import { onePerSplitRun } from '../../../src/core/jobs/job';

describe('one job id per split run', () => {
  const part = (id: string, run: string, index: number) => ({
    id,
    split: { id: run, index, size: 3, outputs: [String(index)] },
  });

  it('keeps the first part of each split run and every whole job, in the order given', () => {
    const jobs = [{ id: 'w1' }, part('r-2', 'r', 2), part('s-1', 's', 1), part('r-3', 'r', 3), { id: 'w2' }];
    assert.deepEqual(onePerSplitRun(jobs), ['w1', 'r-2', 's-1', 'w2']);
  });
});
