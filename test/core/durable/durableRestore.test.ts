import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { startDurableRunner, type DurableRunner } from '../../../src/core/durable/durableRunner';
import type { Job } from '../../../src/core/jobs/job';
import type { RunTarget } from '../../../src/core/scheduler/targets/runTarget';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from '../server/gateNodes';
import { call, closeServed, serve } from '../server/serverHarness';
import { history, leaveBehind, loopTarget, runsOf, storedJob, tempDir, testStore } from './durableKit';

const CLIENT = 'durable-restore-client';
const runners: DurableRunner[] = [];
// Prompt ids as the servers require them: canonical lowercase UUIDs.
const goneId = randomUUID();
const gone2Id = randomUUID();
const heldId = randomUUID();
const meanwhileId = randomUUID();
const unconfirmedId = randomUUID();
const unsentId = randomUUID();

/** Starts a durable runner over one remote target on the store in `dir`. */
async function startOn(dir: string, target: RunTarget, paused = false): Promise<DurableRunner> {
  const runner = await startDurableRunner({
    store: await testStore(dir),
    targets: [{ target, slots: 1, prefetch: true }],
    scheduler: { healthIntervalMs: 0 },
    paused,
  });
  runners.push(runner);
  return runner;
}

/** Submits a prompt as the runner that died did: under its client id and a prompt id it chose. */
async function submittedBefore(url: string, prompt: ApiPrompt, promptId: string): Promise<void> {
  const reply = await call(url, 'POST', '/prompt', { prompt, prompt_id: promptId, client_id: CLIENT });
  assert.equal(reply.status, 200, reply.text);
}

/** The job as the store has it now. */
async function inStore(dir: string, id: string): Promise<Job | undefined> {
  const store = await testStore(dir);
  try {
    return await store.get(id);
  } finally {
    await store.close();
  }
}

async function waitFor(what: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await what())) await new Promise((r) => setTimeout(r, 10));
}

