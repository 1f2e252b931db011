import assert from 'node:assert/strict';
import { memoizeUntilFailure } from '../../../src/core/util/memoizeUntilFailure';

describe('memoizeUntilFailure', () => {
  it('runs the load once and gives every caller its answer', async () => {
    let runs = 0;
    const get = memoizeUntilFailure(async () => ++runs);
    assert.deepEqual(await Promise.all([get(), get()]), [1, 1]);
    assert.equal(await get(), 1);
    assert.equal(runs, 1);
  });

  it('runs the load again after it failed, and remembers the answer that follows', async () => {
    let runs = 0;
    const get = memoizeUntilFailure(async () => {
      if (++runs === 1) throw new Error('not yet');
      return runs;
    });
    await assert.rejects(get(), /not yet/);
    assert.equal(await get(), 2);
    assert.equal(await get(), 2);
  });
});
