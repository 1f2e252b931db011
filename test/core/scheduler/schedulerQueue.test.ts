import assert from 'node:assert/strict';
import type { Job } from '../../../src/core/jobs/job';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { FakeTarget } from '../../fakes/fakeTarget';
import { flush, record, spec, stateOf, testScheduler } from './schedulerKit';

/** Succeeds the one pending run of `t` and waits for the next dispatch; returns the job it ran. */
async function finishNext(t: FakeTarget): Promise<string> {
  const [run] = t.pending();
  run!.succeed();
  await flush();
  return run!.job.id;
}

describe('scheduler: queue order, pause and dependencies', () => {
  it('runs higher priorities first and equal ones in the order they came', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }], paused: true });
    const low = s.add(spec({ priority: -1 }));
    const mid1 = s.add(spec());
    const high = s.add(spec({ priority: 10 }));
    const mid2 = s.add(spec());
    s.resume();
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push(await finishNext(t));
    assert.deepEqual(order, [high.id, mid1.id, mid2.id, low.id]);
  });

  it('reorders queued jobs: to the top, up, down; a moved job takes its new neighbours priority', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }], paused: true });
    const events = record(s);
    const [a, b, c] = [s.add(spec()), s.add(spec()), s.add(spec({ priority: -5 }))];
    assert.equal(s.reorder(c.id, 'toTop'), true);
    assert.equal(s.job(c.id)!.priority, 0);
    assert.deepEqual(
      s.view().jobs.map((j) => j.position),
      [1, 2, 0],
    );
    s.reorder(a.id, 'down');
    s.reorder(c.id, 'down');
    const moved = events.filter((e) => e.type === 'job/moved');
    assert.deepEqual(moved.at(-1), { type: 'job/moved', jobId: c.id, priority: 0, position: 1 });
    s.resume();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push(await finishNext(t));
    assert.deepEqual(order, [b.id, c.id, a.id]);
    assert.equal(s.reorder(a.id, 'up'), false, 'only queued jobs move');
  });

  it('setPriority moves a queued job behind the jobs of its new priority', () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }], paused: true });
    const [a, b] = [s.add(spec({ priority: 1 })), s.add(spec())];
    assert.equal(s.setPriority(b.id, 2), true);
    s.resume();
    assert.equal(t.runs[0]!.job.id, b.id);
    assert.equal(s.setPriority(b.id, 3), false);
    assert.equal(s.job(a.id)!.state, 'queued');
  });

  it('pause stops dispatching while running jobs go on; resume dispatches at once', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const running = s.add(spec());
    const waiting = s.add(spec());
    s.pause();
    t.runOf(running.id).start();
    t.runOf(running.id).succeed();
    await flush();
    assert.equal(stateOf(s, running.id), 'succeeded');
    assert.equal(stateOf(s, waiting.id), 'queued');
    assert.equal(s.view().paused, true);
    s.resume();
    assert.equal(stateOf(s, waiting.id), 'dispatching');
    assert.deepEqual(
      events
        .filter((e) => e.type === 'scheduler/changed')
        .map((e) => e.type === 'scheduler/changed' && e.paused),
      [true, false],
    );
  });

  it('a job starts only after all its dependencies succeeded', async () => {
    const t = new FakeTarget('a', {});
    const s = testScheduler({ targets: [{ target: t, slots: 3 }] });
    const a = s.add(spec());
    const b = s.add(spec());
    const c = s.add(spec({ dependsOn: [a.id, b.id] }));
    assert.equal(stateOf(s, c.id), 'queued');
    assert.deepEqual(s.view().jobs[2]!.waitingFor, [a.id, b.id]);
    t.runOf(a.id).succeed();
    await flush();
    assert.equal(stateOf(s, c.id), 'queued');
    t.runOf(b.id).succeed();
    await flush();
    assert.equal(stateOf(s, c.id), 'dispatching');
    const d = s.add(spec({ dependsOn: [a.id] }));
    assert.equal(stateOf(s, d.id), 'dispatching', 'a dependency that already succeeded is done');
  });

  it('a failed, cancelled or lost dependency fails its dependents unrun, naming it, down the chain', async () => {
    const t = new FakeTarget('a', { confirmAbort: true });
    const s = testScheduler({ targets: [{ target: t }] });
    const a = s.add(spec());
    const b = s.add(spec({ dependsOn: [a.id] }));
    const c = s.add(spec({ dependsOn: [b.id] }));
    t.runOf(a.id).error();
    await s.onIdle();
    const [jb, jc] = [s.job(b.id)!, s.job(c.id)!];
    assert.equal(jb.state, 'failed');
    assert.equal(jb.error?.reason, 'dependency_failed');
    assert.equal(jb.error?.dependency, a.id);
    assert.equal(jc.error?.dependency, b.id);
    assert.deepEqual(
      t.runs.map((r) => r.job.id),
      [a.id],
    );

    const x = s.add(spec());
    const y = s.add(spec({ dependsOn: [x.id] }));
    s.cancel(x.id);
    await s.onIdle();
    assert.equal(s.job(y.id)!.error?.dependency, x.id);
    assert.match(s.job(y.id)!.error!.message, new RegExp(x.id));
  });

  it('a dependency lost on its target fails the dependent too', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const a = s.add(spec());
    const b = s.add(spec({ dependsOn: [a.id] }));
    t.runOf(a.id).fail('lost');
    await s.onIdle();
    assert.equal(s.job(b.id)!.error?.dependency, a.id);
  });

  it('depending on an ended failure fails at once; an unknown dependency is refused', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    const a = s.add(spec());
    s.cancel(a.id);
    await s.onIdle();
    const b = s.add(spec({ dependsOn: [a.id] }));
    assert.equal(stateOf(s, b.id), 'failed');
    assert.throws(
      () => s.add(spec({ dependsOn: ['nope'] })),
      (e) => isRunnerError(e, 'bad_input'),
    );
  });

  it('a long chain of dependents fails without deep recursion', async () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t }] });
    let prev: Job = s.add(spec());
    const first = prev;
    for (let i = 0; i < 20_000; i++) prev = s.add(spec({ dependsOn: [prev.id] }));
    t.runOf(first.id).error();
    await s.onIdle();
    assert.equal(stateOf(s, prev.id), 'failed');
  });

  it('jobs waiting for dependencies do not hold back ready jobs behind them', () => {
    const t = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: t, slots: 2 }] });
    const a = s.add(spec());
    s.add(spec({ dependsOn: [a.id], priority: 5 }));
    const ready = s.add(spec());
    assert.equal(stateOf(s, ready.id), 'dispatching');
  });
});
