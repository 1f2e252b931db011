import assert from 'node:assert/strict';
import type { JobState } from '../../../src/core/jobs/jobState';
import { JobsOverview } from '../../../src/core/run/jobsOverview';
import { overviewItem } from '../../../src/core/run/jobsOverviewItems';
import type { GroupNode } from '../../../src/core/run/jobsOverviewNodes';
import { splitState } from '../../../src/core/run/jobsOverviewSplit';
import type { RunnerEvent } from '../../../src/core/run/runner';
import { JobStream } from '../../fakes/jobEvents';

function overviewOf(events: RunnerEvent[]): JobsOverview {
  const o = new JobsOverview();
  for (const e of events) o.apply(e);
  o.takeChanges();
  return o;
}

function group(o: JobsOverview, name: 'running' | 'queued' | 'finished' | 'failed'): GroupNode {
  return o.roots().find((g) => g.group === name)!;
}

/** The item ids under a group, and under each of them. */
function tree(o: JobsOverview, name: 'running' | 'queued' | 'finished' | 'failed'): string[][] {
  return o
    .children(group(o, name))
    .map((n) => [overviewItem(o, n, 0).id, ...o.children(n).map((c) => overviewItem(o, c, 0).id)]);
}

describe('a split run in the jobs overview', () => {
  let s: JobStream;
  beforeEach(() => {
    s = new JobStream();
  });

  it('is one item where a job would be, with its parts inside in part order', () => {
    const o = overviewOf([s.add({ id: 'alone' }), ...s.addSplit('R', 3)]);
    assert.deepEqual(tree(o, 'queued'), [['job:alone'], ['job:R', 'job:R-1', 'job:R-2', 'job:R-3']]);
    assert.equal(o.parent(o.nodeOf('R-2')!), o.nodeOf('R'));
    assert.equal(o.parent(o.nodeOf('R')!), group(o, 'queued'));
    assert.deepEqual(o.counts(), { running: 0, queued: 2, finished: 0, failed: 0 });
  });

  it('moves to Running when one part starts, and stays there while the others end', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.start('R-1'), ...s.finish('R-2')]);
    assert.deepEqual(tree(o, 'running'), [['job:R', 'job:R-1', 'job:R-2']]);
    assert.deepEqual(tree(o, 'finished'), []);
  });

  it('goes to Finished once every part succeeded, with every part’s outputs', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.finish('R-1'), ...s.finish('R-2')]);
    assert.deepEqual(tree(o, 'finished'), [['job:R', 'job:R-1', 'job:R-2']]);
    assert.equal(o.entry('R')!.job.outputs.length, 2);
    assert.match(overviewItem(o, o.nodeOf('R')!, 0).contextValue, /^job-succeeded split outputs record$/);
  });

  it('shows a part’s outputs where the run’s merge moved them', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.finish('R-1'), ...s.finish('R-2')]);
    const part = { ...structuredClone(o.entry('R-1')!.job), prompt: {} };
    part.outputs = part.outputs.map((out) => ({ ...out, path: `moved/${out.path}` }));
    o.apply({ type: 'job/outputs', jobId: 'R-1', job: part });
    assert.deepEqual(o.entry('R-1')!.job.outputs, part.outputs);
    assert.ok(o.entry('R')!.job.outputs.some((out) => out.path.startsWith('moved/')));
  });

  it('goes to Failed with the failing part’s error when one part failed and its sibling was stopped', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.start('R-2'), ...s.finish('R-1', 'fail')]);
    o.apply(
      s.move('R-2', 'cancel', (j) => {
        j.error = { message: 'part 1 failed', reason: 'split_stopped', stoppedBy: { job: 'R-1', index: 1 } };
      }),
    );
    assert.deepEqual(tree(o, 'failed'), [['job:R', 'job:R-1', 'job:R-2']]);
    assert.match(overviewItem(o, o.nodeOf('R')!, 0).description, /^CUDA out of memory · gpu-1 · 2 parts$/);
  });

  it('says on a part its failing sibling stopped which part that was', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.start('R-2'), ...s.finish('R-1', 'fail')]);
    o.apply(
      s.move('R-2', 'cancel', (j) => {
        j.error = { message: 'part 1 failed', reason: 'split_stopped', stoppedBy: { job: 'R-1', index: 1 } };
      }),
    );
    assert.equal(overviewItem(o, o.nodeOf('R-2')!, 0).description, 'stopped: part 1 failed · gpu-1');
  });

  it('stands for all of its parts in an action, by its item or its id', () => {
    const o = overviewOf([s.add({ id: 'alone' }), ...s.addSplit('R', 2)]);
    assert.deepEqual(o.jobsUnder(o.nodeOf('R')!), ['R-1', 'R-2']);
    assert.deepEqual(o.jobsOf('R'), ['R-1', 'R-2']);
    assert.deepEqual(o.jobsUnder(group(o, 'queued')), ['alone', 'R-1', 'R-2']);
  });

  it('shows one progress figure: the nodes of every part, the parts that ended counted done', () => {
    // Three nodes a part: R-2 done (3 of 6), R-1 at node 1 done and node 2 halfway (1.5 of 6).
    const o = overviewOf([
      ...s.addSplit('R', 2),
      ...s.start('R-1'),
      ...s.finish('R-2'),
      s.progress('R-1', 5, 10),
    ]);
    assert.match(
      overviewItem(o, o.nodeOf('R')!, s.now()).description,
      /^75% · Sampler 5\/10 · .* · 2 parts$/,
    );
  });

  it('says on each part which part it is, what it runs and on which server', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.start('R-2')]);
    const part = overviewItem(o, o.nodeOf('R-2')!, s.now());
    assert.equal(part.label, 'part 2 of 2 · SaveImage');
    assert.match(part.description, /· gpu-1$/);
    assert.match(part.tooltip, /^Part: 2 of 2 of run R \(outputs 3\)$/m);
  });

  it('is marked cancelling, with its parts, when asked to cancel', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.start('R-1')]);
    o.noteCancelling('R');
    assert.equal(overviewItem(o, o.nodeOf('R')!, 0).icon, 'cancelling');
    assert.equal(overviewItem(o, o.nodeOf('R-1')!, 0).icon, 'cancelling');
  });

  it('is rebuilt from a snapshot in its place, its parts inside', () => {
    s.add({ id: 'a' });
    s.addSplit('R', 2);
    s.add({ id: 'b' });
    s.start('R-1');
    const o = new JobsOverview();
    o.reset(s.snapshot());
    assert.deepEqual(tree(o, 'running'), [['job:R', 'job:R-1', 'job:R-2']]);
    assert.deepEqual(tree(o, 'queued'), [['job:a'], ['job:b']]);
  });

  it('reports a part’s change as a change of its run, which covers the part', () => {
    const o = overviewOf([...s.addSplit('R', 2), ...s.start('R-1')]);
    o.apply(s.progress('R-1', 1, 4));
    assert.deepEqual(o.takeChanges().nodes, [o.nodeOf('R')]);
  });
});

describe('splitState', () => {
  const cases: [JobState[], JobState][] = [
    [['queued', 'queued'], 'queued'],
    [['dispatching', 'queued'], 'dispatching'],
    [['running', 'succeeded'], 'running'],
    [['queued', 'succeeded'], 'running'],
    [['succeeded', 'succeeded'], 'succeeded'],
    [['failed', 'cancelled'], 'failed'],
    [['lost', 'succeeded'], 'lost'],
    [['cancelled', 'succeeded'], 'cancelled'],
  ];
  for (const [parts, run] of cases)
    it(`makes a run ${run} of parts ${parts.join(' and ')}`, () => assert.equal(splitState(parts), run));
});
