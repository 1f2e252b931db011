import assert from 'node:assert/strict';
import type { ProbeResult } from '../../../src/core/scheduler/targets/runTarget';
import type { RunTarget } from '../../../src/core/scheduler/targets/runTarget';
import type { Scheduler } from '../../../src/core/scheduler/scheduler';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { FakeTarget } from '../../fakes/fakeTarget';
import { flush, record, spec, stateOf, testScheduler } from './schedulerKit';

/** Fails the test the moment a target holds more than `perTarget(t)` jobs or the pool more than `cap`. */
function capsWatch(
  s: Scheduler,
  targets: FakeTarget[],
  perTarget: (t: FakeTarget) => number,
  cap: () => number,
) {
  const breaches: string[] = [];
  s.subscribe(() => {
    for (const t of targets) if (t.pending().length > perTarget(t)) breaches.push(`${t.name} over its slots`);
    const total = targets.reduce((n, t) => n + t.pending().length, 0);
    if (total > cap()) breaches.push(`pool over the global cap (${total})`);
  });
  return breaches;
}

async function drain(s: Scheduler, targets: FakeTarget[]): Promise<void> {
  for (let p = targets.flatMap((t) => t.pending()); p.length > 0; p = targets.flatMap((t) => t.pending())) {
    p[0]!.succeed();
    await flush();
  }
  await s.onIdle();
}

