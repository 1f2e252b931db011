import assert from 'node:assert/strict';
import type { NodeDefs } from '../../../src/core/workflow/types';
import { defsOf, FakeTarget } from '../../fakes/fakeTarget';
import { flush, record, spec, stateOf, testScheduler } from './schedulerKit';

/** Definitions that arrive when the test says so. */
function deferredDefs() {
  let resolve!: (defs: NodeDefs) => void;
  const promise = new Promise<NodeDefs>((r) => (resolve = r));
  return { load: () => promise, resolve };
}

describe('scheduler: capability matching', () => {
  it('sends a job only to a target that has its node classes', async () => {
    const plain = new FakeTarget('plain', { defs: defsOf('KSampler') });
    const custom = new FakeTarget('custom', { defs: defsOf('KSampler', 'IPAdapterApply') });
    const s = testScheduler({ targets: [{ target: plain }, { target: custom }] });
    await s.refreshHealth();
    const job = s.add(spec({}, ['KSampler', 'IPAdapterApply']));
    assert.equal(s.job(job.id)!.server, 'custom');
    assert.equal(plain.runs.length, 0);
  });

  it('blocks a job no target can run, explaining server by server, and runs it when one can', async () => {
    const g2 = new FakeTarget('gpu-2', { defs: defsOf('KSampler') });
    const g3 = new FakeTarget('gpu-3', { defs: defsOf('IPAdapterApply') });
    const s = testScheduler({ targets: [{ target: g2 }, { target: g3 }] });
    await s.refreshHealth();
    const events = record(s);
    const job = s.add(spec({}, ['KSampler', 'IPAdapterApply']));
    const blocked = s.job(job.id)!;
    assert.equal(blocked.state, 'queued');
    assert.equal(blocked.blockedReason, 'gpu-2: no node class IPAdapterApply; gpu-3: no node class KSampler');
    const event = events.find((e) => e.type === 'job/blocked');
    assert.deepEqual(event?.type === 'job/blocked' && event.servers, [
      { server: 'gpu-2', reasons: ['no node class IPAdapterApply'] },
      { server: 'gpu-3', reasons: ['no node class KSampler'] },
    ]);
    s.addTarget({ target: new FakeTarget('gpu-4', { defs: defsOf('KSampler', 'IPAdapterApply') }) });
    await s.refreshHealth('gpu-4');
    assert.equal(s.job(job.id)!.server, 'gpu-4');
    assert.equal(s.job(job.id)!.blockedReason, undefined);
    assert.ok(events.some((e) => e.type === 'job/unblocked' && e.jobId === job.id));
  });

  it('fails at once with no_capable_server when the job asked not to wait', async () => {
    const g2 = new FakeTarget('gpu-2', { defs: defsOf('KSampler') });
    const s = testScheduler({ targets: [{ target: g2 }] });
    await s.refreshHealth();
    const job = s.add(spec({ onNoTarget: 'fail' }, ['Missing']));
    const failed = s.job(job.id)!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.reason, 'no_capable_server');
    assert.equal(g2.runs.length, 0);
  });

  it('a pool of one (`target`) fails such a job by default rather than hang', async () => {
    const only = new FakeTarget('only', { defs: defsOf('KSampler') });
    const s = testScheduler({ target: only });
    await s.refreshHealth();
    const job = s.add(spec({}, ['Missing']));
    await s.onIdle();
    assert.equal(stateOf(s, job.id), 'failed');
    assert.equal(s.job(job.id)!.error?.reason, 'no_capable_server');
  });

  it('names the placement as the reason for targets a pinned job excludes', async () => {
    const a = new FakeTarget('a', { defs: defsOf('KSampler') });
    const b = new FakeTarget('b', { defs: defsOf('Other') });
    const s = testScheduler({ targets: [{ target: a }, { target: b }] });
    await s.refreshHealth();
    const job = s.add(spec({ runOn: { targets: ['b'] } }));
    assert.equal(s.job(job.id)!.blockedReason, "a: not among the job's targets b; b: no node class KSampler");
  });

  it('waits, undecided and not blocked, while a target has not reported its definitions', async () => {
    const defs = deferredDefs();
    const slow = new FakeTarget('slow', { defs: defs.load });
    const s = testScheduler({ targets: [{ target: slow }] });
    const job = s.add(spec({ onNoTarget: 'fail' }));
    await flush();
    assert.equal(stateOf(s, job.id), 'queued');
    assert.equal(s.job(job.id)!.blockedReason, undefined);
    assert.equal(s.view().targets[0]!.capabilities, 'loading');
    defs.resolve(defsOf('KSampler'));
    await flush();
    assert.equal(stateOf(s, job.id), 'dispatching');
  });

  it('a target whose definitions cannot be read is down, with the reason', async () => {
    const broken = new FakeTarget('broken', { defs: () => Promise.reject(new Error('HTTP 500')) });
    const s = testScheduler({ targets: [{ target: broken }] });
    await s.refreshHealth();
    const t = s.view().targets[0]!;
    assert.equal(t.health, 'down');
    assert.match(t.healthReason ?? '', /HTTP 500/);
  });

  it('takes any matcher, and caches its answer per job and target', async () => {
    const calls: string[] = [];
    const s = testScheduler({
      targets: [{ target: new FakeTarget('a', { defs: {} }) }, { target: new FakeTarget('b', { defs: {} }) }],
      matcher: (job, _defs) => {
        calls.push(job.workflow.file);
        return job.overrides.length > 0 ? { ok: true } : { ok: false, reasons: ['missing model y'] };
      },
    });
    await s.refreshHealth();
    const blocked = s.add(spec());
    assert.equal(s.job(blocked.id)!.blockedReason, 'a: missing model y; b: missing model y');
    const before = calls.length;
    const runs = s.add(spec({ overrides: [{ node: '1', input: 'x', value: 1 }] }));
    assert.equal(stateOf(s, runs.id), 'dispatching');
    s.add(spec({ overrides: [{ node: '1', input: 'x', value: 1 }] }));
    assert.ok(calls.length - before <= 4);
    assert.equal(
      calls.filter((f) => f === s.job(blocked.id)!.workflow.file).length,
      2,
      'cached for the blocked job',
    );
  });

  it('a restarted target reports its definitions afresh', async () => {
    let defs = defsOf('KSampler');
    let up = true;
    const t = new FakeTarget('t', { defs: () => Promise.resolve(defs) });
    const s = testScheduler({
      targets: [{ target: t }],
      probe: () => Promise.resolve(up ? { up: true } : { up: false, reason: 'restarting' }),
    });
    await s.refreshHealth();
    const job = s.add(spec({}, ['NewNode']));
    assert.equal(s.job(job.id)!.blockedReason, 't: no node class NewNode');
    up = false;
    await s.refreshHealth();
    defs = defsOf('KSampler', 'NewNode');
    up = true;
    await s.refreshHealth();
    assert.equal(stateOf(s, job.id), 'dispatching');
  });
});
