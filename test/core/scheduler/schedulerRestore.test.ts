import assert from 'node:assert/strict';
import { applyOperation, createJob, type Job } from '../../../src/core/jobs/job';
import type { JobOperation } from '../../../src/core/jobs/jobState';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { FakeTarget } from '../../fakes/fakeTarget';
import { flush, record, spec, stateOf, testScheduler } from './schedulerKit';

/** A stored job that went through these operations. */
function stored(ops: JobOperation[], extra: Partial<Job> = {}, queuedAt = 1000): Job {
  const job = createJob(spec(), queuedAt);
  for (const op of ops) applyOperation(job, op, queuedAt + 1);
  return Object.assign(job, extra);
}

describe('scheduler: restoring jobs from a store', () => {
  it('queued jobs join the queue in the order they were first queued; ended ones stay as history', async () => {
    const t = new FakeTarget('a');
    const changed: Job[] = [];
    const s = testScheduler({ targets: [{ target: t }], onJobChanged: (j) => changed.push(j) });
    const events = record(s);
    const later = stored([], {}, 2000);
    const earlier = stored([], {}, 1000);
    const done = stored(['dispatch', 'start', 'succeed']);
    s.restore([later, earlier, done]);
    assert.equal(t.runs[0]!.job.id, earlier.id);
    assert.equal(stateOf(s, done.id), 'succeeded');
    assert.equal(events.filter((e) => e.type === 'job/added').length, 3);
    assert.ok(!changed.some((j) => j.id === done.id), 'unchanged records are not written back');
    t.runOf(earlier.id).succeed();
    await flush();
    assert.equal(t.runs[1]!.job.id, later.id);
  });

  it('a job that was on a target without `resume` is lost, and its dependents fail', () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const running = stored(['dispatch', 'start'], { server: 'a', promptId: 'p1' });
    const dependent = stored([], { dependsOn: [running.id] });
    s.restore([running, dependent]);
    assert.equal(stateOf(s, running.id), 'lost');
    assert.equal(s.job(running.id)!.error?.reason, 'lost');
    assert.equal(s.job(dependent.id)!.error?.dependency, running.id);
    assert.equal(t.runs.length, 0);
  });

  it('a job that was on a target with `resume` is followed again to its end, taking its slot', async () => {
    const t = new FakeTarget('a', { resumable: true });
    const s = testScheduler({ targets: [{ target: t }] });
    const running = stored(['dispatch', 'start'], { server: 'a', promptId: 'p1' });
    const queued = stored([]);
    s.restore([running, queued]);
    assert.equal(t.runs.length, 1);
    assert.equal(t.runs[0]!.resumed, true);
    assert.equal(stateOf(s, queued.id), 'queued', 'the resumed job holds the only slot');
    t.runs[0]!.succeed();
    await flush();
    assert.equal(stateOf(s, running.id), 'succeeded');
    assert.equal(t.runs[1]!.job.id, queued.id);
  });

  it('restored dependencies are honoured, and ids already known are refused', () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }], paused: true });
    const ok = stored(['dispatch', 'start', 'succeed']);
    const next = stored([], { dependsOn: [ok.id] });
    s.restore([next, ok]);
    s.resume();
    assert.equal(stateOf(s, next.id), 'dispatching');
    assert.throws(
      () => s.restore([ok]),
      (e) => isRunnerError(e, 'bad_input'),
    );
  });

  it('a retry of a restored job links to the newest restored attempt', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t, slots: 2 }] });
    const a1 = stored(['fail']);
    const a2 = stored(['fail'], { attempt: 2, retryOf: a1.id });
    const b = stored(['fail'], { dependsOn: [a1.id] });
    s.restore([a1, a2, b]);
    const b2 = s.retry(b.id);
    assert.deepEqual(b2.dependsOn, [a2.id]);
    await flush();
    assert.equal(stateOf(s, b2.id), 'failed', 'a2 failed too');
  });

  it('onJobChanged receives copies of every changed record, enough for a store to follow', async () => {
    const t = new FakeTarget('a');
    const latest = new Map<string, Job>();
    const s = testScheduler({ targets: [{ target: t }], onJobChanged: (j) => latest.set(j.id, j) });
    const job = s.add(spec());
    t.runOf(job.id).start();
    t.runOf(job.id).succeed();
    await s.onIdle();
    assert.deepEqual(latest.get(job.id), s.job(job.id));
    latest.get(job.id)!.state = 'failed';
    assert.equal(stateOf(s, job.id), 'succeeded', 'a copy, not the live record');
  });
});