describe('scheduler: the pool', () => {
  it('never exceeds per-target slots or the global cap, and raising the cap starts work at once', async () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const s = testScheduler({
      targets: [
        { target: a, slots: 2 },
        { target: b, slots: 3 },
      ],
      concurrency: 3,
    });
    let cap = 3;
    const breaches = capsWatch(
      s,
      [a, b],
      (t) => (t === a ? 2 : 3),
      () => cap,
    );
    for (let i = 0; i < 20; i++) s.add(spec());
    assert.equal(a.pending().length + b.pending().length, 3);
    cap = 5;
    s.concurrency = 5;
    assert.equal(a.pending().length, 2, 'raising the cap dispatched in the same call');
    assert.equal(b.pending().length, 3);
    await drain(s, [a, b]);
    assert.deepEqual(breaches, []);
    assert.equal(a.runs.length + b.runs.length, 20);
  });

  it('lowering the cap stops nothing running and holds new work back', async () => {
    const a = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: a, slots: 4 }] });
    for (let i = 0; i < 6; i++) s.add(spec());
    assert.equal(a.pending().length, 4);
    s.concurrency = 1;
    a.pending()[0]!.succeed();
    await flush();
    assert.equal(a.pending().length, 3, 'no new job while above the cap');
    assert.throws(
      () => (s.concurrency = 0),
      (e) => isRunnerError(e, 'bad_input'),
    );
  });

  it('uses a free slot before a prefetch slot, and fills the prefetch slot of the target closest to done', () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const s = testScheduler({
      targets: [
        { target: a, prefetch: true },
        { target: b, prefetch: true },
      ],
    });
    const j1 = s.add(spec());
    const j2 = s.add(spec());
    assert.equal(a.runOf(j1.id).job.id, j1.id);
    assert.equal(b.runOf(j2.id).job.id, j2.id, 'the free slot of b before the prefetch slot of a');
    const runB = b.runOf(j2.id);
    runB.start();
    runB.hooks.event({
      type: 'progress_state',
      data: { prompt_id: 'p', nodes: { '1': { state: 'running', value: 9, max: 10, node_id: '1' } } },
    });
    const j3 = s.add(spec());
    assert.equal(b.runOf(j3.id).job.id, j3.id, 'b is closer to done');
    const j4 = s.add(spec());
    assert.equal(a.runOf(j4.id).job.id, j4.id);
    s.add(spec());
    assert.equal(a.runs.length + b.runs.length, 4, 'slots plus one prefetch each, no more');
  });

  it('spreads jobs across targets by the share of slots in use', () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const s = testScheduler({
      targets: [
        { target: a, slots: 2 },
        { target: b, slots: 2 },
      ],
    });
    for (let i = 0; i < 4; i++) s.add(spec());
    assert.deepEqual([a.runs.length, b.runs.length], [2, 2]);
    assert.deepEqual(
      s.view().targets.map((t) => t.used),
      [2, 2],
    );
  });

  it('sends a job only to the targets it is pinned to, by name or tag', () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const c = new FakeTarget('c');
    const s = testScheduler({ targets: [{ target: a }, { target: b, tags: ['sdxl'] }, { target: c }] });
    const byTag = s.add(spec({ runOn: { tags: ['sdxl'] } }));
    const byName = s.add(spec({ runOn: { targets: ['c'] } }));
    assert.equal(s.job(byTag.id)!.server, 'b');
    assert.equal(s.job(byName.id)!.server, 'c');
    const waits = s.add(spec({ runOn: { targets: ['b'] } }));
    assert.equal(stateOf(s, waits.id), 'queued', 'b is busy; a is free but not allowed');
    assert.equal(a.runs.length, 0);
  });

  it('a disabled target receives no jobs until enabled again', () => {
    const a = new FakeTarget('a');
    const s = testScheduler({ targets: [{ target: a, enabled: false }] });
    const events = record(s);
    const job = s.add(spec());
    assert.equal(stateOf(s, job.id), 'queued');
    s.setTargetEnabled('a', true);
    assert.equal(stateOf(s, job.id), 'dispatching');
    assert.ok(events.some((e) => e.type === 'target/changed' && e.target.enabled));
  });

  it('a target the probe finds down receives no jobs; coming up again it does', async () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const health = new Map<RunTarget, ProbeResult>([
      [a, { up: true }],
      [b, { up: false, reason: 'connection refused' }],
    ]);
    const s = testScheduler({
      targets: [{ target: a }, { target: b }],
      probe: (t) => Promise.resolve(health.get(t)!),
    });
    const events = record(s);
    await s.refreshHealth();
    assert.deepEqual(
      s.view().targets.map((t) => [t.health, t.healthReason]),
      [
        ['up', undefined],
        ['down', 'connection refused'],
      ],
    );
    s.add(spec());
    s.add(spec());
    assert.equal(b.runs.length, 0);
    health.set(b, { up: true });
    await s.refreshHealth('b');
    assert.equal(b.runs.length, 1);
    assert.ok(
      events.some((e) => e.type === 'target/health' && e.target.name === 'b' && e.target.health === 'up'),
    );
  });

  it('a probe that throws counts as down; nothing is dispatched before the first probe answers', async () => {
    const a = new FakeTarget('a');
    const s = testScheduler({
      targets: [{ target: a }],
      probe: () => Promise.reject(new Error('ECONNREFUSED')),
    });
    s.add(spec());
    assert.equal(s.view().targets[0]!.health, 'unknown');
    assert.equal(a.runs.length, 0);
    await s.refreshHealth();
    assert.equal(s.view().targets[0]!.healthReason, 'ECONNREFUSED');
    assert.equal(a.runs.length, 0);
  });

  it('a submission that finds the server unreachable marks the target down until a probe finds it up', async () => {
    const a = new FakeTarget('a');
    const b = new FakeTarget('b');
    const s = testScheduler({ targets: [{ target: a }, { target: b, enabled: false }] });
    const first = s.add(spec());
    const second = s.add(spec());
    a.runOf(first.id).fail('server_unreachable', 'ECONNREFUSED');
    await flush();
    assert.equal(stateOf(s, first.id), 'failed', 'no silent retry');
    assert.equal(s.view().targets[0]!.health, 'down');
    assert.equal(stateOf(s, second.id), 'queued', 'the rest of the queue is not burnt on a dead server');
    await s.refreshHealth();
    assert.equal(a.runOf(second.id).job.id, second.id);
  });

  it('a target can join later and takes waiting jobs at once', () => {
    const s = testScheduler({});
    const job = s.add(spec());
    const late = new FakeTarget('late');
    s.addTarget({ target: late });
    assert.equal(stateOf(s, job.id), 'dispatching');
    assert.throws(
      () => s.addTarget({ target: new FakeTarget('late') }),
      (e) => isRunnerError(e, 'bad_input'),
    );
  });

  it('the view is plain JSON with targets, slots used and jobs', () => {
    const a = new FakeTarget('a');
    const s = testScheduler({
      targets: [{ target: a, slots: 1, prefetch: true, tags: ['x'] }],
      concurrency: 10,
    });
    s.add(spec());
    const view = s.view();
    assert.deepEqual(JSON.parse(JSON.stringify(view)), view);
    assert.deepEqual(view.targets[0], {
      name: 'a',
      version: 'fake',
      tags: ['x'],
      enabled: true,
      health: 'up',
      slots: 1,
      prefetch: true,
      used: 1,
      capabilities: 'any',
    });
    assert.equal(view.concurrency, 10);
    assert.equal(view.running, 1);
  });
});
