import assert from 'node:assert/strict';
import { DataflowSchedule, planExecution } from '../../../src/core/engine/scheduleGraph';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { apiNode } from '../../fakes/testNodes';

/** A diamond: 1 feeds 2 and 3, both feed 4; 5 hangs off 4. */
const diamond: ApiPrompt = {
  '1': apiNode('TestSource', { value: 1 }),
  '2': apiNode('TestAdd', { input: ['1', 0], add: 1 }),
  '3': apiNode('TestAdd', { input: ['1', 0], add: 2 }),
  '4': apiNode('TestMerge', { a: ['2', 0], b: ['3', 0] }),
  '5': apiNode('TestCounter', { input: ['4', 0], tag: 'x' }),
};
const order = ['1', '2', '3', '4', '5'];

/** Runs a schedule to the end one node at a time, returning the order nodes were taken in. */
function drain(schedule: DataflowSchedule): string[] {
  const taken: string[] = [];
  for (let id = schedule.takeReady(); id !== undefined; id = schedule.takeReady()) {
    taken.push(id);
    schedule.started(id);
    schedule.completed(id);
  }
  return taken;
}

describe('engine schedule', () => {
  it('a node becomes ready only when all of its inputs have completed', () => {
    const schedule = new DataflowSchedule(diamond, order, []);
    assert.deepEqual([schedule.takeReady(), schedule.takeReady()], ['1', undefined]);
    schedule.completed('1');
    const second = [schedule.takeReady()!, schedule.takeReady()!];
    schedule.completed(second[0]);
    assert.equal(schedule.takeReady(), undefined);
    schedule.completed(second[1]);
    assert.equal(schedule.takeReady(), '4');
  });

  it('runs branches in prompt order, depth first, when taken one at a time', () => {
    assert.deepEqual(drain(new DataflowSchedule(diamond, order, [])), ['1', '2', '3', '4', '5']);
  });

  it('releases an output once its last consumer has started', () => {
    const schedule = new DataflowSchedule(diamond, order, []);
    schedule.takeReady();
    assert.deepEqual(schedule.started('1'), []);
    schedule.completed('1');
    assert.ok(schedule.isNeeded('1'));
    assert.deepEqual(schedule.started('2'), []);
    assert.deepEqual(schedule.started('3'), ['1']);
    assert.ok(!schedule.isNeeded('1'));
  });

  it('an output node nobody reads is not kept after it completes', () => {
    const schedule = new DataflowSchedule(diamond, order, []);
    drain(schedule);
    assert.ok(!schedule.isNeeded('5'));
    assert.equal(schedule.remaining, 0);
  });

  it('planning stops at cached nodes and reads their outputs instead', () => {
    const plan = planExecution(diamond, order, ['5'], (id) => id === '1' || id === '2');
    assert.deepEqual(plan, {
      toRun: ['3', '4', '5'],
      cached: ['1', '2'],
      cachedOutputs: [],
      cachedSources: ['1', '2'],
    });
  });

  it('a cached output node runs nothing and is replayed', () => {
    const plan = planExecution(diamond, order, ['5'], () => true);
    assert.deepEqual(plan, { toRun: [], cached: order, cachedOutputs: ['5'], cachedSources: [] });
  });
});
