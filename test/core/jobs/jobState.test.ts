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
const operations: JobOperation[] = [
  'dispatch',
  'start',
  'requeue',
  'restart',
  'succeed',
  'fail',
  'cancel',
  'lose',
];
const terminal: JobState[] = ['succeeded', 'failed', 'cancelled', 'lost'];

/**
 * The legal moves, written out by hand from the lifecycle that src/core/jobs/jobState.ts describes, so
 * that a change to its table fails here: from each state, the operations it allows and where each leads.
 * An operation missing from a state's entry is refused there.
 */
const legalMoves: Record<JobState, Partial<Record<JobOperation, JobState>>> = {
  // Waiting for a server: picked for one, rejected before submission, or cancelled by the user.
  queued: { dispatch: 'dispatching', fail: 'failed', cancel: 'cancelled' },
  // Being submitted: the server starts it, submission failed and it waits again, it is rejected,
  // cancelled, or the server no longer knows it.
  dispatching: { start: 'running', requeue: 'queued', fail: 'failed', cancel: 'cancelled', lose: 'lost' },
  // On the server: every output collected, a node raised, cancelled or interrupted, or forgotten; or on
  // the embedded engine when the runner stopped, and so waiting to run again.
  running: { succeed: 'succeeded', fail: 'failed', cancel: 'cancelled', lose: 'lost', restart: 'queued' },
  // Final states: a retry is a new job.
  succeeded: {},
  failed: {},
  cancelled: {},
  lost: {},
};

describe('job state transitions', () => {
  it('has exactly the eight operations dispatch, start, requeue, restart, succeed, fail, cancel and lose', () => {
    assert.deepEqual(Object.keys(jobTransitions).sort(), [...operations].sort());
  });

  it('counts exactly succeeded, failed, cancelled and lost as terminal', () => {
    assert.deepEqual([...terminalStates].sort(), [...terminal].sort());
  });

  for (const op of operations) {
    for (const state of states) {
      const to = legalMoves[state][op];
      if (to) {
        it(`${op} moves a ${state} job to ${to}`, () => {
          assert.equal(canApply(state, op), true);
          assert.equal(nextState(state, op), to);
        });
      } else {
        it(`${op} is refused for a ${state} job`, () => {
          assert.equal(canApply(state, op), false);
          assert.throws(
            () => nextState(state, op),
            (e) => isRunnerError(e, 'internal'),
          );
        });
      }
    }
  }

  it('no operation leaves a terminal state', () => {
    for (const state of terminal) for (const op of operations) assert.equal(canApply(state, op), false);
  });

  it('every non-terminal state can be cancelled', () => {
    for (const state of states.filter((s) => !terminal.includes(s)))
      assert.equal(canApply(state, 'cancel'), true);
  });
});
