import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunnerError } from '../../../src/core/util/runnerError';
import type { StoreEvent } from '../../../src/core/store/jobStore';
import { openStore } from '../../../src/core/store/openStore';
import { fakeClock, quietOptions, sampleJob, tempStoreDir } from '../../fakes/storeKit';

/** Two handles on one store standing for two processes (pids 1000 and 2000) on one host. */
async function twoHandles(alive: ReadonlySet<number> = new Set([1000, 2000])) {
  const dir = tempStoreDir();
  const clock = fakeClock();
  const first = await openStore(dir, quietOptions(clock, 1000, alive));
  const second = await openStore(dir, quietOptions(clock, 2000, alive));
  return { dir, clock, first, second };
}

describe('job store: ownership', () => {
  it('lets the first process take ownership of a new store', async () => {
    const { first } = await twoHandles();
    assert.deepEqual(await first.acquire(), { acquired: true });
    assert.equal(first.isOwner, true);
  });

  it('records the owner pid and heartbeat in owner.json', async () => {
    const { dir, clock, first } = await twoHandles();
    await first.acquire();
    const record = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.pid, 1000);
    assert.equal(record.heartbeat, clock.now());
  });

  it('refuses ownership while the owner is live, naming it', async () => {
    const { first, second } = await twoHandles();
    await first.acquire();
    const result = await second.acquire();
    assert.equal(result.acquired, false);
    assert.equal(!result.acquired && result.owner.pid, 1000);
    assert.equal(second.isOwner, false);
  });

  it('hands ownership over when the owner releases it', async () => {
    const { first, second } = await twoHandles();
    await first.acquire();
    await first.release();
    assert.deepEqual(await second.acquire(), { acquired: true });
  });

  it('lets another process take over when the owner heartbeat is stale', async () => {
    const { clock, first, second } = await twoHandles();
    await first.acquire();
    clock.advance(30_000);
    const result = await second.acquire();
    assert.equal(result.acquired, true);
    assert.equal(result.acquired && result.previous?.pid, 1000);
  });

  it('keeps a fresh owner by its heartbeat', async () => {
    const { clock, first, second } = await twoHandles();
    await first.acquire();
    clock.advance(20_000);
    await first.heartbeat();
    clock.advance(20_000);
    assert.equal((await second.acquire()).acquired, false);
  });

  it('lets another process take over at once when the owner process is gone', async () => {
    const { first, second } = await twoHandles(new Set([2000]));
    await first.acquire();
    assert.equal((await second.acquire()).acquired, true);
  });

  it('trusts the heartbeat of an owner on another host, whose pid it cannot check', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const remote = await openStore(dir, { ...quietOptions(clock, 1000), hostname: 'other-host' });
    const local = await openStore(dir, quietOptions(clock, 2000, new Set([2000])));
    await remote.acquire();
    assert.equal((await local.acquire()).acquired, false);
  });

  it('tells an owner whether it is live and whether it is this handle', async () => {
    const { clock, first, second } = await twoHandles();
    await first.acquire();
    assert.deepEqual(
      [(await first.owner())?.mine, (await second.owner())?.mine, (await second.owner())?.live],
      [true, false, true],
    );
    clock.advance(30_000);
    assert.equal((await second.owner())?.live, false);
  });

  it('takes over an owner.json that is not a record', async () => {
    const { dir, first } = await twoHandles();
    writeFileSync(join(dir, 'owner.json'), 'garbage');
    assert.equal((await first.acquire()).acquired, true);
  });

  it('notices on its next heartbeat that another process took over', async () => {
    const { clock, first, second } = await twoHandles();
    const events: StoreEvent[] = [];
    first.subscribe((e) => events.push(e));
    await first.acquire();
    clock.advance(30_000);
    await second.acquire();
    assert.equal(await first.heartbeat(), false);
    assert.equal(first.isOwner, false);
    assert.deepEqual(
      events.filter((e) => e.type === 'owner/lost').map((e) => e.type === 'owner/lost' && e.owner?.pid),
      [2000],
    );
  });

  it('gives ownership to exactly one of many processes asking at once', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const pids = Array.from({ length: 8 }, (_, i) => 3000 + i);
    const handles = await Promise.all(
      pids.map((pid) => openStore(dir, quietOptions(clock, pid, new Set(pids)))),
    );
    const results = await Promise.all(handles.map((h) => h.acquire()));
    assert.equal(results.filter((r) => r.acquired).length, 1);
  });

  it('clears the lock folder a crashed process left behind while changing owners', async () => {
    const { dir, first } = await twoHandles();
    mkdirSync(join(dir, 'owner.lock'));
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'owner.lock'), longAgo, longAgo);
    assert.equal((await first.acquire()).acquired, true);
  });

  it('renews the heartbeat on a timer', async () => {
    const dir = tempStoreDir();
    const clock = fakeClock();
    const store = await openStore(dir, { ...quietOptions(clock), heartbeatMs: 5 });
    await store.acquire();
    clock.advance(1000);
    // Waits for the timer to fire, however long that takes; the test asserts what it wrote, not when.
    while ((await store.owner())?.record.heartbeat !== clock.now())
      await new Promise((r) => setTimeout(r, 5));
    await store.close();
  });

  it('gives ownership up when closed', async () => {
    const { first, second } = await twoHandles();
    await first.acquire();
    await first.close();
    assert.equal((await second.acquire()).acquired, true);
  });

  it('does not delete the new owner lock when a superseded owner releases', async () => {
    const { clock, first, second } = await twoHandles();
    await first.acquire();
    clock.advance(30_000);
    await second.acquire();
    await first.release();
    assert.equal((await second.owner())?.mine, true);
  });
});

describe('job store: writes need ownership', () => {
  it('refuses to write a job without ownership', async () => {
    const { second } = await twoHandles();
    await assert.rejects(second.put(sampleJob()), (e) => isRunnerError(e, 'internal'));
  });

  it('refuses to remove or prune without ownership', async () => {
    const { second } = await twoHandles();
    await assert.rejects(second.remove('x'), (e) => isRunnerError(e, 'internal'));
    await assert.rejects(second.prune({ olderThan: 0 }), (e) => isRunnerError(e, 'internal'));
  });

  it('lets a non-owner read jobs', async () => {
    const { first, second } = await twoHandles();
    await first.acquire();
    const job = sampleJob();
    await first.put(job);
    assert.deepEqual(await second.list(), [job]);
  });

  it('checks ownership before writing after a long pause and refuses once taken over', async () => {
    const { clock, first, second } = await twoHandles();
    await first.acquire();
    // The first owner sleeps past the stale limit without a heartbeat; the second takes over.
    clock.advance(30_000);
    await second.acquire();
    await assert.rejects(first.put(sampleJob()), (e) => isRunnerError(e, 'internal'));
  });

  it('renews the heartbeat itself when writing after a pause it survived', async () => {
    const { dir, clock, first } = await twoHandles();
    await first.acquire();
    clock.advance(20_000);
    await first.put(sampleJob());
    const record = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as { heartbeat: number };
    assert.equal(record.heartbeat, clock.now());
  });
});
