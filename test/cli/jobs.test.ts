import assert from 'node:assert/strict';
import { startDurableRunner, type DurableRunner } from '../../src/core/durable/durableRunner';
import type { Job } from '../../src/core/jobs/job';
import { FakeTarget } from '../fakes/fakeTarget';
import { leaveBehind, storedJob, storedSplitParts, tempDir, testStore } from '../core/durable/durableKit';
import { spec } from '../core/scheduler/schedulerKit';
import { quickPrompt } from '../core/server/gateNodes';
import { runCli } from './cliHarness';

interface Listing {
  type: 'jobs';
  owner: { pid: number; live: boolean } | null;
  jobs: { id: string; state: string; retryOf: string | null; attempt: number }[];
}

async function list(dir: string): Promise<Listing> {
  const run = await runCli(['jobs', 'list', '--store', dir, '--json']);
  assert.equal(run.code, 0, run.err.join('\n'));
  return JSON.parse(run.out[0]) as Listing;
}

const stateIn = (l: Listing, id: string) => l.jobs.find((j) => j.id === id)?.state;

describe('comfy-runner jobs', function () {
  this.timeout(30_000);

  describe('on a store another process is running', () => {
    let runner: DurableRunner;
    let target: FakeTarget;
    let dir: string;

    beforeEach(async () => {
      dir = tempDir('jobs-live-');
      target = new FakeTarget('fake');
      runner = await startDurableRunner({
        store: await testStore(dir),
        targets: [{ target }],
        scheduler: { healthIntervalMs: 0, writeRunRecords: false },
      });
    });
    afterEach(() => runner.close());

    const add = (): Job => runner.scheduler.add(spec({ outDir: tempDir('jobs-out-') }));

    it('lists the jobs and the live owner', async () => {
      const job = add();
      await runner.flush();
      const listing = await list(dir);
      assert.deepEqual([listing.owner?.pid, listing.owner?.live], [process.pid, true]);
      assert.equal(stateIn(listing, job.id), 'dispatching');
      const text = await runCli(['jobs', 'list', '--store', dir]);
      assert.match(text.out[0], new RegExp(`run by process ${process.pid}`));
      assert.match(text.out[1], new RegExp(`^${job.id.slice(0, 8)}  dispatching`));
    });

    it('asks the owner to cancel, by id prefix, a queued job and a running one', async () => {
      const running = add();
      const queued = add();
      target.runOf(running.id).start();
      await runner.flush();
      const run = await runCli(['jobs', 'cancel', queued.id.slice(0, 8), running.id, '--store', dir]);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(run.out, [
        `${queued.id.slice(0, 8)}: cancelled`,
        `${running.id.slice(0, 8)}: cancelled`,
      ]);
      const listing = await list(dir);
      assert.deepEqual(
        [stateIn(listing, queued.id), stateIn(listing, running.id)],
        ['cancelled', 'cancelled'],
      );
    });

    it('asks the owner to retry a failed job, which it runs', async () => {
      const job = add();
      target.runOf(job.id).error();
      await runner.flush();
      const run = await runCli(['jobs', 'retry', job.id, '--store', dir, '--json']);
      assert.equal(run.code, 0, run.err.join('\n'));
      const answer = JSON.parse(run.out[0]) as { ok: boolean; newJob: string };
      assert.equal(answer.ok, true);
      assert.equal(runner.scheduler.job(answer.newJob)?.retryOf, job.id);
      assert.equal(target.runOf(answer.newJob).job.attempt, 2);
    });

    it('exits 1 when the owner says no, and 2 for an id that names no job', async () => {
      const job = add();
      target.runOf(job.id).succeed();
      await runner.idle();
      assert.equal((await runCli(['jobs', 'cancel', job.id, '--store', dir])).code, 1);
      assert.equal((await runCli(['jobs', 'cancel', 'nope', '--store', dir])).code, 2);
    });

    it('refuses to resume while the owner runs', async () => {
      const run = await runCli(['jobs', 'resume', '--store', dir]);
      assert.equal(run.code, 2);
      assert.match(run.err.join('\n'), new RegExp(`in use by process ${process.pid}`));
    });

    it('asks the owner to prune the ended jobs and leaves the running one', async () => {
      const done = add();
      target.runOf(done.id).succeed();
      await runner.flush();
      const running = add();
      target.runOf(running.id).start();
      await runner.flush();
      const run = await runCli(['jobs', 'prune', '--store', dir, '--json']);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(JSON.parse(run.out[0]), { type: 'pruned', jobs: [done.id] });
      const listing = await list(dir);
      assert.deepEqual(
        listing.jobs.map((j) => j.id),
        [running.id],
      );
    });
  });

  describe('on a store whose process died', () => {
    it('cancels and retries directly, and prunes finished jobs', async () => {
      const dir = tempDir('jobs-dead-');
      const queued = storedJob(quickPrompt('q'));
      const failed = storedJob(quickPrompt('f'), ['fail']);
      const done = storedJob(quickPrompt('d'), ['dispatch', 'start', 'succeed']);
      await leaveBehind(dir, [queued, failed, done]);
      assert.equal((await list(dir)).owner?.live, false);

      const cancel = await runCli(['jobs', 'cancel', queued.id, '--store', dir]);
      assert.deepEqual([cancel.code, cancel.out], [0, [`${queued.id.slice(0, 8)}: cancelled`]]);
      const retry = await runCli(['jobs', 'retry', failed.id, '--store', dir, '--json']);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      const { newJob } = JSON.parse(retry.out[0]) as { newJob: string };

      let listing = await list(dir);
      assert.equal(stateIn(listing, queued.id), 'cancelled');
      assert.deepEqual(
        listing.jobs.find((j) => j.id === newJob),
        { ...listing.jobs.find((j) => j.id === newJob), state: 'queued', retryOf: failed.id, attempt: 2 },
      );

      const prune = await runCli(['jobs', 'prune', '--store', dir, '--json']);
      assert.equal(prune.code, 0, prune.err.join('\n'));
      assert.deepEqual(
        (JSON.parse(prune.out[0]) as { jobs: string[] }).jobs,
        [queued.id, failed.id, done.id].sort(),
      );
      listing = await list(dir);
      assert.deepEqual(
        listing.jobs.map((j) => j.id),
        [newJob],
      );
    });

    it('retries a split run once when two of its parts are named, as one new split run', async () => {
      const dir = tempDir('jobs-dead-');
      const outDir = tempDir('jobs-split-');
      const parts = storedSplitParts(outDir, [['fail'], ['cancel']]);
      await leaveBehind(dir, parts);
      const retry = await runCli(['jobs', 'retry', parts[0].id, parts[1].id, '--store', dir, '--json']);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      const listing = await list(dir);
      const retried = listing.jobs.filter((j) => j.retryOf !== null);
      assert.deepEqual(retried.map((j) => j.retryOf).sort(), parts.map((p) => p.id).sort());
    });

    it('keeps finished jobs younger than --older-than', async () => {
      const dir = tempDir('jobs-dead-');
      await leaveBehind(dir, [storedJob(quickPrompt('d'), ['dispatch', 'start', 'succeed'])]);
      const run = await runCli(['jobs', 'prune', '--store', dir, '--older-than', '7d', '--json']);
      assert.deepEqual(JSON.parse(run.out[0]), { type: 'pruned', jobs: [] });
      assert.equal((await runCli(['jobs', 'prune', '--store', dir, '--older-than', 'soon'])).code, 2);
    });

    it('lists a job run again after the runner stopped during its run, saying so', async () => {
      const dir = tempDir('jobs-dead-');
      const at = new Date(2026, 0, 2, 3, 4, 5).getTime();
      const restarts = [
        { at, started: at - 2000, target: 'embedded', message: 'the runner stopped during the run' },
      ];
      const job = storedJob(quickPrompt('r'), ['dispatch', 'start', 'succeed'], { restarts });
      await leaveBehind(dir, [job]);
      const text = await runCli(['jobs', 'list', '--store', dir]);
      assert.equal(
        text.out[2].trim(),
        'run 2 of this job: the runner stopped during the run on embedded (started 03:04:03), taken back at 03:04:05',
      );
      const [listed] = (await list(dir)).jobs as unknown as { restarts: unknown }[];
      assert.deepEqual(listed.restarts, restarts);
    });

    it('has nothing to resume when every job has ended', async () => {
      const dir = tempDir('jobs-dead-');
      await leaveBehind(dir, [storedJob(quickPrompt('d'), ['fail'])]);
      const run = await runCli(['jobs', 'resume', '--store', dir]);
      assert.deepEqual([run.code, run.out], [0, [`nothing to resume in ${dir}`]]);
    });
  });

  it('exits 2 for a folder that holds no store, and for a missing action', async () => {
    assert.equal((await runCli(['jobs', 'list', '--store', tempDir('jobs-none-')])).code, 2);
    assert.equal((await runCli(['jobs', '--store', tempDir('jobs-none-')])).code, 2);
    assert.equal((await runCli(['jobs', 'cancel', '--store', tempDir('jobs-none-')])).code, 2);
  });
});
