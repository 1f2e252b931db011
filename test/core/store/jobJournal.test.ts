import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyOperation, type Job } from '../../../src/core/jobs/job';
import { openStore } from '../../../src/core/store/openStore';
import type { JobStore, StoreOptions } from '../../../src/core/store/jobStore';
import { serializeJob } from '../../../src/core/store/jobFile';
import { JournalReader } from '../../../src/core/store/jobJournal';
import { tempDir } from '../../fakes/tempDirs';
import { fakeClock, quietOptions, sampleJob, tempStoreDir } from '../../fakes/storeKit';

/** The store's folder, an owner (pid 1000) and a reader standing for another process (pid 2000). */
async function ownerAndReader(options: Partial<StoreOptions> = {}) {
  const dir = tempStoreDir();
  const clock = fakeClock();
  const owner = await openStore(dir, { ...quietOptions(clock, 1000), ...options });
  const reader = await openStore(dir, quietOptions(clock, 2000));
  await owner.acquire();
  return { dir, clock, owner, reader };
}

const filesOf = (dir: string) => readdirSync(join(dir, 'jobs')).sort();
const journalsOf = (dir: string) => filesOf(dir).filter((f) => f.startsWith('journal-'));

/** Resolves once `done()` holds; fails the test after 5 s. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `job` moved on by `op`, as a new object. */
function moved(job: Job, op: Parameters<typeof applyOperation>[1]): Job {
  const next = structuredClone(job);
  applyOperation(next, op, job.times.queued + 1);
  return next;
}

