import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { startDurableRunner, type DurableRunner } from '../../../src/core/durable/durableRunner';
import { takeBackVerdict } from '../../../src/core/durable/takeBackInProcess';
import type { Job, RestartRecord } from '../../../src/core/jobs/job';
import type { PoolTargetOptions } from '../../../src/core/scheduler/pool/poolTarget';
import { embeddedTarget } from '../../../src/core/scheduler/targets/embeddedTarget';
import { testEngine, testRegistry } from '../../fakes/testNodes';
import { call, closeServed, serve } from '../server/serverHarness';
import { quickPrompt } from '../server/gateNodes';
import { history, leaveBehind, loopTarget, storedJob, tempDir, testStore } from './durableKit';

const CLIENT = 'take-back-client';
const restart = (at: number): RestartRecord => ({ at, target: 'embedded', message: 'stopped' });
const runners: DurableRunner[] = [];

/** Starts a durable runner, paused, over the embedded engine (and `more` targets) on the store in `dir`. */
async function startOn(dir: string, more: PoolTargetOptions[] = []): Promise<DurableRunner> {
  const engine = testEngine({ workers: false });
  const runner = await startDurableRunner({
    store: await testStore(dir),
    targets: [{ target: embeddedTarget(engine), slots: 1, prefetch: true }, ...more],
    scheduler: { healthIntervalMs: 0 },
    paused: true,
  });
  runners.push(runner);
  return runner;
}

/** The job as the store has it now. */
async function inStore(dir: string, id: string): Promise<Job> {
  const store = await testStore(dir);
  try {
    return (await store.get(id))!;
  } finally {
    await store.close();
  }
}

/** A job the engine of a runner that died had accepted under a prompt id of its own. */
function onEngine(tag: string, ops: ('dispatch' | 'start')[], patch: Partial<Job> = {}): Job {
  const accepted = { promptId: randomUUID(), server: 'embedded' };
  const job = storedJob(quickPrompt(tag), ops, { ...accepted, ...patch });
  job.times.accepted = job.times.dispatched;
  return job;
}

