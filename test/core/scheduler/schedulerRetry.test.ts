import assert from 'node:assert/strict';
import { isRunnerError } from '../../../src/core/util/runnerError';
import type { Job } from '../../../src/core/jobs/job';
import { shouldAutoRetry, type AutoRetryContext } from '../../../src/core/scheduler/retryPolicy';
import { FakeTarget } from '../../fakes/fakeTarget';
import { flush, record, spec, stateOf, statePath, testScheduler } from './schedulerKit';

describe('scheduler: retries', () => {
  it('never retries silently: a failure is final by default', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const job = s.add(spec());
    t.runOf(job.id).fail('server_unreachable');
    await s.onIdle();
    assert.equal(stateOf(s, job.id), 'failed');
    assert.equal(t.runs.length, 1);
    assert.equal(s.snapshot().length, 1);
  });

  it('retry makes a new linked job with the next attempt, same prompt and overrides, a new folder', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const old = s.add(spec({ overrides: [{ node: '1', input: 'seed', value: 7 }], priority: 3 }));
    t.runOf(old.id).error();
    await s.onIdle();
    const retry = s.retry(old.id);
    assert.notEqual(retry.id, old.id);
    assert.equal(retry.attempt, 2);
    assert.equal(retry.retryOf, old.id);
    assert.deepEqual(retry.prompt, old.prompt);
    assert.deepEqual(retry.overrides, old.overrides);
    assert.equal(retry.priority, 3);
    assert.equal(retry.outDir, `${old.outDir}-retry2`);
    assert.equal(stateOf(s, retry.id), 'dispatching');
    assert.equal(stateOf(s, old.id), 'failed', 'the old job keeps its outcome');
    t.runOf(retry.id).error();
    await s.onIdle();
    const again = s.retry(old.id);
    assert.equal(again.attempt, 3, 'numbered after the newest attempt');
    assert.equal(again.outDir, `${old.outDir}-retry3`);
  });

  it('retry can pin the new job to a target, and takes a caller-supplied folder', async () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const s = testScheduler({
      targets: [{ target: a }, { target: b }],
      retryOutDir: (previous, attempt) => `${previous.outDir}/again-${attempt}`,
    });
    const old = s.add(spec());
    s.cancel(old.id);
    await s.onIdle();
    const retry = s.retry(old.id, { target: 'b' });
    assert.equal(retry.outDir, `${old.outDir}/again-2`);
    assert.equal(s.job(retry.id)!.server, 'b');
    assert.deepEqual(retry.runOn, { targets: ['b'] });
  });

  it('refuses to retry a job that did not fail, or to pin to an unknown target', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const job = s.add(spec());
    assert.throws(
      () => s.retry(job.id),
      (e) => isRunnerError(e, 'bad_input'),
    );
    t.runOf(job.id).error();
    await s.onIdle();
    assert.throws(
      () => s.retry(job.id, { target: 'nope' }),
      (e) => isRunnerError(e, 'bad_input'),
    );
    assert.equal(s.snapshot().length, 1, 'a refused retry adds no job');
  });

  it('refuses to retry a job it does not know', () => {
    const s = testScheduler({ targets: [{ target: new FakeTarget('a') }] });
    assert.throws(
      () => s.retry('nope'),
      (e) => isRunnerError(e, 'bad_input'),
    );
  });

  it('a retried dependent waits for the retry of its failed dependency', async () => {
    const t = new FakeTarget('a', {});
    const s = testScheduler({ targets: [{ target: t, slots: 2 }] });
    const a = s.add(spec());
    const b = s.add(spec({ dependsOn: [a.id] }));
    t.runOf(a.id).error();
    await s.onIdle();
    const a2 = s.retry(a.id);
    const b2 = s.retry(b.id);
    assert.deepEqual(b2.dependsOn, [a2.id]);
    assert.equal(stateOf(s, b2.id), 'queued');
    t.runOf(a2.id).succeed();
    await flush();
    assert.equal(stateOf(s, b2.id), 'dispatching');
  });

  it('automatic retry, opted into per target, resubmits a job whose submission failed before it started', async () => {
    const a = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: a, autoRetry: { maxAttempts: 3 } }] });
    const events = record(s);
    const job = s.add(spec());
    a.runOf(job.id).fail('timeout', 'POST /prompt timed out');
    await flush();
    assert.equal(a.runs.length, 2);
    a.runOf(job.id).fail('timeout');
    await flush();
    assert.equal(a.runs.length, 3);
    a.runOf(job.id).fail('timeout');
    await s.onIdle();
    const done = s.job(job.id)!;
    assert.equal(done.state, 'failed', 'attempts are used up');
    assert.equal(done.autoRetries?.length, 2);
    assert.deepEqual(
      done.autoRetries!.map((r) => [r.reason, r.target]),
      [
        ['timeout', 'a'],
        ['timeout', 'a'],
      ],
    );
    assert.equal(done.autoRetries![0]!.message, 'POST /prompt timed out');
    assert.deepEqual(statePath(events, job.id).slice(0, 5), [
      'queued',
      'dispatching',
      'queued',
      'dispatching',
      'queued',
    ]);
    assert.equal(events.filter((e) => e.type === 'job/autoRetry').length, 2);
  });

  it('an unreachable server is retried on another target, the first one being down', async () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const s = testScheduler({ targets: [{ target: a, autoRetry: { maxAttempts: 2 } }, { target: b }] });
    const busy = s.add(spec({ runOn: { targets: ['b'] } }));
    const job = s.add(spec());
    assert.equal(s.job(job.id)!.server, 'a');
    b.runOf(busy.id).succeed();
    a.runOf(job.id).fail('server_unreachable');
    await flush();
    assert.equal(s.job(job.id)!.server, 'b');
    assert.deepEqual(
      s.job(job.id)!.autoRetries!.map((r) => r.target),
      ['a'],
    );
  });

  it('never retries automatically after the job started, after acceptance, or for an execution error', async () => {
    const a = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: a, autoRetry: { maxAttempts: 5 } }] });
    const ran = (run: (j: Job) => void): Job => {
      const job = s.add(spec());
      run(job);
      return job;
    };
    const started = ran((j) => {
      a.runOf(j.id).start();
      a.runOf(j.id).fail('timeout');
    });
    await flush();
    const accepted = ran((j) => {
      a.runOf(j.id).hooks.accepted('p1');
      a.runOf(j.id).fail('server_unreachable');
    });
    await flush();
    assert.equal(s.view().targets[0]!.health, 'down');
    await s.refreshHealth();
    const execution = ran((j) => a.runOf(j.id).error('OOM'));
    await s.onIdle();
    for (const j of [started, accepted, execution]) {
      assert.equal(stateOf(s, j.id), 'failed');
      assert.equal(s.job(j.id)!.autoRetries, undefined);
    }
    assert.equal(a.runs.length, 3);
  });

  it('the one retry decision says no unless every condition holds', () => {
    const job = { autoRetries: [] } as unknown as Job;
    const yes: AutoRetryContext = {
      job,
      error: { message: 'x', reason: 'server_unreachable' },
      autoRetry: { maxAttempts: 2 },
      accepted: false,
      started: false,
      cancelRequested: false,
    };
    assert.equal(shouldAutoRetry(yes), true);
    assert.equal(shouldAutoRetry({ ...yes, autoRetry: undefined }), false);
    assert.equal(shouldAutoRetry({ ...yes, accepted: true }), false);
    assert.equal(shouldAutoRetry({ ...yes, started: true }), false);
    assert.equal(shouldAutoRetry({ ...yes, cancelRequested: true }), false);
    assert.equal(shouldAutoRetry({ ...yes, error: { message: 'x', reason: 'prompt_rejected' } }), false);
    assert.equal(shouldAutoRetry({ ...yes, autoRetry: { maxAttempts: 1 } }), false);
  });

  it('a custom retry decision replaces the default', async () => {
    const a = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: a }], shouldAutoRetry: (c) => !c.job.autoRetries?.length });
    const job = s.add(spec());
    a.runOf(job.id).fail('prompt_rejected');
    await flush();
    a.runOf(job.id).fail('prompt_rejected');
    await s.onIdle();
    assert.equal(a.runs.length, 2);
    assert.equal(stateOf(s, job.id), 'failed');
  });
});