describe('job store: the owner journal', () => {
  const open: JobStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('appends each record as one line of the journal and writes no job file for it', async () => {
    const { dir, owner, reader } = await ownerAndReader();
    open.push(owner, reader);
    const job = sampleJob();
    await owner.put(job);
    await owner.put(moved(job, 'dispatch'));
    const [journal] = journalsOf(dir);
    assert.deepEqual(filesOf(dir), [journal]);
    const lines = readFileSync(join(dir, 'jobs', journal!), 'utf8')
      .trimEnd()
      .split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as Job).state),
      ['queued', 'dispatching'],
    );
  });

  it("shows another process the journal's record over the job file", async () => {
    const { owner, reader } = await ownerAndReader();
    open.push(owner, reader);
    const job = sampleJob();
    await owner.put(job);
    await owner.release();
    await owner.acquire();
    const dispatched = moved(job, 'dispatch');
    await owner.put(dispatched);
    assert.deepEqual(await reader.list(), [dispatched]);
    assert.deepEqual(await reader.get(job.id), dispatched);
  });

  it('tells another process only what was appended since its last scan', async () => {
    const { owner, reader } = await ownerAndReader();
    open.push(owner, reader);
    const first = sampleJob();
    const second = sampleJob({}, first.times.queued + 1);
    await owner.put(first);
    assert.deepEqual((await reader.reload()).changed, [first]);
    await owner.put(second);
    assert.deepEqual((await reader.reload()).changed, [second]);
    assert.deepEqual((await reader.reload()).changed, []);
  });

  it('folds the journal into the job files in the background once it outgrows its limit', async () => {
    const { dir, owner, reader } = await ownerAndReader({ journalFoldBytes: 1 });
    open.push(owner, reader);
    const job = sampleJob();
    const dispatched = moved(job, 'dispatch');
    await owner.put(job);
    await owner.put(dispatched);
    assert.deepEqual(await reader.list(), [dispatched]);
    await until(() => journalsOf(dir).length === 0);
    assert.deepEqual(filesOf(dir), [`${job.id}.json`]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'jobs', `${job.id}.json`), 'utf8')), dispatched);
  });

  it('keeps the newest record for another process when the owner folds between its scans', async () => {
    const { owner, reader } = await ownerAndReader();
    open.push(owner, reader);
    const job = sampleJob();
    await owner.put(job);
    assert.deepEqual(await reader.list(), [job]);
    const dispatched = moved(job, 'dispatch');
    await owner.put(dispatched);
    await owner.release();
    assert.deepEqual(await reader.list(), [dispatched]);
  });

  it('reads a job file again once the journal its record came from is gone', async () => {
    const dir = tempStoreDir();
    const reader = await openStore(dir, quietOptions(fakeClock(), 2000));
    open.push(reader);
    const job = sampleJob();
    const dispatched = moved(job, 'dispatch');
    // What a reader can meet in the middle of a fold: the file already has the newer record.
    writeFileSync(join(dir, 'jobs', `${job.id}.json`), serializeJob(dispatched));
    writeFileSync(join(dir, 'jobs', 'journal-5.jsonl'), `${JSON.stringify(job)}\n`);
    assert.deepEqual(await reader.list(), [job]);
    rmSync(join(dir, 'jobs', 'journal-5.jsonl'));
    assert.deepEqual(await reader.list(), [dispatched]);
  });

  it('counts no journal older than one folded away since the folder was listed', async () => {
    const folder = tempDir('journals-');
    const job = sampleJob();
    writeFileSync(join(folder, 'journal-1.jsonl'), `${JSON.stringify(job)}\n`);
    // journal-2 was listed, then folded: the job files hold what journal-1 says, or newer.
    const { latest } = await new JournalReader().update(folder, ['journal-1.jsonl', 'journal-2.jsonl']);
    assert.deepEqual([...latest.keys()], []);
  });

  it('ignores a last line cut short by a crash and puts the whole ones into the files when the next owner takes over', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const crashed = await openStore(dir, quietOptions(clock, 1000));
    await crashed.acquire();
    const job = sampleJob();
    const dispatched = moved(job, 'dispatch');
    await crashed.put(job);
    await crashed.put(dispatched);
    const [journal] = journalsOf(dir);
    appendFileSync(join(dir, 'jobs', journal!), '{"id": "half-writ');
    // Pid 1000 is gone: the next owner may take over at once.
    const next = await openStore(dir, quietOptions(clock, 2000, new Set([2000])));
    open.push(next);
    assert.equal((await next.acquire()).acquired, true);
    assert.deepEqual(filesOf(dir), [`${job.id}.json`]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'jobs', `${job.id}.json`), 'utf8')), dispatched);
    assert.deepEqual(await next.list(), [dispatched]);
    assert.deepEqual(next.problems(), []);
  });

  it('reports a whole journal line that is not a job with the journal and line, and loads the others', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const reader = await openStore(dir, quietOptions(clock, 2000));
    open.push(reader);
    const a = sampleJob();
    const b = sampleJob({}, a.times.queued + 1);
    const path = join(dir, 'jobs', 'journal-7.jsonl');
    writeFileSync(path, `${JSON.stringify(a)}\n{"id": "odd", "hello": "world"}\n${JSON.stringify(b)}\n`);
    const scan = await reader.reload();
    assert.deepEqual(await reader.list(), [a, b]);
    assert.equal(scan.problems.length, 1);
    assert.equal(scan.problems[0]?.reason, 'bad_input');
    assert.equal(scan.problems[0]?.location.file, path);
    assert.match(scan.problems[0]!.message, /journal-7\.jsonl:2: not a job record/);
  });

  it('never brings a removed job back from the journal', async () => {
    const { dir, owner, reader } = await ownerAndReader();
    open.push(owner, reader);
    const job = sampleJob();
    await owner.put(job);
    assert.equal(await owner.remove(job.id), true);
    assert.deepEqual(await reader.list(), []);
    assert.deepEqual(filesOf(dir), []);
  });

  it('marks a store of the first version as the second once an owner takes it', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const first = await openStore(dir, quietOptions(clock, 1000));
    await first.close();
    const job = sampleJob();
    writeFileSync(join(dir, 'store.json'), '{"format": "comfyui-runner-store", "version": 1}\n');
    writeFileSync(join(dir, 'jobs', `${job.id}.json`), serializeJob(job));
    const owner = await openStore(dir, quietOptions(clock, 1000));
    open.push(owner);
    await owner.acquire();
    assert.equal(
      (JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as { version: number }).version,
      2,
    );
    assert.deepEqual(await owner.list(), [job]);
  });
});