describe('durable runner: taking stored jobs back', function () {
  this.timeout(20_000);
  afterEach(async () => {
    gates.reset();
    for (const r of runners.splice(0)) await r.close();
    await closeServed();
  });

  it('keeps queued jobs queued, in their order, and runs them when the queue goes', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const dir = tempDir('durable-store-');
    const first = storedJob(quickPrompt('q1'), [], { times: { queued: 1000, nodes: {} } });
    const second = storedJob(quickPrompt('q2'), [], { times: { queued: 2000, nodes: {} } });
    await leaveBehind(dir, [second, first]);
    const runner = await startOn(dir, loopTarget(url, CLIENT), true);
    assert.deepEqual(runner.restored.queued, [first.id, second.id]);
    assert.equal(runner.scheduler.job(first.id)?.state, 'queued');
    assert.equal((await inStore(dir, second.id))?.state, 'queued');
    runner.scheduler.resume();
    await runner.idle();
    for (const job of [first, second]) {
      const done = (await inStore(dir, job.id))!;
      assert.equal(done.state, 'succeeded');
      assert.ok(existsSync(join(done.outDir, done.outputs[0].path)));
    }
    assert.deepEqual([await runsOf(url, 'q1'), await runsOf(url, 'q2')], [1, 1]);
  });

  it('takes a running job back on its server under the same prompt id and collects its outputs', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await submittedBefore(url, gatedPrompt('held'), heldId);
    const dir = tempDir('durable-store-');
    const job = storedJob(gatedPrompt('held'), ['dispatch', 'start'], { server: url, promptId: heldId });
    await leaveBehind(dir, [job]);
    const runner = await startOn(dir, loopTarget(url, CLIENT));
    assert.deepEqual(runner.restored.reattached, [job.id]);
    // Confirmed by the server while it still waits at its gate: followed, not found finished.
    await waitFor(() => runner.scheduler.job(job.id)?.times.accepted !== undefined);
    gates.open('held');
    await runner.idle();
    const done = (await inStore(dir, job.id))!;
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(
      done.outputs.map((o) => o.path),
      ['held_00001_.txt'],
    );
    assert.ok(existsSync(join(done.outDir, 'held_00001_.txt')));
    assert.deepEqual(
      (await history(url)).map((h) => h.promptId),
      [heldId],
    );
  });

  it('collects the outputs of a job that finished while no runner was there', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await submittedBefore(url, quickPrompt('meanwhile'), meanwhileId);
    await waitFor(async () => (await history(url)).length === 1);
    const dir = tempDir('durable-store-');
    const job = storedJob(quickPrompt('meanwhile'), ['dispatch', 'start'], {
      server: url,
      promptId: meanwhileId,
    });
    await leaveBehind(dir, [job]);
    const runner = await startOn(dir, loopTarget(url, CLIENT));
    await runner.idle();
    const done = (await inStore(dir, job.id))!;
    assert.equal(done.state, 'succeeded');
    assert.ok(existsSync(join(done.outDir, 'meanwhile_00001_.txt')));
    assert.equal(await runsOf(url, 'meanwhile'), 1);
  });

  it('marks lost, and never submits again, an accepted job the server no longer knows', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const dir = tempDir('durable-store-');
    const running = storedJob(quickPrompt('gone'), ['dispatch', 'start'], { server: url, promptId: goneId });
    const accepted = storedJob(quickPrompt('gone2'), ['dispatch'], { server: url, promptId: gone2Id });
    accepted.times.accepted = accepted.times.dispatched;
    await leaveBehind(dir, [running, accepted]);
    const runner = await startOn(dir, loopTarget(url, CLIENT));
    await runner.idle();
    for (const job of [running, accepted]) {
      const lost = (await inStore(dir, job.id))!;
      assert.equal(lost.state, 'lost');
      assert.equal(lost.error?.reason, 'lost');
    }
    assert.deepEqual(await history(url), []);
  });

  it('submits once, under its kept prompt id, a job whose submission never reached the server', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const dir = tempDir('durable-store-');
    const job = storedJob(quickPrompt('unsent'), ['dispatch'], { server: url, promptId: unsentId });
    await leaveBehind(dir, [job]);
    const runner = await startOn(dir, loopTarget(url, CLIENT));
    await runner.idle();
    const done = (await inStore(dir, job.id))!;
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.promptId, unsentId);
    assert.deepEqual(
      (await history(url)).map((h) => h.promptId),
      [unsentId],
    );
  });

  it('follows, without submitting again, a job whose submission reached the server unconfirmed', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await submittedBefore(url, gatedPrompt('unconfirmed'), unconfirmedId);
    const dir = tempDir('durable-store-');
    const job = storedJob(gatedPrompt('unconfirmed'), ['dispatch'], { server: url, promptId: unconfirmedId });
    await leaveBehind(dir, [job]);
    const runner = await startOn(dir, loopTarget(url, CLIENT));
    assert.deepEqual(runner.restored.reattached, [job.id]);
    await waitFor(() => runner.scheduler.job(job.id)?.times.accepted !== undefined);
    gates.open('unconfirmed');
    await runner.idle();
    const done = (await inStore(dir, job.id))!;
    assert.equal(done.state, 'succeeded');
    assert.equal(await runsOf(url, 'unconfirmed'), 1);
  });

  it('queues again a job that was dispatching before it had a prompt id', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const dir = tempDir('durable-store-');
    const job = storedJob(quickPrompt('early'), ['dispatch'], { server: url });
    await leaveBehind(dir, [job]);
    const runner = await startOn(dir, loopTarget(url, CLIENT), true);
    assert.deepEqual(runner.restored.requeued, [job.id]);
    assert.equal((await inStore(dir, job.id))?.state, 'queued');
    runner.scheduler.resume();
    await runner.idle();
    assert.equal((await inStore(dir, job.id))?.state, 'succeeded');
    assert.equal(await runsOf(url, 'early'), 1);
  });

  it('refuses a store that a live process owns', async () => {
    const dir = tempDir('durable-store-');
    const owner = await testStore(dir);
    await owner.acquire();
    const target = loopTarget('http://127.0.0.1:9');
    const e = await startDurableRunner({ store: await testStore(dir), targets: [{ target }] }).catch(
      (x: unknown) => x,
    );
    assert.ok(isRunnerError(e, 'bad_input'), String(e));
    await owner.close();
  });
});
