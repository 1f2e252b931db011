import assert from 'node:assert/strict';
import type { Job } from '../../../src/core/jobs/job';
import { FakeTarget } from '../../fakes/fakeTarget';
import { flush, record, spec, stateOf, statePath, testScheduler } from './schedulerKit';

describe('scheduler: job states', () => {
  it('queued -> dispatching -> running -> succeeded, with events and records in order', async () => {
    const t = new FakeTarget('gpu-1');
    const changed: Job[] = [];
    const s = testScheduler({ targets: [{ target: t }], onJobChanged: (j) => changed.push(j) });
    const events = record(s);
    const job = s.add(spec());
    assert.equal(stateOf(s, job.id), 'dispatching');
    t.runOf(job.id).start();
    assert.equal(stateOf(s, job.id), 'running');
    assert.equal(s.job(job.id)!.promptId, `prompt-${job.id}`);
    t.runOf(job.id).succeed();
    await s.onIdle();
    assert.deepEqual(statePath(events, job.id), ['queued', 'dispatching', 'running', 'succeeded']);
    assert.equal(events[0]!.type, 'job/added');
    assert.deepEqual(
      changed.map((j) => j.state),
      ['queued', 'dispatching', 'dispatching', 'running', 'succeeded'],
    );
    const done = s.job(job.id)!;
    assert.equal(done.server, 'gpu-1');
    assert.ok(done.times.dispatched !== undefined && done.times.started !== undefined && done.times.finished);
  });

  it('a success reported without `started` still passes through running', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const job = s.add(spec());
    t.runOf(job.id).succeed();
    await s.onIdle();
    assert.deepEqual(statePath(events, job.id), ['queued', 'dispatching', 'running', 'succeeded']);
  });

  it('dispatching -> failed when the target rejects the prompt, with the reason kept', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const job = s.add(spec());
    t.runOf(job.id).fail('prompt_rejected', 'no such node');
    await s.onIdle();
    assert.deepEqual(statePath(events, job.id), ['queued', 'dispatching', 'failed']);
    assert.equal(s.job(job.id)!.error?.reason, 'prompt_rejected');
  });

  it('running -> failed on an execution error', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const job = s.add(spec());
    t.runOf(job.id).start();
    t.runOf(job.id).error('CUDA out of memory');
    await s.onIdle();
    assert.deepEqual(statePath(events, job.id), ['queued', 'dispatching', 'running', 'failed']);
    assert.equal(s.job(job.id)!.error?.reason, 'execution_failed');
  });

  it('running -> lost when the target no longer knows the prompt', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const job = s.add(spec());
    t.runOf(job.id).start();
    t.runOf(job.id).fail('lost');
    await s.onIdle();
    assert.deepEqual(statePath(events, job.id), ['queued', 'dispatching', 'running', 'lost']);
  });

  it('queued -> cancelled at once, never reaching a target', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const first = s.add(spec());
    const queued = s.add(spec());
    assert.equal(s.cancel(queued.id), true);
    assert.deepEqual(statePath(events, queued.id), ['queued', 'cancelled']);
    t.runOf(first.id).succeed();
    await s.onIdle();
    assert.deepEqual(
      t.runs.map((r) => r.job.id),
      [first.id],
    );
    assert.equal(s.cancel(queued.id), false, 'an ended job cannot be cancelled again');
  });

  it('running -> cancelled only when the target confirms the abort', async () => {
    const t = new FakeTarget('gpu-1', { confirmAbort: false });
    const s = testScheduler({ targets: [{ target: t }] });
    const job = s.add(spec());
    const run = t.runOf(job.id);
    run.start();
    assert.equal(s.cancel(job.id), true);
    assert.equal(run.signal.aborted, true);
    await flush();
    assert.equal(stateOf(s, job.id), 'running');
    assert.equal(s.view().jobs[0]!.cancelling, true);
    run.interrupt();
    await s.onIdle();
    assert.equal(stateOf(s, job.id), 'cancelled');
  });

  it('a cancelled job whose target reports an error ends cancelled, not failed', async () => {
    const t = new FakeTarget('gpu-1', { confirmAbort: false });
    const s = testScheduler({ targets: [{ target: t }] });
    const job = s.add(spec());
    s.cancel(job.id);
    t.runOf(job.id).fail('interrupted');
    await s.onIdle();
    assert.equal(stateOf(s, job.id), 'cancelled');
  });

  it('late hooks from an ended run do not touch the job', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const job = s.add(spec());
    const run = t.runOf(job.id);
    run.succeed();
    await s.onIdle();
    run.hooks.warning('too late');
    run.hooks.accepted('other');
    assert.deepEqual(s.job(job.id)!.warnings, []);
    assert.equal(s.job(job.id)!.promptId, undefined);
  });

  it('never runs a job twice, over many jobs, targets and random endings', async () => {
    const targets = ['a', 'b', 'c'].map((n) => new FakeTarget(n));
    const s = testScheduler({
      targets: targets.map((target, i) => ({ target, slots: i + 1, prefetch: i === 0 })),
    });
    const ids = Array.from({ length: 60 }, (_, i) => s.add(spec({ priority: i % 3 })).id);
    let step = 0;
    for (let pending = targets.flatMap((t) => t.pending()); pending.length > 0;) {
      const run = pending[step++ % pending.length]!;
      if (step % 7 === 0) s.cancel(run.job.id);
      else if (step % 5 === 0) run.error();
      else run.succeed();
      await flush();
      pending = targets.flatMap((t) => t.pending());
    }
    await s.onIdle();
    const runs = targets.flatMap((t) => t.runs.map((r) => r.job.id));
    assert.equal(new Set(runs).size, runs.length);
    assert.deepEqual(new Set(runs), new Set(ids));
  });

  it('progress and ComfyUI events pass through, and warnings land on the job', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }], progressIntervalMs: 0 });
    const events = record(s);
    const job = s.add(spec());
    const run = t.runOf(job.id);
    run.start();
    run.hooks.event({ type: 'executing', data: { node: '1' } });
    run.hooks.event({ type: 'progress', data: { node: '1', value: 3, max: 10 } });
    run.hooks.warning('partial validation');
    assert.deepEqual(s.progressOf(job.id)!.running, { '1': { value: 3, max: 10 } });
    run.succeed();
    await s.onIdle();
    assert.deepEqual(
      events.flatMap((e) => (e.type === 'job/comfy' ? [[e.jobId, e.event.type]] : [])),
      [
        [job.id, 'executing'],
        [job.id, 'progress'],
      ],
    );
    const progress = events.flatMap((e) => (e.type === 'job/progress' ? [e] : []));
    assert.ok(progress.length > 0);
    assert.ok(progress.every((e) => e.jobId === job.id));
    assert.deepEqual(s.job(job.id)!.warnings, ['partial validation']);
  });

  it('keeps `new Scheduler({ target, concurrency })` working: a pool of one with that many slots', async () => {
    const t = new FakeTarget('embedded');
    const s = testScheduler({ target: t, concurrency: 3 });
    for (let i = 0; i < 5; i++) s.add(spec());
    assert.equal(t.pending().length, 3);
    assert.equal(s.view().targets[0]!.slots, 3);
    for (const r of t.pending()) r.succeed();
    await flush();
    assert.equal(t.pending().length, 2);
    for (const r of t.pending()) r.succeed();
    await s.onIdle();
  });
});
