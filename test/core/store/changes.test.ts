import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobStore, StoreEvent } from '../../../src/core/store/jobStore';
import { serializeJob } from '../../../src/core/store/jobFile';
import { openStore } from '../../../src/core/store/openStore';
import { fakeClock, quietOptions, sampleJob, tempStoreDir } from '../../fakes/storeKit';

/** A writer that owns the store and a reader that watches it in the given way. */
async function writerAndReader(watch: 'auto' | 'poll' | 'off', pollMs = 25) {
  const dir = tempStoreDir();
  const clock = fakeClock();
  const writer = await openStore(dir, quietOptions(clock, 1000));
  const reader = await openStore(dir, { ...quietOptions(clock, 2000), watch, pollMs });
  await writer.acquire();
  return { dir, writer, reader };
}

/** The next event of `type` that `store` tells its subscribers about. */
function nextEvent<T extends StoreEvent['type']>(
  store: JobStore,
  type: T,
): Promise<Extract<StoreEvent, { type: T }>> {
  return new Promise((resolve) => {
    const stop = store.subscribe((e) => {
      if (e.type !== type) return;
      stop();
      resolve(e as Extract<StoreEvent, { type: T }>);
    });
  });
}

describe('job store: change notification', () => {
  it("reports another process's new job on reload", async () => {
    const { writer, reader } = await writerAndReader('off');
    await reader.list();
    const job = sampleJob();
    await writer.put(job);
    const result = await reader.reload();
    assert.deepEqual(result.changed, [job]);
  });

  it('reports a rewritten job on reload', async () => {
    const { writer, reader } = await writerAndReader('off');
    const job = sampleJob();
    await writer.put(job);
    await reader.list();
    await writer.put({ ...job, warnings: ['slow server'] });
    assert.deepEqual(
      (await reader.reload()).changed.map((j) => j.warnings),
      [['slow server']],
    );
  });

  it("reports another process's removal on reload", async () => {
    const { writer, reader } = await writerAndReader('off');
    const job = sampleJob();
    await writer.put(job);
    await reader.list();
    await writer.remove(job.id);
    assert.deepEqual((await reader.reload()).removed, [job.id]);
  });

  it('reports nothing when nothing changed', async () => {
    const { writer, reader } = await writerAndReader('off');
    await writer.put(sampleJob());
    await reader.list();
    assert.deepEqual(await reader.reload(), { changed: [], removed: [], problems: [] });
  });

  it('does not report its own writes as changes', async () => {
    const { writer } = await writerAndReader('off');
    await writer.put(sampleJob());
    assert.deepEqual((await writer.reload()).changed, []);
  });

  it('reads its own earlier write again once another process took the store over and rewrote it', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const first = await openStore(dir, quietOptions(clock, 1000));
    const second = await openStore(dir, quietOptions(clock, 2000, new Set([2000])));
    await first.acquire();
    const job = sampleJob();
    await first.put(job);
    clock.advance(30_000);
    await second.acquire();
    await second.put({ ...job, warnings: ['rewritten by the new owner'] });
    await first.heartbeat();
    assert.deepEqual(
      (await first.reload()).changed.map((j) => j.warnings),
      [['rewritten by the new owner']],
    );
  });

  it('tells subscribers what a reload found', async () => {
    const { writer, reader } = await writerAndReader('off');
    const changed = nextEvent(reader, 'jobs/changed');
    const job = sampleJob();
    await writer.put(job);
    await reader.reload();
    assert.deepEqual(await changed, { type: 'jobs/changed', changed: [job], removed: [] });
  });

  it('reports an unreadable file to subscribers once', async () => {
    const { dir, reader } = await writerAndReader('off');
    const events: StoreEvent[] = [];
    reader.subscribe((e) => events.push(e));
    writeFileSync(join(dir, 'jobs', 'broken.json'), '{');
    await reader.reload();
    await reader.reload();
    assert.equal(events.filter((e) => e.type === 'store/problem').length, 1);
  });

  it('notices a write by watching the folder', async () => {
    // The poll is an hour apart, so only the folder watch can deliver the change in time.
    const { writer, reader } = await writerAndReader('auto', 3_600_000);
    await reader.list();
    const changed = nextEvent(reader, 'jobs/changed');
    const job = sampleJob();
    await writer.put(job);
    assert.deepEqual((await changed).changed, [job]);
    await reader.close();
  });

  it('notices a write by polling', async () => {
    const { writer, reader } = await writerAndReader('poll');
    await reader.list();
    const changed = nextEvent(reader, 'jobs/changed');
    const job = sampleJob();
    await writer.put(job);
    assert.deepEqual((await changed).changed, [job]);
    await reader.close();
  });

  it('tells a watching owner that a request arrived', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const owner = await openStore(dir, { ...quietOptions(clock, 1000), watch: 'auto', pollMs: 3_600_000 });
    const asker = await openStore(dir, quietOptions(clock, 2000));
    await owner.acquire();
    const pending = nextEvent(owner, 'requests/pending');
    await asker.request('cancel', 'job-1');
    assert.deepEqual(await pending, { type: 'requests/pending', count: 1 });
    await owner.close();
  });

  it('leaves the jobs folder to its owner: an owner watching the store does not rescan it', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const owner = await openStore(dir, { ...quietOptions(clock, 1000), watch: 'poll', pollMs: 25 });
    const asker = await openStore(dir, quietOptions(clock, 2000));
    await owner.acquire();
    await owner.list();
    const events: StoreEvent[] = [];
    owner.subscribe((e) => events.push(e));
    // A file the owner did not write, which only a rescan would find.
    const job = sampleJob();
    writeFileSync(join(dir, 'jobs', `${job.id}.json`), serializeJob(job));
    // The request is found by the same polls: once it is, the job file was there for them to find too.
    const pending = nextEvent(owner, 'requests/pending');
    await asker.request('cancel', job.id);
    await pending;
    assert.deepEqual(
      events.map((e) => e.type),
      ['requests/pending'],
    );
    await owner.close();
  });

  it("notices the new owner's writes once another process took the store over", async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const first = await openStore(dir, { ...quietOptions(clock, 1000), watch: 'poll', pollMs: 25 });
    const second = await openStore(dir, quietOptions(clock, 2000, new Set([2000])));
    await first.acquire();
    const changed = nextEvent(first, 'jobs/changed');
    clock.advance(30_000);
    await second.acquire();
    await first.heartbeat();
    const job = sampleJob();
    await second.put(job);
    assert.deepEqual((await changed).changed, [job]);
    await first.close();
  });
});
