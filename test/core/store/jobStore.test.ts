import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { applyOperation, type Job } from '../../../src/core/jobs/job';
import { openStore } from '../../../src/core/store/openStore';
import { fakeClock, quietOptions, sampleJob, tempStoreDir } from '../../fakes/storeKit';

async function ownedStore(dir = tempStoreDir(), clock = fakeClock()) {
  const store = await openStore(dir, quietOptions(clock));
  await store.acquire();
  return store;
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

describe('job store: jobs', () => {
  it('gives back a stored job unchanged', async () => {
    const store = await ownedStore();
    const job = sampleJob({ server: 'gpu-1', promptId: 'p-1', warnings: ['partial'] });
    await store.put(job);
    assert.deepEqual(await store.get(job.id), job);
  });

  it('keeps every optional field of a job', async () => {
    const store = await ownedStore();
    const job = sampleJob({
      extraPngInfo: { workflow: { nodes: [], links: [] } },
      server: 'gpu-1',
      promptId: 'p-1',
      attempt: 2,
      retryOf: 'first',
      batch: { id: 'batch-1', index: 2, size: 3 },
      outputs: [{ path: 'a.png', nodeId: '9', kind: 'images', index: 0, size: 3, sha256: 'c'.repeat(64) }],
      error: { message: 'boom', reason: 'execution_failed', node_id: '3', traceback: ['line'] },
      priority: 5,
      dependsOn: ['first'],
      runOn: { targets: ['gpu-1'], tags: ['sdxl'] },
      onNoTarget: 'fail',
      blockedReason: 'gpu-2: no node class X',
      autoRetries: [{ at: 1, reason: 'timeout', message: 'slow', target: 'gpu-2' }],
    });
    await store.put(job);
    assert.deepEqual(await store.get(job.id), job);
  });

  it('leaves one file per job named after its id once it lets the store go', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    const job = sampleJob();
    await store.put(job);
    await store.release();
    assert.deepEqual(readdirSync(join(dir, 'jobs')), [`${job.id}.json`]);
  });

  it('writes a job with a server name and nothing beyond the fields of a job', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    const job = sampleJob({ server: 'gpu-1' });
    // A caller that hangs a credential on the object by mistake must not get it written.
    const withSecret = { ...job, auth: { token: 'sk-secret' }, headers: { Authorization: 'Bearer x' } };
    await store.put(withSecret as Job);
    const journal = readdirSync(join(dir, 'jobs')).find((f) => f.startsWith('journal-'))!;
    const line = readFileSync(join(dir, 'jobs', journal), 'utf8');
    await store.release();
    const text = readFileSync(join(dir, 'jobs', `${job.id}.json`), 'utf8');
    assert.deepEqual(JSON.parse(line), job);
    assert.deepEqual(JSON.parse(text), job);
    assert.ok(![line, text].some((t) => t.includes('secret') || t.includes('Bearer')));
    assert.deepEqual(filesUnder(dir).sort(), [join('jobs', `${job.id}.json`), 'store.json']);
  });

  it('answers undefined for a job it does not have', async () => {
    const store = await ownedStore();
    assert.equal(await store.get('no-such-job'), undefined);
  });

  it('lists jobs oldest first', async () => {
    const store = await ownedStore();
    const late = sampleJob({}, 3000);
    const early = sampleJob({}, 1000);
    await store.put(late);
    await store.put(early);
    assert.deepEqual(
      (await store.list()).map((j) => j.id),
      [early.id, late.id],
    );
  });

  it('filters the list by state, server and workflow file', async () => {
    const store = await ownedStore();
    const a = sampleJob({ server: 'gpu-1' });
    const b = applyOperation(sampleJob({ server: 'gpu-2' }), 'cancel');
    const c = sampleJob({
      server: 'gpu-1',
      workflow: { file: 'other.json', sourceHash: '', promptHash: '' },
    });
    for (const j of [a, b, c]) await store.put(j);
    assert.deepEqual(
      (await store.list({ states: ['cancelled'] })).map((j) => j.id),
      [b.id],
    );
    assert.equal((await store.list({ server: 'gpu-1' })).length, 2);
    assert.deepEqual(
      (await store.list({ server: 'gpu-1', workflowFile: 'other.json' })).map((j) => j.id),
      [c.id],
    );
  });

  it('returns copies that do not change the store when edited', async () => {
    const store = await ownedStore();
    const job = sampleJob();
    await store.put(job);
    (await store.list())[0].warnings.push('edited');
    assert.deepEqual((await store.list())[0].warnings, []);
  });

  it('keeps the last version of a job put twice', async () => {
    const store = await ownedStore();
    const job = sampleJob();
    await store.put(job);
    await store.put(applyOperation(job, 'dispatch'));
    assert.equal((await store.get(job.id))?.state, 'dispatching');
  });

  it('removes a job and says whether it had one', async () => {
    const store = await ownedStore();
    const job = sampleJob();
    await store.put(job);
    assert.equal(await store.remove(job.id), true);
    assert.equal(await store.remove(job.id), false);
    assert.deepEqual(await store.list(), []);
  });

  it('refuses an id that cannot be a file name', async () => {
    const store = await ownedStore();
    for (const id of ['../escape', 'a/b', '', '.hidden', 'x'.repeat(200)]) {
      await assert.rejects(store.put(sampleJob({ id })), (e) => isRunnerError(e, 'bad_input'));
    }
  });

  it('refuses to store something that is not a job', async () => {
    const store = await ownedStore();
    const broken = { ...sampleJob(), state: 'exploded' } as unknown as Job;
    await assert.rejects(store.put(broken), (e) => isRunnerError(e, 'internal'));
  });

  it('refuses to store a job that could not be listed back: no queued time, or attempt 0', async () => {
    const store = await ownedStore();
    const job = sampleJob();
    const noTime = { ...job, times: { nodes: {} } } as unknown as Job;
    await assert.rejects(store.put(noTime), (e) => isRunnerError(e, 'internal'));
    await assert.rejects(store.put({ ...job, attempt: 0 }), (e) => isRunnerError(e, 'internal'));
    assert.deepEqual(await store.list(), []);
  });

  it('ignores the temporary files of writes in progress', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    writeFileSync(join(dir, 'jobs', '.abc.json.1234.tmp'), '{"id": "half');
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(store.problems(), []);
  });

  it('refuses a store written by a newer version', async () => {
    const dir = tempStoreDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'store.json'), JSON.stringify({ format: 'comfyui-runner-store', version: 99 }));
    await assert.rejects(openStore(dir), (e) => isRunnerError(e, 'bad_input'));
  });

  it('refuses a folder whose store.json belongs to something else', async () => {
    const dir = tempStoreDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'store.json'), '{"name": "my-package"}');
    await assert.rejects(
      openStore(dir),
      (e) => isRunnerError(e, 'bad_input') && e.location.file !== undefined,
    );
  });
});