describe('taking back the jobs a stopped runner had on the embedded engine', function () {
  this.timeout(20_000);
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.close();
    await closeServed();
  });

  describe('the rule', () => {
    const job = (state: Job['state'], restarts: RestartRecord[] = []) =>
      ({ ...storedJob(quickPrompt('rule')), state, restarts }) as Job;
    const own = { inProcess: true, folderShared: false };

    it('queues again a job that had not started on a target inside the stopped process', () => {
      assert.equal(takeBackVerdict(job('dispatching'), own), 'requeue');
    });

    it('runs again a job that was running on a target inside the stopped process', () => {
      assert.equal(takeBackVerdict(job('running', [restart(1)]), own), 'restart');
    });

    it('leaves a job on a server to its target, which asks the server by prompt id', () => {
      const remote = { inProcess: false, folderShared: false };
      assert.equal(takeBackVerdict(job('running'), remote), 'leave');
      assert.equal(takeBackVerdict(job('dispatching'), remote), 'leave');
    });

    it('loses a job whose runs the runner’s stopping cut short three times already', () => {
      assert.equal(takeBackVerdict(job('running', [restart(1), restart(2), restart(3)]), own), 'lose');
    });

    it('loses, rather than empties, a folder another job shares', () => {
      assert.equal(takeBackVerdict(job('running'), { inProcess: true, folderShared: true }), 'lose');
    });

    it('leaves queued and ended jobs as they are', () => {
      for (const state of ['queued', 'succeeded', 'failed', 'cancelled', 'lost'] as const)
        assert.equal(takeBackVerdict(job(state), own), 'leave', state);
    });
  });

  it('queues a prefetched job again in its place and runs it once, with no restart recorded', async () => {
    const dir = tempDir('take-back-store-');
    const prefetched = onEngine('prefetched', ['dispatch']);
    const later = storedJob(quickPrompt('later'), [], { times: { queued: Date.now() + 1, nodes: {} } });
    await leaveBehind(dir, [later, prefetched]);
    const runner = await startOn(dir);
    assert.deepEqual(runner.restored.requeued, [prefetched.id]);
    assert.deepEqual(runner.restored.lost, []);
    const stored = await inStore(dir, prefetched.id);
    assert.equal(stored.state, 'queued');
    assert.equal(stored.promptId, undefined);
    const started: string[] = [];
    runner.scheduler.subscribe((e) => {
      if (e.type === 'job/state' && e.to === 'running') started.push(e.jobId);
    });
    runner.scheduler.resume();
    await runner.idle();
    const first = await inStore(dir, prefetched.id);
    assert.equal(first.state, 'succeeded');
    assert.equal(first.restarts, undefined);
    assert.deepEqual(started, [prefetched.id, later.id], 'it keeps its place before the later job');
  });

  it('runs a job that was running again in a clean folder, recording the run cut short', async () => {
    const dir = tempDir('take-back-store-');
    const cut = onEngine('cut', ['dispatch', 'start']);
    // What the run cut short wrote before the process died: the first of its numbered files.
    mkdirSync(join(cut.outDir, 'previews'), { recursive: true });
    writeFileSync(join(cut.outDir, 'cut_00001_.txt'), 'half');
    await leaveBehind(dir, [cut]);
    const before = Date.now();
    const runner = await startOn(dir);
    assert.deepEqual(runner.restored.restarted, [cut.id]);
    const queued = await inStore(dir, cut.id);
    assert.equal(queued.state, 'queued');
    const aside = readdirSync(dirname(cut.outDir)).filter((f) => f.startsWith(`.${basename(cut.outDir)}.`));
    assert.deepEqual(aside, [], 'nothing of the old folder is left beside it');
    assert.equal(queued.restarts?.length, 1);
    const record = queued.restarts![0];
    assert.equal(record.message, 'the runner stopped during the run');
    assert.equal(record.target, 'embedded');
    assert.equal(record.started, cut.times.started);
    assert.ok(record.at >= before && record.at <= Date.now(), String(record.at));

    runner.scheduler.resume();
    await runner.idle();
    const done = await inStore(dir, cut.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.restarts, queued.restarts, 'the record stays on the job');
    assert.deepEqual(
      done.outputs.map((o) => o.path),
      ['cut_00001_.txt'],
    );
    assert.deepEqual(readdirSync(done.outDir).sort(), ['cut_00001_.txt', 'run.json']);
    assert.notEqual(readFileSync(join(done.outDir, 'cut_00001_.txt'), 'utf8'), 'half');
    const runRecord = JSON.parse(readFileSync(join(done.outDir, 'run.json'), 'utf8')) as Pick<
      Job,
      'restarts'
    >;
    assert.deepEqual(runRecord.restarts, queued.restarts, 'and so does its run record');
  });

  it('loses a job whose runs were cut short three times before, without running it', async () => {
    const dir = tempDir('take-back-store-');
    const looping = onEngine('looping', ['dispatch', 'start'], {
      restarts: [restart(1), restart(2), restart(3)],
    });
    await leaveBehind(dir, [looping]);
    const runner = await startOn(dir);
    assert.deepEqual(runner.restored.lost, [looping.id]);
    runner.scheduler.resume();
    await runner.idle();
    const lost = await inStore(dir, looping.id);
    assert.equal(lost.state, 'lost');
    assert.equal(lost.error?.reason, 'lost');
    assert.equal(lost.outputs.length, 0);
  });

  it('queues again, rather than loses, the engine’s jobs when the pool is servers only this time', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const dir = tempDir('take-back-store-');
    const prefetched = onEngine('servers-only-prefetched', ['dispatch']);
    const running = onEngine('servers-only-running', ['dispatch', 'start']);
    await leaveBehind(dir, [prefetched, running]);
    const runner = await startDurableRunner({
      store: await testStore(dir),
      targets: [{ target: loopTarget(url, CLIENT) }],
      inProcessNames: ['embedded'],
      scheduler: { healthIntervalMs: 0 },
      paused: true,
    });
    runners.push(runner);
    assert.deepEqual(
      [runner.restored.requeued, runner.restored.restarted, runner.restored.lost],
      [[prefetched.id], [running.id], []],
    );
    assert.deepEqual(
      [(await inStore(dir, prefetched.id)).state, (await inStore(dir, running.id)).state],
      ['queued', 'queued'],
    );
  });

  it('follows a job running on a server by its prompt id beside one it runs again on the engine', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const promptId = randomUUID();
    const reply = await call(url, 'POST', '/prompt', {
      prompt: quickPrompt('remote'),
      prompt_id: promptId,
      client_id: CLIENT,
    });
    assert.equal(reply.status, 200, reply.text);
    const dir = tempDir('take-back-store-');
    const remote = storedJob(quickPrompt('remote'), ['dispatch', 'start'], { server: url, promptId });
    const local = onEngine('local', ['dispatch', 'start'], { runOn: { targets: ['embedded'] } });
    await leaveBehind(dir, [remote, local]);
    const runner = await startOn(dir, [{ target: loopTarget(url, CLIENT) }]);
    assert.deepEqual(runner.restored.reattached, [remote.id]);
    assert.deepEqual(runner.restored.restarted, [local.id]);
    runner.scheduler.resume();
    await runner.idle();
    const followed = await inStore(dir, remote.id);
    assert.equal(followed.state, 'succeeded', JSON.stringify(followed.error));
    assert.equal(followed.promptId, promptId);
    assert.equal(followed.restarts, undefined);
    assert.deepEqual(
      (await history(url)).map((h) => h.promptId),
      [promptId],
      'never submitted again',
    );
    assert.equal((await inStore(dir, local.id)).state, 'succeeded');
  });
});
