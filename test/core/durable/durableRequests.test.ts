import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cancelStoredJob, retryStoredJob, stopPromptOn } from '../../../src/core/durable/durableOffline';
import { startDurableRunner, type DurableRunner } from '../../../src/core/durable/durableRunner';
import type { JobStore } from '../../../src/core/store/jobStore';
import { ComfyClient } from '../../../src/core/comfy/client';
import { FakeTarget } from '../../fakes/fakeTarget';
import { fastTimings } from '../comfy/replayHarness';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from '../server/gateNodes';
import { call, closeServed, serve } from '../server/serverHarness';
import { spec } from '../scheduler/schedulerKit';
import { leaveBehind, storedJob, storedSplitParts, tempDir, testStore } from './durableKit';

const runners: DurableRunner[] = [];
const stores: JobStore[] = [];

/** A durable runner on a new store over a fake target, and a second handle standing for another process. */
async function ownerAndAsker(): Promise<{ runner: DurableRunner; asker: JobStore; target: FakeTarget }> {
  const dir = tempDir('durable-requests-');
  const target = new FakeTarget('fake');
  const runner = await startDurableRunner({
    store: await testStore(dir),
    targets: [{ target }],
    scheduler: { healthIntervalMs: 0, writeRunRecords: false },
  });
  runners.push(runner);
  const asker = await testStore(dir, process.pid + 1);
  stores.push(asker);
  return { runner, asker, target };
}

/** Asks the owner through the store and waits for its answer. */
async function ask(asker: JobStore, op: 'cancel' | 'retry', jobId: string) {
  const request = await asker.request(op, jobId);
  return asker.waitForAnswer(request.id, AbortSignal.timeout(10_000));
}

describe('durable runner: requests of other processes', function () {
  this.timeout(20_000);
  afterEach(async () => {
    gates.reset();
    for (const r of runners.splice(0)) await r.close();
    for (const s of stores.splice(0)) await s.close();
    await closeServed();
  });

  it('cancels a queued job and a running one when another process asks', async () => {
    const { runner, asker, target } = await ownerAndAsker();
    const running = runner.scheduler.add(spec({ outDir: tempDir('out-') }));
    const queued = runner.scheduler.add(spec({ outDir: tempDir('out-') }));
    target.runOf(running.id).start();
    assert.deepEqual(await ask(asker, 'cancel', queued.id).then((a) => [a.ok, a.message]), [
      true,
      'cancelled',
    ]);
    assert.equal((await asker.get(queued.id))?.state, 'cancelled');
    assert.equal((await ask(asker, 'cancel', running.id)).ok, true);
    await runner.idle();
    assert.equal((await asker.get(running.id))?.state, 'cancelled');
  });

  it('retries a failed job as a new job linked to it, and says which', async () => {
    const { runner, asker, target } = await ownerAndAsker();
    const job = runner.scheduler.add(spec({ outDir: tempDir('out-') }));
    target.runOf(job.id).error();
    await runner.idle();
    const answer = await ask(asker, 'retry', job.id);
    assert.equal(answer.ok, true);
    const retry = (await asker.get(answer.jobId!))!;
    assert.deepEqual([retry.retryOf, retry.attempt, retry.state], [job.id, 2, 'dispatching']);
  });

  it('answers no for a job it does not know or that has ended', async () => {
    const { runner, asker, target } = await ownerAndAsker();
    const job = runner.scheduler.add(spec({ outDir: tempDir('out-') }));
    target.runOf(job.id).succeed();
    await runner.idle();
    assert.equal((await ask(asker, 'cancel', job.id)).ok, false);
    assert.equal((await ask(asker, 'retry', job.id)).ok, false);
    assert.equal((await ask(asker, 'cancel', randomUUID())).ok, false);
  });

  it('applies at start the requests left while nobody owned the store', async () => {
    const dir = tempDir('durable-requests-');
    const waiting = storedJob(quickPrompt('never'));
    await leaveBehind(dir, [waiting]);
    const asker = await testStore(dir, process.pid + 1);
    stores.push(asker);
    const request = await asker.request('cancel', waiting.id);
    const runner = await startDurableRunner({
      store: await testStore(dir),
      targets: [{ target: new FakeTarget('fake') }],
      scheduler: { healthIntervalMs: 0 },
    });
    runners.push(runner);
    assert.equal(runner.scheduler.job(waiting.id)?.state, 'cancelled');
    assert.equal((await asker.waitForAnswer(request.id, AbortSignal.timeout(5_000))).ok, true);
  });
});