describe('job store: unreadable files', () => {
  it('loads the other jobs when one file is truncated', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    const good = sampleJob();
    await store.put(good);
    writeFileSync(join(dir, 'jobs', 'broken.json'), '{"id": "broken", "state": "que');
    assert.deepEqual(
      (await store.list()).map((j) => j.id),
      [good.id],
    );
  });

  it('reports a truncated file as bad_input with its path', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    const path = join(dir, 'jobs', 'broken.json');
    writeFileSync(path, '{"id": "broken", "state": "que');
    await store.list();
    const [problem] = store.problems();
    assert.ok(isRunnerError(problem, 'bad_input'));
    assert.equal(problem.location.file, path);
  });

  it('reports a file that is JSON but not a job', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    writeFileSync(join(dir, 'jobs', 'odd.json'), '{"id": "odd", "hello": "world"}');
    await store.list();
    assert.equal(store.problems().length, 1);
    const [problem] = store.problems();
    assert.ok(isRunnerError(problem, 'bad_input'));
    assert.equal(problem.location.file, join(dir, 'jobs', 'odd.json'));
  });

  it("reports a file that holds another job's record", async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    writeFileSync(join(dir, 'jobs', 'copy.json'), JSON.stringify(sampleJob({ id: 'original' })));
    await store.list();
    assert.equal(store.problems()[0]?.location.file, join(dir, 'jobs', 'copy.json'));
  });

  it('throws bad_input with the path when getting an unreadable job', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    writeFileSync(join(dir, 'jobs', 'broken.json'), '');
    await assert.rejects(
      store.get('broken'),
      (e) => isRunnerError(e, 'bad_input') && e.location.file === join(dir, 'jobs', 'broken.json'),
    );
  });

  it('forgets a problem once the file is repaired', async () => {
    const dir = tempStoreDir();
    const store = await ownedStore(dir);
    const job = sampleJob({ id: 'fixed' });
    writeFileSync(join(dir, 'jobs', 'fixed.json'), '{');
    await store.list();
    await store.put(job);
    assert.deepEqual(store.problems(), []);
    assert.deepEqual(await store.list(), [job]);
  });
});

describe('job store: pruning', () => {
  const day = 86_400_000;

  it('removes finished jobs older than the given age', async () => {
    const clock = fakeClock();
    const store = await ownedStore(tempStoreDir(), clock);
    const old = applyOperation(sampleJob(), 'cancel', clock.now() - 10 * day);
    const recent = applyOperation(sampleJob(), 'cancel', clock.now() - day);
    await store.put(old);
    await store.put(recent);
    assert.deepEqual(await store.prune({ olderThan: 7 * day }), [old.id]);
    assert.deepEqual(
      (await store.list()).map((j) => j.id),
      [recent.id],
    );
  });

  it('keeps old jobs that are not finished', async () => {
    const clock = fakeClock();
    const store = await ownedStore(tempStoreDir(), clock);
    await store.put(sampleJob({}, clock.now() - 30 * day));
    assert.deepEqual(await store.prune({ olderThan: day }), []);
  });

  it('removes only the states asked for', async () => {
    const clock = fakeClock();
    const store = await ownedStore(tempStoreDir(), clock);
    const failed = applyOperation(sampleJob(), 'fail', clock.now() - 10 * day);
    const cancelled = applyOperation(sampleJob(), 'cancel', clock.now() - 10 * day);
    await store.put(failed);
    await store.put(cancelled);
    assert.deepEqual(await store.prune({ states: ['failed'], olderThan: day }), [failed.id]);
  });

  it('refuses to prune jobs that are not finished', async () => {
    const store = await ownedStore();
    await assert.rejects(store.prune({ states: ['running'], olderThan: 0 }), (e) =>
      isRunnerError(e, 'bad_input'),
    );
  });
});
