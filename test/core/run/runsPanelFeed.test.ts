import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunsPanelFeed } from '../../../src/core/run/runsPanelFeed';
import type { HostMessage, PanelRun } from '../../../src/shared/protocol';
import { setOutputStarred } from '../../../src/core/jobs/runRecordStars';
import { FakeRunner } from '../../fakes/fakeRunner';
import { ManualTimers } from '../../fakes/manualTimers';
import { tempDir } from '../../fakes/tempDirs';

function setup(file = '/w/poster.json') {
  const fake = new FakeRunner();
  const timers = new ManualTimers();
  const posted: HostMessage[] = [];
  const feed = new RunsPanelFeed({
    file,
    uriOf: (p) => `webview:${p}`,
    post: (m) => posted.push(m),
    timers,
    now: () => timers.time,
  });
  return { fake, timers, posted, feed };
}

function snapshotRuns(posted: HostMessage[]): PanelRun[] {
  const snap = posted.find((m) => m.type === 'runs/snapshot');
  assert.ok(snap && snap.type === 'runs/snapshot');
  return snap.runs;
}

describe('the runs panel feed', () => {
  it('sends a snapshot of only the runs of its workflow once the webview is ready', () => {
    const { fake, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'a' }), fake.stream.add({ id: 'b', file: '/w/other.json' }));
    feed.bind(fake);
    assert.equal(posted.length, 0);
    feed.webviewReady();
    assert.deepEqual(
      snapshotRuns(posted).map((r) => r.id),
      ['a'],
    );
  });

  it('labels a run of a batch with its inputs only, since the panel numbers runs itself', () => {
    const { fake, posted, feed } = setup('/w/sweep.json');
    fake.emit(...fake.stream.addBatch('b', 2));
    feed.bind(fake);
    feed.webviewReady();
    assert.deepEqual(
      snapshotRuns(posted).map((r) => [r.number, r.label]),
      [
        [1, 'seed=100'],
        [2, 'seed=101'],
      ],
    );
  });

  it('sends a new run as run/added and later changes as a delta of the changed fields only', () => {
    const { fake, timers, posted, feed } = setup();
    feed.bind(fake);
    feed.webviewReady();
    fake.emit(fake.stream.add({ id: 'a', seed: 7 }));
    timers.advance(100);
    const added = posted.find((m) => m.type === 'run/added');
    assert.ok(added?.type === 'run/added');
    assert.equal(added.run.label, 'seed=7');
    posted.length = 0;
    fake.emit(...fake.stream.start('a'));
    timers.advance(100);
    assert.equal(posted.length, 1);
    const delta = posted[0];
    assert.ok(delta.type === 'run/delta');
    assert.equal(delta.changes.state, 'running');
    assert.equal(delta.changes.server, 'gpu-1');
    assert.equal(delta.changes.label, undefined, 'the label did not change, so it is not sent');
  });

  it('sends a thousand progress events within one interval as one delta with the last progress', () => {
    const { fake, timers, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
    feed.bind(fake);
    feed.webviewReady();
    posted.length = 0;
    timers.advance(100);
    for (let i = 1; i <= 1000; i++) fake.emit(fake.stream.progress('a', i, 1000));
    timers.advance(10);
    assert.equal(posted.length, 1, 'the first change after a quiet spell goes out at once');
    for (let i = 1; i <= 500; i++) fake.emit(fake.stream.progress('a', i, 1000));
    timers.advance(10);
    assert.equal(posted.length, 1, 'changes within the interval wait for its end');
    timers.advance(40);
    assert.equal(posted.length, 2);
    const last = posted[1];
    assert.ok(last.type === 'run/delta');
    assert.deepEqual(last.changes.nodes?.find((n) => n.id === '2')?.steps, { value: 500, max: 1000 });
  });

  it('keeps only the newest preview of a run between two flushes', () => {
    const { fake, timers, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
    feed.bind(fake);
    feed.webviewReady();
    posted.length = 0;
    feed.preview('a', 'data:image/png;base64,AAAA');
    feed.preview('a', 'data:image/png;base64,BBBB');
    timers.advance(60);
    assert.deepEqual(posted, [{ type: 'run/preview', id: 'a', image: 'data:image/png;base64,BBBB' }]);
  });

  it('sends the newest preview the runner reports of a run, and none of a type an image cannot be', () => {
    const { fake, timers, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
    feed.bind(fake);
    feed.webviewReady();
    posted.length = 0;
    fake.emit({ type: 'job/preview', jobId: 'a', mimeType: 'image/jpeg', image: 'AAAA' });
    fake.emit({ type: 'job/preview', jobId: 'a', mimeType: 'text/html', image: 'PHNjcmlwdD4=' });
    timers.advance(60);
    assert.deepEqual(posted, [{ type: 'run/preview', id: 'a', image: 'data:image/jpeg;base64,AAAA' }]);
  });

  it('lists nodes in the order they started, then those not started in the prompt order', () => {
    const { fake, timers, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
    feed.bind(fake);
    feed.webviewReady();
    fake.emit({
      type: 'job/comfy',
      jobId: 'a',
      event: { type: 'executing', data: { node: '2', prompt_id: 'p' } },
    });
    timers.advance(5);
    fake.emit(fake.stream.progress('a', 3, 20));
    timers.advance(100);
    const run = (posted.at(-1) as HostMessage & { type: 'run/delta' }).changes;
    assert.deepEqual(
      run.nodes?.map((n) => [n.id, n.state]),
      [
        ['1', 'done'],
        ['2', 'running'],
        ['3', 'waiting'],
      ],
    );
  });

  it('shows the failed node, exception and traceback of a failed run', () => {
    const { fake, timers, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
    feed.bind(fake);
    feed.webviewReady();
    fake.emit(
      fake.stream.move('a', 'fail', (j) => {
        j.error = {
          message: 'boom',
          reason: 'execution_failed',
          node_id: '2',
          node_type: 'KSampler',
          exception_type: 'RuntimeError',
          traceback: ['line 1', 'line 2'],
        };
      }),
    );
    timers.advance(100);
    const delta = posted.at(-1) as HostMessage & { type: 'run/delta' };
    assert.deepEqual(delta.changes.error, {
      message: 'boom',
      reason: 'execution_failed',
      nodeId: '2',
      nodeType: 'KSampler',
      exceptionType: 'RuntimeError',
      traceback: ['line 1', 'line 2'],
    });
    assert.equal(delta.changes.nodes?.find((n) => n.id === '2')?.state, 'failed');
  });

  it('shows the stars a finished run keeps in its run record', async () => {
    const dir = tempDir('panel-stars-');
    const out = join(dir, 'job-1');
    mkdirSync(out);
    const record = {
      outputs: [{ path: 'a.png', nodeId: '3', kind: 'images', index: 0, size: 1, sha256: 'x' }],
      comfyuiVersion: '0.8.0',
    };
    writeFileSync(join(out, 'run.json'), JSON.stringify(record));
    await setOutputStarred(out, join(out, 'a.png'), true);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).starred, ['a.png']);
    const { fake, timers, posted, feed } = setup();
    fake.emit(fake.stream.add({ id: 'job-1' }), ...fake.stream.finish('job-1'));
    fake.stream.jobs.get('job-1')!.outDir = out;
    feed.bind(fake);
    feed.webviewReady();
    await new Promise((r) => setTimeout(r, 20));
    timers.advance(100);
    const delta = posted.at(-1) as HostMessage & { type: 'run/delta' };
    assert.equal(delta.changes.outputs?.[0].starred, true);
    assert.equal(delta.changes.record?.comfyuiVersion, '0.8.0');
  });

  it('reads a run record written a little after the run ended', async () => {
    const out = tempDir('panel-late-record-');
    const { fake, timers, posted, feed } = setup();
    feed.bind(fake);
    feed.webviewReady();
    fake.emit(fake.stream.add({ id: 'a' }));
    fake.stream.jobs.get('a')!.outDir = out;
    fake.emit(...fake.stream.finish('a'));
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(out, 'run.json'), JSON.stringify({ outputs: [], comfyuiVersion: '0.8.0' }));
    timers.advance(500);
    await new Promise((r) => setTimeout(r, 20));
    timers.advance(100);
    const versions = posted.flatMap((m) =>
      m.type === 'run/delta' ? [m.changes.record?.comfyuiVersion] : [],
    );
    assert.ok(versions.includes('0.8.0'), JSON.stringify(posted));
  });

  it('refuses to star a file that is not an output of the run', async () => {
    const out = tempDir('panel-stars-');
    writeFileSync(join(out, 'run.json'), JSON.stringify({ outputs: [] }));
    await assert.rejects(setOutputStarred(out, join(out, '..', 'x.png'), true), { reason: 'bad_input' });
  });
});
