import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunsPanelFeed } from '../../../src/core/run/runsPanelFeed';
import type { HostMessage, PanelRun } from '../../../src/shared/protocol';
import { setOutputStarred } from '../../../src/core/jobs/runRecordStars';
import { FakeRunner } from '../../fakes/fakeRunner';
import { ManualTimers } from '../../fakes/manualTimers';
import { tempDir } from '../../fakes/tempDirs';
import { initialProgress } from '../../../src/core/protocol/promptProgress';
import type { RunnerEvent } from '../../../src/core/run/runner';
import type { ApiPrompt } from '../../../src/core/workflow/types';

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

  describe('a run split by branch', () => {
    /** One loaded image, then two branches, each saved: 1 → 2 → 3 and 1 → 4 → 5. */
    const branches: ApiPrompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'a.png' } },
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0] } },
      '4': { class_type: 'ImageBlur', inputs: { image: ['1', 0] } },
      '5': { class_type: 'SaveImage', inputs: { images: ['4', 0] } },
    };

    /** A feed with the two parts of split run R (part 1 runs node 3, part 2 node 5) sent to its webview. */
    function splitSetup() {
      const t = setup();
      t.fake.emit(...t.fake.stream.addSplit('R', 2, ['3', '5'], { prompt: branches }));
      t.feed.bind(t.fake);
      t.feed.webviewReady();
      return t;
    }

    /** A part's node progress: `phases` of its nodes, and a running one at 3 of 10 steps. */
    function partProgress(id: string, phases: Record<string, 'done' | 'running'>): RunnerEvent {
      const progress = initialProgress(branches);
      for (const [node, phase] of Object.entries(phases)) {
        progress.phase[node] = phase;
        if (phase === 'done') progress.done++;
        else progress.running[node] = { value: 3, max: 10 };
      }
      return { type: 'job/progress', jobId: id, progress };
    }

    it('is one run of the panel under the split run’s id', () => {
      const { posted } = splitSetup();
      assert.deepEqual(
        snapshotRuns(posted).map((r) => [r.id, r.number, r.state]),
        [['R', 1, 'queued']],
      );
    });

    it('shows each node as far as the part that computes it got, and one progress over both parts', () => {
      const { fake, timers, posted } = splitSetup();
      posted.length = 0;
      fake.emit(...fake.stream.start('R-1'), ...fake.stream.start('R-2'));
      fake.emit(partProgress('R-1', { '1': 'done', '2': 'running' }));
      fake.emit(partProgress('R-2', { '1': 'done', '4': 'done', '5': 'running' }));
      timers.advance(100);
      const deltas = posted.filter((m) => m.type === 'run/delta');
      assert.deepEqual(
        deltas.map((d) => d.id),
        ['R'],
      );
      const { changes } = deltas[0];
      assert.equal(changes.state, 'running');
      assert.deepEqual(changes.progress, { done: 3, total: 6 });
      assert.deepEqual(
        changes.nodes?.map((n) => [n.id, n.state, n.steps?.value]),
        [
          ['1', 'done', undefined],
          ['4', 'done', undefined],
          ['2', 'running', 3],
          ['5', 'running', 3],
          ['3', 'waiting', undefined],
        ],
      );
    });

    it('ends with the outputs of every part, and gives the host the run with the whole prompt', () => {
      const { fake, timers, posted, feed } = splitSetup();
      fake.emit(...fake.stream.finish('R-1'), ...fake.stream.finish('R-2'));
      timers.advance(100);
      const delta = posted.at(-1) as HostMessage & { type: 'run/delta' };
      assert.equal(delta.id, 'R');
      assert.equal(delta.changes.state, 'succeeded');
      assert.deepEqual(delta.changes.progress, { done: 6, total: 6 });
      const run = feed.model.job('R')!;
      assert.equal(run.outputs.length, 2);
      assert.equal(run.outDir, '/out/R');
      assert.deepEqual(Object.keys(run.prompt), ['1', '2', '3', '4', '5']);
    });

    it('shows the failing part’s error at once, and the run failed once its stopped sibling has ended', () => {
      const { fake, timers, posted } = splitSetup();
      fake.emit(...fake.stream.finish('R-1', 'fail'), ...fake.stream.start('R-2'));
      timers.advance(100);
      const running = posted.at(-1) as HostMessage & { type: 'run/delta' };
      assert.equal(running.changes.state, 'running');
      assert.match(running.changes.error?.message ?? '', /CUDA out of memory/);
      fake.emit(...fake.stream.finish('R-2', 'cancel'));
      timers.advance(100);
      const ended = posted.at(-1) as HostMessage & { type: 'run/delta' };
      assert.equal(ended.changes.state, 'failed');
    });

    it('links a retried split run to the run it retries, not to one of its parts', () => {
      const { fake, timers, posted } = splitSetup();
      fake.emit(...fake.stream.finish('R-1', 'fail'), ...fake.stream.finish('R-2', 'cancel'));
      fake.emit(
        ...[1, 2].map((i) =>
          fake.stream.add({
            id: `S-${i}`,
            prompt: branches,
            retryOf: `R-${i}`,
            split: { id: 'S', index: i, size: 2, outputs: [i === 1 ? '3' : '5'] },
          }),
        ),
      );
      timers.advance(100);
      const added = posted.filter((m) => m.type === 'run/added');
      assert.deepEqual(
        added.map((m) => [m.run.id, m.run.number, m.run.retryOf]),
        [['S', 2, 'R']],
      );
    });
  });
});
