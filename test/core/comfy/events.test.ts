import assert from 'node:assert/strict';
import { Emitter } from '../../../src/core/comfy/events';

describe('Emitter.fireLazy', () => {
  it('builds no value while nobody listens', () => {
    const emitter = new Emitter<number>();
    let built = 0;
    emitter.fireLazy(() => ++built);
    assert.equal(built, 0);
  });

  it('builds the value once and hands it to every listener', () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    emitter.on((v) => got.push(v));
    emitter.on((v) => got.push(v * 10));
    let built = 0;
    emitter.fireLazy(() => ++built);
    assert.deepEqual([built, got], [1, [1, 10]]);
  });
});
