import assert from 'node:assert/strict';
import { JobsOverview } from '../../../src/core/run/jobsOverview';
import { overviewItem } from '../../../src/core/run/jobsOverviewItems';
import type { GroupNode, OverviewNode } from '../../../src/core/run/jobsOverviewNodes';
import type { RunnerEvent } from '../../../src/core/run/runner';
import { JobStream } from '../../fakes/jobEvents';

/** An overview fed with `events`, its changes so far taken. */
function overviewOf(events: RunnerEvent[], pageSize?: number): JobsOverview {
  const o = new JobsOverview({ pageSize });
  for (const e of events) o.apply(e);
  o.takeChanges();
  return o;
}

/** The ids of an item's children as the tree shows them. */
function ids(o: JobsOverview, node?: OverviewNode): string[] {
  return o.children(node).map((n) => overviewItem(o, n, 0).id);
}

function group(o: JobsOverview, name: 'running' | 'queued' | 'finished' | 'failed'): GroupNode {
  return o.roots().find((g) => g.group === name)!;
}

describe('the jobs overview', () => {
  let s: JobStream;
  beforeEach(() => {
    s = new JobStream();
  });

  it('shows nothing before the first job, then the four groups', () => {
    const o = new JobsOverview();
    assert.deepEqual(o.roots(), []);
    o.apply(s.add());
    assert.deepEqual(
      o.roots().map((g) => g.group),
      ['running', 'queued', 'finished', 'failed'],
    );
    assert.deepEqual(o.takeChanges(), { root: true, nodes: [] });
  });

  it('puts submitting and running jobs in Running, succeeded and cancelled in Finished, failed and lost in Failed', () => {
    const events = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => s.add({ id }));
    const o = overviewOf([
      ...events,
      s.move('a', 'dispatch'),
      ...s.start('b'),
      ...s.finish('c', 'succeed'),
      ...s.finish('d', 'cancel'),
      ...s.finish('e', 'fail'),
      ...s.finish('f', 'lose'),
    ]);
    assert.deepEqual(ids(o, group(o, 'running')), ['job:a', 'job:b']);
    assert.deepEqual(ids(o, group(o, 'queued')), ['job:g']);
    assert.deepEqual(ids(o, group(o, 'finished')), ['job:d', 'job:c']);
    assert.deepEqual(ids(o, group(o, 'failed')), ['job:f', 'job:e']);
    assert.deepEqual(o.counts(), { running: 2, queued: 1, finished: 2, failed: 2 });
  });

  it('folds the jobs of a batch into one item per group, its jobs inside in order', () => {
    const batch = s.addBatch('B', 3);
    const o = overviewOf([s.add({ id: 'alone' }), ...batch, ...s.start('job-2')]);
    const running = o.children(group(o, 'running'));
    assert.deepEqual(ids(o, group(o, 'running')), ['batch:running:B']);
    assert.deepEqual(ids(o, running[0]), ['job:job-2']);
    const queued = o.children(group(o, 'queued'));
    assert.deepEqual(ids(o, group(o, 'queued')), ['job:alone', 'batch:queued:B']);
    assert.deepEqual(ids(o, queued[1]), ['job:job-1', 'job:job-3']);
    assert.equal(o.parent(o.nodeOf('job-3')!), queued[1]);
    assert.equal(o.parent(queued[1]), group(o, 'queued'));
    assert.deepEqual(o.jobsUnder(queued[1]), ['job-1', 'job-3']);
    const item = overviewItem(o, queued[1], 0);
    assert.equal(item.label, 'sweep.json');
    assert.equal(item.description, '2 of 3 runs');
    assert.equal(overviewItem(o, o.nodeOf('job-3')!, 0).label, '#3 seed=102');
    assert.equal(overviewItem(o, o.nodeOf('alone')!, 0).label, 'poster.json');
  });

  it('keeps one item object per job wherever it moves', () => {
    const o = overviewOf([s.add({ id: 'a' })]);
    const node = o.nodeOf('a')!;
    for (const e of s.finish('a')) o.apply(e);
    assert.equal(o.children(group(o, 'finished'))[0], node);
  });

  it('keeps the queue in the scheduler’s order: priority, moves, and a retried submission first', () => {
    const o = overviewOf([
      s.add({ id: 'a' }),
      s.add({ id: 'b' }),
      s.add({ id: 'c' }),
      s.add({ id: 'hi', priority: 5 }),
    ]);
    assert.deepEqual(ids(o, group(o, 'queued')), ['job:hi', 'job:a', 'job:b', 'job:c']);
    o.apply({ type: 'job/moved', jobId: 'c', priority: 5, position: 0 });
    assert.deepEqual(ids(o, group(o, 'queued')), ['job:c', 'job:hi', 'job:a', 'job:b']);
    o.apply(s.move('a', 'dispatch'));
    o.apply(s.move('a', 'requeue'));
    assert.deepEqual(ids(o, group(o, 'queued')), ['job:c', 'job:hi', 'job:a', 'job:b']);
    assert.equal(overviewItem(o, o.nodeOf('b')!, 0).description, '#4 in queue');
  });

  it('shows the job that ended last first in Finished', () => {
    const o = overviewOf([s.add({ id: 'a' }), s.add({ id: 'b' }), ...s.finish('b'), ...s.finish('a')]);
    assert.deepEqual(ids(o, group(o, 'finished')), ['job:a', 'job:b']);
  });

  it('shows long groups and batches a page at a time', () => {
    const events = Array.from({ length: 450 }, () => s.add());
    const o = overviewOf(events, 200);
    const queued = group(o, 'queued');
    const page = o.children(queued);
    assert.equal(page.length, 201);
    const more = page[200];
    assert.equal(more.kind, 'more');
    assert.equal(overviewItem(o, more, 0).label, 'Show 200 more');
    assert.equal(overviewItem(o, more, 0).description, '250 not shown');
    o.showMore(queued);
    assert.deepEqual(o.takeChanges(), { root: false, nodes: [queued] });
    const second = o.children(queued);
    assert.equal(second.length, 401);
    assert.equal(overviewItem(o, second[400], 0).label, 'Show 50 more');
    o.showMore(queued);
    assert.equal(o.children(queued).length, 450);

    const b = overviewOf(s.addBatch('big', 250), 200);
    const [item] = b.children(group(b, 'queued'));
    assert.equal(b.children(item).length, 201);
    assert.equal(overviewItem(b, b.children(item)[200], 0).description, '50 not shown');
  });

  describe('changes', () => {
    it('reports a job whose progress moved, once however many steps came', () => {
      const o = overviewOf([s.add({ id: 'a' }), ...s.start('a')]);
      for (let i = 1; i <= 1000; i++) o.apply(s.progress('a', i, 1000));
      assert.deepEqual(o.takeChanges(), { root: false, nodes: [o.nodeOf('a')] });
      assert.deepEqual(o.takeChanges(), { root: false, nodes: [] });
    });

    it('reports the groups a job left and joined, not the job inside them', () => {
      const o = overviewOf([s.add({ id: 'a' }), ...s.start('a'), s.progress('a', 1, 2)]);
      o.apply(s.progress('a', 2, 2));
      for (const e of s.finish('a')) o.apply(e);
      const changes = o.takeChanges();
      assert.equal(changes.root, false);
      assert.deepEqual(changes.nodes.map((n) => overviewItem(o, n, 0).id).sort(), [
        'group:finished',
        'group:running',
      ]);
    });

    it('reports a job of a batch that changed state within its group as that job alone', () => {
      const o = overviewOf([...s.addBatch('B', 2), s.move('job-1', 'dispatch')]);
      o.apply(s.move('job-1', 'start'));
      assert.deepEqual(o.takeChanges().nodes, [o.nodeOf('job-1')]);
    });

    it('reports blocked, unblocked, warned and cancelling jobs, and the queued group when paused', () => {
      const o = overviewOf([s.add({ id: 'a' }), s.add({ id: 'b' }), s.add({ id: 'c' })]);
      o.apply({ type: 'job/blocked', jobId: 'a', reason: 'embedded: no KSampler', servers: [] });
      o.apply({ type: 'job/warning', jobId: 'b', message: 'careful' });
      o.noteCancelling('c');
      assert.deepEqual(
        o.takeChanges().nodes,
        ['a', 'b', 'c'].map((id) => o.nodeOf(id)),
      );
      o.apply({ type: 'job/unblocked', jobId: 'a' });
      assert.deepEqual(o.takeChanges().nodes, [o.nodeOf('a')]);
      o.apply({ type: 'scheduler/changed', paused: true, concurrency: null });
      assert.deepEqual(o.takeChanges().nodes, [group(o, 'queued')]);
      assert.equal(overviewItem(o, group(o, 'queued'), 0).description, '3 · paused');
    });

    it('ignores ComfyUI’s messages and server events', () => {
      const o = overviewOf([s.add({ id: 'a' }), ...s.start('a')]);
      o.apply({ type: 'job/comfy', jobId: 'a', event: { type: 'status', data: { status: {} } } as never });
      o.apply({
        type: 'target/changed',
        target: {
          name: 'gpu-1',
          tags: [],
          enabled: true,
          health: 'up',
          slots: 1,
          prefetch: true,
          used: 1,
          capabilities: 'known',
        },
      });
      assert.deepEqual(o.takeChanges(), { root: false, nodes: [] });
    });

    it('marks every running job for its elapsed time, and nothing else', () => {
      const o = overviewOf([s.add({ id: 'a' }), s.add({ id: 'b' }), ...s.start('a')]);
      o.touchRunning();
      assert.deepEqual(o.takeChanges().nodes, [o.nodeOf('a')]);
    });
  });

  it('starts from a snapshot: the queue in its order, running jobs with their progress, everything changed', () => {
    ['a', 'b', 'c', 'd'].forEach((id) => s.add({ id }));
    s.start('d');
    const snapshot = s.snapshot(['c', 'a', 'b']);
    snapshot.jobs[3].progress = (s.progress('d', 5, 10) as RunnerEvent & { type: 'job/progress' }).progress;
    const o = new JobsOverview();
    o.reset(snapshot);
    assert.deepEqual(o.takeChanges(), { root: true, nodes: [] });
    assert.deepEqual(ids(o, group(o, 'queued')), ['job:c', 'job:a', 'job:b']);
    assert.match(overviewItem(o, o.nodeOf('d')!, s.now()).description, /^50% · Sampler 5\/10 · /);
  });

  describe('item texts', () => {
    function item(events: RunnerEvent[], id: string, now = s.now()) {
      const o = overviewOf(events);
      return overviewItem(o, o.nodeOf(id)!, now);
    }

    it('says where a queued job stands: its place, blocked, or waiting for others', () => {
      const events = [s.add({ id: 'a' }), s.add({ id: 'b', dependsOn: ['a'] })];
      assert.equal(item(events, 'a').description, '#1 in queue');
      assert.equal(item(events, 'a').icon, 'queued');
      assert.equal(item(events, 'b').description, 'waiting for 1 job');
      const blocked = [
        ...events,
        { type: 'job/blocked', jobId: 'a', reason: 'embedded: no KSampler', servers: [] } as RunnerEvent,
      ];
      assert.equal(item(blocked, 'a').icon, 'blocked');
      assert.equal(item(blocked, 'a').description, 'no server can run it');
      assert.match(item(blocked, 'a').tooltip, /^Blocked: embedded: no KSampler$/m);
      assert.equal(item(events, 'a').contextValue, 'job-queued');
    });

    it('gives a running job its percent, current node with steps, elapsed time and server', () => {
      const events: RunnerEvent[] = [s.add({ id: 'a' }), ...s.start('a')];
      const started = s.now();
      events.push(s.progress('a', 3, 4));
      const it = item(events, 'a', started + 65_000);
      assert.equal(it.description, '58% · Sampler 3/4 · 1 min 05 s · gpu-1');
      assert.equal(it.icon, 'running');
      assert.equal(it.contextValue, 'job-running prompt');
      assert.match(it.tooltip, /^Prompt id: prompt-a$/m);
      assert.match(it.tooltip, /^Nodes: 1 done, 0 cached, of 3$/m);
      assert.match(it.tooltip, /^Elapsed: 1 min 05 s$/m);
    });

    it('says a job is submitting, then cancelling once asked', () => {
      const o = overviewOf([s.add({ id: 'a' }), s.move('a', 'dispatch')]);
      assert.equal(overviewItem(o, o.nodeOf('a')!, 0).description, 'submitting to gpu-1');
      o.noteCancelling('a');
      assert.equal(overviewItem(o, o.nodeOf('a')!, 0).icon, 'cancelling');
      assert.equal(overviewItem(o, o.nodeOf('a')!, 0).description, 'cancelling… · gpu-1');
    });

    it('gives an ended job its duration, outputs, error and the actions that apply', () => {
      const events: RunnerEvent[] = ['a', 'b', 'c', 'd', 'e'].map((id) => s.add({ id }));
      events.push(
        ...s.finish('a'),
        ...s.finish('b', 'fail'),
        ...s.finish('c', 'lose'),
        ...s.finish('d', 'cancel'),
      );
      events.push(s.move('e', 'cancel'));
      const ok = item(events, 'a');
      assert.equal(ok.description, '1.0 s · 1 output · gpu-1');
      assert.equal(ok.contextValue, 'job-succeeded prompt outputs record');
      assert.match(ok.tooltip, /^Outputs: 1 in \/out\/a$/m);
      const failed = item(events, 'b');
      assert.equal(failed.description, 'CUDA out of memory · gpu-1');
      assert.equal(failed.icon, 'failed');
      assert.match(failed.tooltip, /^Error: CUDA out of memory\nmore$/m);
      assert.equal(item(events, 'c').icon, 'lost');
      assert.equal(item(events, 'c').contextValue, 'job-lost prompt record');
      assert.equal(item(events, 'd').description, 'cancelled · gpu-1');
      // Cancelled in the queue: never dispatched, so no run record was written.
      assert.equal(item(events, 'e').contextValue, 'job-cancelled');
    });

    it('names a retry’s attempt', () => {
      const events: RunnerEvent[] = [s.add({ id: 'a' })];
      events.push(s.move('a', 'fail'));
      const retry = s.add({ id: 'r' });
      retry.job.attempt = 2;
      retry.job.retryOf = 'a';
      events.push(retry);
      assert.equal(item(events, 'r').description, 'attempt 2 · #1 in queue');
      assert.match(item(events, 'r').tooltip, /^Attempt: 2 \(retry of a\)$/m);
    });

    it('lists each run the runner’s stopping cut short in the tooltip', () => {
      const added = s.add({ id: 'a' });
      const taken = new Date(2026, 0, 2, 12, 3, 4).getTime();
      added.job.restarts = [{ at: taken, target: 'embedded', message: 'the runner stopped during the run' }];
      const events: RunnerEvent[] = [added];
      assert.match(
        item(events, 'a').tooltip,
        /^Restarted: run 2 of this job: the runner stopped during the run on embedded, taken back at 12:03:04$/m,
      );
    });

    it('counts each group in its description', () => {
      const o = overviewOf(Array.from({ length: 1234 }, () => s.add()));
      assert.equal(overviewItem(o, group(o, 'queued'), 0).description, '1,234');
      assert.equal(overviewItem(o, group(o, 'running'), 0).collapsible, 'none');
    });
  });
});
