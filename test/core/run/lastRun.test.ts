import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { createJob, type Job } from '../../../src/core/jobs/job';
import { formatDuration, lastRunStatus, lastRunSummary, LatestRuns } from '../../../src/core/run/lastRun';

function job(file: string, queued: number, changes: Partial<Job> = {}): Job {
  const j = createJob(
    {
      workflow: { file, sourceHash: 'a', promptHash: 'b' },
      prompt: {},
      overrides: [],
      outDir: '/runs/x',
    },
    queued,
  );
  return { ...j, ...changes, times: { ...j.times, ...changes.times } };
}

const output = { path: 'a.png', nodeId: '9', kind: 'images', index: 0, size: 1, sha256: 'x' };

describe('lastRunSummary', () => {
  it('says how long a successful run took and how many outputs it made', () => {
    const j = job('a.json', 0, {
      state: 'succeeded',
      outputs: [output, output, output],
      times: { queued: 0, started: 1000, finished: 2234, nodes: {} },
    });
    assert.equal(lastRunSummary(j), 'succeeded in 1.2 s, 3 outputs');
  });

  it('says why a run failed, on one line', () => {
    const j = job('a.json', 0, {
      state: 'failed',
      error: { message: 'Prompt outputs failed validation\nmore', reason: 'prompt_rejected' },
      times: { queued: 0, finished: 400, nodes: {} },
    });
    assert.equal(lastRunSummary(j), 'failed after 0.4 s: Prompt outputs failed validation');
  });

  it('names the server of a running job', () => {
    const j = job('a.json', 0, {
      state: 'running',
      server: 'gpu1',
      times: { queued: 0, started: 0, nodes: {} },
    });
    assert.equal(lastRunSummary(j, 12_500), 'running on gpu1');
  });
});

describe('lastRunStatus', () => {
  it('groups the job states into what a decoration shows', () => {
    const states: Job['state'][] = [
      'queued',
      'dispatching',
      'running',
      'succeeded',
      'failed',
      'lost',
      'cancelled',
    ];
    assert.deepEqual(
      states.map((state) => lastRunStatus(job('a.json', 0, { state }))),
      ['waiting', 'waiting', 'running', 'succeeded', 'failed', 'failed', 'cancelled'],
    );
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    assert.deepEqual([400, 12_300, 185_000, 7_800_000, -5].map(formatDuration), [
      '0.4 s',
      '12 s',
      '3 min 5 s',
      '2 h 10 min',
      '0.0 s',
    ]);
  });
});

describe('LatestRuns', () => {
  it('keeps the job queued last for each file, whatever order the reports come in', () => {
    const runs = new LatestRuns();
    const newer = job('a.json', 2000);
    const older = job('a.json', 1000);
    assert.equal(runs.note(newer), true);
    assert.equal(runs.note(older), false);
    assert.equal(runs.of('a.json')?.id, newer.id);
  });

  it('replaces a job by its later report', () => {
    const runs = new LatestRuns();
    const j = job('a.json', 1000);
    runs.note(j);
    assert.equal(runs.note({ ...j, state: 'running' }), true);
    assert.equal(runs.of('a.json')?.state, 'running');
  });

  it('finds a file by its absolute path', () => {
    const runs = new LatestRuns();
    runs.note(job('flows/a.json', 0));
    assert.ok(runs.of(resolve('flows/a.json')));
    assert.equal(runs.of('flows/b.json'), undefined);
  });
});
