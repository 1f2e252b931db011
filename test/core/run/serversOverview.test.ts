import assert from 'node:assert/strict';
import { healthOf, ServersOverview } from '../../../src/core/run/serversOverview';
import { serverDetails, serverItem } from '../../../src/core/run/serversOverviewItems';
import { targetView } from '../../fakes/fakeRunner';
import { JobStream } from '../../fakes/jobEvents';

const target = targetView;

const GB = 1024 ** 3;
const gpuStats = {
  ok: true as const,
  stats: {
    version: '0.8.0',
    ramTotal: 64 * GB,
    ramFree: 32 * GB,
    devices: [{ name: 'cuda:0 NVIDIA RTX 4090', type: 'cuda', vramTotal: 24 * GB, vramFree: 18.25 * GB }],
  },
};

describe('the servers overview', () => {
  let o: ServersOverview;
  beforeEach(() => {
    o = new ServersOverview();
    o.reset({ targets: [target('embedded'), target('gpu-1')], jobs: [] });
    o.takeChanges();
  });

  it('says a server is ok, connecting, unreachable, refusing our credentials, or switched off', () => {
    const entry = o.server('gpu-1')!;
    assert.deepEqual(healthOf(entry), { health: 'ok', text: 'ok' });
    entry.view = target('gpu-1', { health: 'unknown' });
    assert.equal(healthOf(entry).health, 'connecting');
    entry.view = target('gpu-1', { health: 'down', healthReason: 'connection refused' });
    assert.deepEqual(healthOf(entry), { health: 'unreachable', text: 'connection refused' });
    o.setStats('gpu-1', { ok: false, reason: 'auth', message: 'refused the credentials (HTTP 401)' });
    assert.deepEqual(healthOf(entry), { health: 'auth', text: 'authentication refused' });
    entry.view = target('gpu-1', { enabled: false });
    assert.equal(healthOf(entry).health, 'disabled');
  });

  it('counts the jobs running on each server and those waiting in its own queue', () => {
    const s = new JobStream();
    for (const id of ['a', 'b', 'c']) o.apply(s.add({ id }));
    assert.deepEqual(o.takeChanges(), { root: false, names: [] });
    for (const e of s.start('a')) o.apply(e);
    o.apply(s.move('b', 'dispatch'));
    assert.deepEqual(o.takeChanges(), { root: false, names: ['gpu-1'] });
    assert.deepEqual([o.server('gpu-1')!.running, o.server('gpu-1')!.queued], [1, 1]);
    assert.match(serverItem(o.server('gpu-1')!, undefined).description, /1 running, 1 queued/);
    o.apply(s.move('a', 'succeed'));
    o.apply(s.move('b', 'start'));
    assert.deepEqual([o.server('gpu-1')!.running, o.server('gpu-1')!.queued], [1, 0]);
  });

  it('shows the version, devices and free VRAM of /system_stats', () => {
    o.setStats('gpu-1', gpuStats);
    assert.deepEqual(o.takeChanges().names, ['gpu-1']);
    const item = serverItem(o.server('gpu-1')!, undefined);
    assert.equal(item.description, 'ok · ComfyUI 0.8.0 · 18.3 GB free');
    assert.equal(item.contextValue, 'server-ok remote');
    assert.deepEqual(
      serverDetails(o.server('gpu-1')!, undefined).map((d) => [d.label, d.description]),
      [
        ['cuda:0 NVIDIA RTX 4090', '18.3 of 24.0 GB free'],
        ['System memory', '32.0 of 64.0 GB free'],
      ],
    );
    assert.equal(serverItem(o.server('embedded')!, undefined).description, 'ok · embedded engine');
  });

  it('says why a server cannot run the workflow the user looks at', () => {
    const reasons = ['node class KSampler', 'model sdxl.safetensors', 'a', 'b', 'c', 'd', 'e'];
    o.setVerdicts('/w/poster.json', [
      { server: 'embedded', verdict: 'incapable', reasons },
      { server: 'gpu-1', verdict: 'capable', reasons: [] },
    ]);
    assert.deepEqual(o.takeChanges().names, ['embedded', 'gpu-1']);
    const engine = o.server('embedded')!;
    const item = serverItem(engine, o.workflowFile);
    assert.match(item.description, /cannot run poster\.json$/);
    assert.equal(item.contextValue, 'server-ok engine incapable');
    const details = serverDetails(engine, o.workflowFile);
    assert.deepEqual(
      details.map((d) => [d.label, d.description]),
      [
        ['Cannot run poster.json', 'node class KSampler'],
        ['', 'model sdxl.safetensors'],
        ['', 'a'],
        ['', 'b'],
        ['', 'c'],
        ['', 'and 2 more'],
      ],
    );
    assert.doesNotMatch(serverItem(o.server('gpu-1')!, o.workflowFile).description, /cannot/);
    o.setVerdicts(undefined);
    assert.deepEqual(o.takeChanges().names, ['embedded', 'gpu-1']);
    assert.deepEqual(serverDetails(engine, o.workflowFile), []);
  });

  it('reports a server that joins as a change of the list, and keeps stats across a reset', () => {
    o.setStats('gpu-1', gpuStats);
    o.apply({ type: 'target/changed', target: target('gpu-2') });
    assert.deepEqual(o.takeChanges(), { root: true, names: [] });
    o.apply({ type: 'target/health', target: target('gpu-2', { health: 'down' }), from: 'up' });
    assert.deepEqual(o.takeChanges(), { root: false, names: ['gpu-2'] });
    o.reset({ targets: [target('gpu-1')], jobs: [] });
    assert.equal(o.server('gpu-1')!.stats, gpuStats);
  });
});
