import assert from 'node:assert/strict';
import { isRunnerError } from '../../../src/core/util/runnerError';
import {
  canApply,
  jobTransitions,
  nextState,
  terminalStates,
  type JobOperation,
  type JobState,
} from '../../../src/core/jobs/jobState';

const states: JobState[] = ['queued', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled', 'lost'];
const operations = Object.keys(jobTransitions) as JobOperation[];

describe('job state transitions', () => {
  for (const op of operations) {
    for (const state of states) {
      const legal = jobTransitions[op].from.includes(state);
      if (legal) {
        it(`${op} moves a ${state} job to ${jobTransitions[op].to}`, () => {
          assert.equal(nextState(state, op), jobTransitions[op].to);
        });
      } else {
        it(`${op} is refused for a ${state} job`, () => {
          assert.throws(
            () => nextState(state, op),
            (e) => isRunnerError(e, 'internal'),
          );
        });
      }
    }
  }

  it('no operation leaves a terminal state', () => {
    for (const state of terminalStates) for (const op of operations) assert.equal(canApply(state, op), false);
  });

  it('every non-terminal state can be cancelled', () => {
    for (const state of states.filter((s) => !terminalStates.has(s)))
      assert.equal(canApply(state, 'cancel'), true);
  });
});