describe('durable runner: changing a store nobody runs', function () {
  this.timeout(20_000);
  afterEach(async () => {
    gates.reset();
    for (const s of stores.splice(0)) await s.close();
    await closeServed();
  });

  /** The store in `dir`, taken over from its dead owner. */
  async function takeOver(dir: string): Promise<JobStore> {
    const store = await testStore(dir);
    stores.push(store);
    assert.equal((await store.acquire()).acquired, true);
    return store;
  }

  it('cancels a queued job, and retries numbering after the newest attempt', async () => {
    const dir = tempDir('durable-offline-');
    const queued = storedJob(quickPrompt('q'));
    const first = storedJob(quickPrompt('f'), ['fail']);
    const second = storedJob(quickPrompt('f'), ['fail'], { attempt: 2, retryOf: first.id });
    await leaveBehind(dir, [queued, first, second]);
    const store = await takeOver(dir);
    const stop = () => Promise.reject(new Error('a queued job has nothing to stop'));
    assert.deepEqual(await cancelStoredJob(store, queued.id, stop), { ok: true, message: 'cancelled' });
    assert.equal((await store.get(queued.id))?.state, 'cancelled');
    assert.equal((await cancelStoredJob(store, queued.id, stop)).ok, false);
    const third = await retryStoredJob(store, first.id);
    assert.deepEqual([third.attempt, third.retryOf, third.state], [3, first.id, 'queued']);
    assert.deepEqual(await store.get(third.id), JSON.parse(JSON.stringify(third)));
  });

  it('retries a split run of a store nobody runs whole, as one new split run, when one part is named', async () => {
    const dir = tempDir('durable-offline-');
    const outDir = tempDir('durable-split-');
    const parts = storedSplitParts(outDir, [['fail'], ['cancel']]);
    await leaveBehind(dir, parts);
    const store = await takeOver(dir);
    const first = await retryStoredJob(store, parts[1].id);
    const retried = (await store.list()).filter((j) => j.split?.id === first.split!.id);
    assert.notEqual(first.split!.id, 'run');
    assert.deepEqual(
      retried
        .sort((a, b) => a.split!.index - b.split!.index)
        .map((j) => [j.retryOf, j.attempt, j.state, j.outDir]),
      parts.map((p) => [p.id, 2, 'queued', `${outDir}-retry2`]),
    );
  });

  it('stops a job’s prompt on its server before marking it cancelled', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const promptId = randomUUID();
    await call(url, 'POST', '/prompt', {
      prompt: gatedPrompt('stop-me'),
      prompt_id: promptId,
      client_id: 'c',
    });
    const dir = tempDir('durable-offline-');
    const job = storedJob(gatedPrompt('stop-me'), ['dispatch', 'start'], { server: url, promptId });
    await leaveBehind(dir, [job]);
    const store = await takeOver(dir);
    const client = new ComfyClient({ baseUrl: url, ...fastTimings });
    try {
      const outcome = await cancelStoredJob(store, job.id, (j) => stopPromptOn(client, j));
      assert.deepEqual(outcome, { ok: true, message: 'cancelled' });
    } finally {
      await client.dispose();
    }
    assert.equal((await store.get(job.id))?.state, 'cancelled');
    const queue = (await call(url, 'GET', '/queue')).json as Record<string, unknown[]>;
    assert.deepEqual(queue, { queue_running: [], queue_pending: [] });
  });
});
