import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { openRunner, type Runner, type RunnerEvent } from '../../../src/core/run/runner';
import { watchStore, type StoreWatch } from '../../../src/core/run/storeWatch';
import { workflowsDir } from '../../fakes/fixturePaths';
import { tempDir } from '../../fakes/tempDirs';

const invert = resolve(workflowsDir, '01_invert.json');

describe('following a store another process runs', function () {
  this.timeout(30_000);
  let runner: Runner;
  let watch: StoreWatch;
  const events: RunnerEvent[] = [];

  async function start(paused: boolean): Promise<void> {
    const dir = tempDir('comfy-watch-');
    const store = { pollMs: 50, heartbeatMs: 0 };
    runner = await openRunner({
      storeDir: join(dir, '.store'),
      unfinished: 'refuse',
      out: dir,
      store,
      paused,
    });
    watch = await watchStore(join(dir, '.store'), store);
    watch.subscribe((e) => events.push(e));
  }

  /** Resolves once an event matching `when` has arrived. */
  async function seen(when: (e: RunnerEvent) => boolean): Promise<void> {
    while (!events.some(when)) await new Promise((r) => setTimeout(r, 25));
  }

  afterEach(async () => {
    await watch.close();
    await runner.close();
    events.length = 0;
  });

  it('sees the owner’s new job and its end as a runner’s events', async () => {
    await start(false);
    const [job] = await runner.submit({ workflows: [{ file: invert }] });
    await seen((e) => e.type === 'job/added' && e.job.id === job.id);
    await seen((e) => e.type === 'job/state' && e.jobId === job.id && e.to === 'succeeded');
    assert.equal(watch.snapshot().jobs.find((j) => j.job.id === job.id)?.job.state, 'succeeded');
  });

  it('asks the owner to cancel a queued job, and the owner does', async () => {
    await start(true);
    const [job] = await runner.submit({ workflows: [{ file: invert }] });
    await seen((e) => e.type === 'job/added' && e.job.id === job.id);
    const answer = await watch.request('cancel', job.id);
    assert.equal(answer.ok, true, answer.message);
    await seen((e) => e.type === 'job/state' && e.jobId === job.id && e.to === 'cancelled');
    assert.equal(runner.job(job.id)?.state, 'cancelled');
  });

  it('names the live owner of the store', async () => {
    await start(true);
    assert.deepEqual(await watch.owner(), {
      pid: process.pid,
      hostname: (await import('node:os')).hostname(),
      live: true,
    });
  });

  it('waits while the owner runs and resolves once the owner has given the store up', async () => {
    await start(true);
    let free = false;
    const done = watch.whenFree(20).then(() => {
      free = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(free, false, 'resolved while the owner still held the store');
    await runner.close();
    await done;
    assert.equal(free, true);
  });

  it('stops waiting with the reason of the signal that aborts it', async () => {
    await start(true);
    const stop = new AbortController();
    const waiting = watch.whenFree(20, stop.signal);
    stop.abort(new Error('the window closed'));
    await assert.rejects(waiting, /the window closed/);
  });
});
