import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunnerError } from '../../../src/core/util/runnerError';
import type { StoreEvent } from '../../../src/core/store/jobStore';
import { openStore } from '../../../src/core/store/openStore';
import { fakeClock, quietOptions, tempStoreDir } from '../../fakes/storeKit';

/** An owner (pid 1000) and an asker (pid 2000) on one store. */
async function ownerAndAsker() {
  const dir = tempStoreDir();
  const clock = fakeClock();
  const owner = await openStore(dir, quietOptions(clock, 1000));
  const asker = await openStore(dir, quietOptions(clock, 2000));
  await owner.acquire();
  return { dir, clock, owner, asker };
}

describe('job store: requests', () => {
  it('delivers a request from another process to the owner', async () => {
    const { owner, asker } = await ownerAndAsker();
    const sent = await asker.request('cancel', 'job-1');
    assert.deepEqual(await owner.takeRequests(), [sent]);
  });

  it('says who asked', async () => {
    const { owner, asker } = await ownerAndAsker();
    await asker.request('retry', 'job-1');
    const [request] = await owner.takeRequests();
    assert.deepEqual(request.from, { pid: 2000, hostname: 'test-host' });
  });

  it('delivers requests in the order they were made', async () => {
    const { clock, owner, asker } = await ownerAndAsker();
    await asker.request('cancel', 'job-b');
    clock.advance(1);
    await asker.request('retry', 'job-a');
    assert.deepEqual(
      (await owner.takeRequests()).map((r) => `${r.op} ${r.jobId}`),
      ['cancel job-b', 'retry job-a'],
    );
  });

  it('delivers each request once', async () => {
    const { owner, asker } = await ownerAndAsker();
    await asker.request('retry', 'job-1');
    await owner.takeRequests();
    assert.deepEqual(await owner.takeRequests(), []);
  });

  it('keeps requests made while there is no owner for the next owner', async () => {
    const { owner, asker } = await ownerAndAsker();
    await owner.release();
    const sent = await asker.request('cancel', 'job-1');
    await owner.acquire();
    assert.deepEqual(await owner.takeRequests(), [sent]);
  });

  it('refuses to hand requests to a process that does not own the store', async () => {
    const { asker } = await ownerAndAsker();
    await assert.rejects(asker.takeRequests(), (e) => isRunnerError(e, 'internal'));
  });

  it('refuses a request for an id that cannot be a job', async () => {
    const { asker } = await ownerAndAsker();
    await assert.rejects(asker.request('cancel', '../x'), (e) => isRunnerError(e, 'bad_input'));
  });

  it('refuses an operation it does not know', async () => {
    const { asker } = await ownerAndAsker();
    await assert.rejects(asker.request('delete' as 'cancel', 'job-1'), (e) => isRunnerError(e, 'bad_input'));
  });

  it('reports and drops a request file that is not a request', async () => {
    const { dir, owner } = await ownerAndAsker();
    writeFileSync(join(dir, 'requests', '000000000000001-junk.json'), '{"op": "explode"}');
    const problems: StoreEvent[] = [];
    owner.subscribe((e) => problems.push(e));
    assert.deepEqual(await owner.takeRequests(), []);
    assert.equal(problems.filter((e) => e.type === 'store/problem').length, 1);
    assert.deepEqual(readdirSync(join(dir, 'requests')), []);
  });

  it('tells the owner once that requests are pending', async () => {
    const { owner, asker } = await ownerAndAsker();
    const events: StoreEvent[] = [];
    owner.subscribe((e) => events.push(e));
    await asker.request('cancel', 'job-1');
    await owner.reload();
    await owner.reload();
    assert.deepEqual(
      events.filter((e) => e.type === 'requests/pending'),
      [{ type: 'requests/pending', count: 1 }],
    );
  });
});

describe('job store: answers', () => {
  it('gives the asker the owner answer', async () => {
    const { owner, asker } = await ownerAndAsker();
    const sent = await asker.request('retry', 'job-1');
    const [request] = await owner.takeRequests();
    await owner.answer(request, { ok: true, message: 'retried', jobId: 'job-2' });
    const answer = await asker.waitForAnswer(sent.id);
    assert.deepEqual(
      { ok: answer.ok, message: answer.message, jobId: answer.jobId },
      {
        ok: true,
        message: 'retried',
        jobId: 'job-2',
      },
    );
  });

  it('delivers an answer that arrives while the asker waits', async () => {
    const { owner, asker } = await ownerAndAsker();
    const sent = await asker.request('cancel', 'job-1');
    const waiting = asker.waitForAnswer(sent.id);
    const [request] = await owner.takeRequests();
    await owner.answer(request, { ok: false, message: 'job is already finished' });
    // The test's store does not watch; a reload stands for the watcher noticing the answer file.
    await asker.reload();
    assert.equal((await waiting).message, 'job is already finished');
  });

  it('deletes the answer once read', async () => {
    const { dir, owner, asker } = await ownerAndAsker();
    const sent = await asker.request('cancel', 'job-1');
    await owner.answer((await owner.takeRequests())[0], { ok: true, message: 'cancelled' });
    await asker.waitForAnswer(sent.id);
    assert.deepEqual(readdirSync(join(dir, 'answers')), []);
  });

  it('stops waiting with a timeout error when the signal times out', async () => {
    const { asker } = await ownerAndAsker();
    const sent = await asker.request('cancel', 'job-1');
    const aborter = new AbortController();
    const waiting = asker.waitForAnswer(sent.id, aborter.signal);
    aborter.abort(new DOMException('timed out', 'TimeoutError'));
    await assert.rejects(waiting, (e) => isRunnerError(e, 'timeout'));
  });

  it('stops waiting with interrupted when the store closes', async () => {
    const { asker } = await ownerAndAsker();
    const sent = await asker.request('cancel', 'job-1');
    const waiting = asker.waitForAnswer(sent.id);
    await asker.close();
    await assert.rejects(waiting, (e) => isRunnerError(e, 'interrupted'));
  });

  it('prunes answers nobody picked up', async () => {
    const { dir, clock, owner, asker } = await ownerAndAsker();
    await asker.request('cancel', 'job-1');
    await owner.answer((await owner.takeRequests())[0], { ok: true, message: 'cancelled' });
    clock.advance(2 * 86_400_000);
    await owner.prune({ olderThan: 86_400_000 });
    assert.deepEqual(readdirSync(join(dir, 'answers')), []);
  });
});
