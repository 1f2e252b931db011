import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { JobStore, StoreEvent } from '../../../src/core/store/jobStore';
import { openStore } from '../../../src/core/store/openStore';
import { sampleJob, tempStoreDir } from '../../fakes/storeKit';

const client = resolve(__dirname, '../../fakes/storeClient.ts');

/** Runs test/fakes/storeClient.ts in a child process and collects the JSON lines it prints. */
function runClient(dir: string, ...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', client, dir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const reading = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  })();
  const exited = once(child, 'exit').then(async ([code]) => {
    await reading;
    return code as number;
  });
  return { pid: child.pid!, lines, exited };
}

/** Answers every request as the owner would, cancelling by saying so. */
function answerRequests(owner: JobStore): void {
  owner.subscribe((e: StoreEvent) => {
    if (e.type !== 'requests/pending') return;
    void owner.takeRequests().then(async (requests) => {
      for (const r of requests) await owner.answer(r, { ok: true, message: `${r.op} ${r.jobId} done` });
    });
  });
}

describe('job store: two processes', () => {
  it("carries another process's cancel request to the owner and the answer back", async () => {
    const dir = tempStoreDir();
    const owner = await openStore(dir, { pollMs: 50 });
    await owner.acquire();
    answerRequests(owner);
    const asker = runClient(dir, 'request', 'cancel', 'job-1');
    assert.equal(await asker.exited, 0);
    await owner.close();
    assert.equal((asker.lines[1]?.answer as { message?: string })?.message, 'cancel job-1 done');
  });

  it('refuses ownership to another process while the owner lives', async () => {
    const dir = tempStoreDir();
    const owner = await openStore(dir, { watch: 'off' });
    await owner.acquire();
    const other = runClient(dir, 'acquire');
    assert.equal(await other.exited, 0);
    await owner.close();
    const result = other.lines[0]?.result as { acquired: boolean; owner?: { pid: number } };
    assert.deepEqual([result.acquired, result.owner?.pid], [false, process.pid]);
  });

  it('takes over from an owner process that died without releasing', async () => {
    const dir = tempStoreDir();
    const crashed = runClient(dir, 'acquire-and-crash');
    assert.equal(await crashed.exited, 0);
    const successor = await openStore(dir, { watch: 'off' });
    const result = await successor.acquire();
    await successor.close();
    assert.equal(result.acquired && result.previous?.pid, crashed.pid);
  });

  it("tells a watching process about another process's write", async () => {
    const dir = tempStoreDir();
    const reader = await openStore(dir, { pollMs: 50 });
    await reader.list();
    const job = sampleJob();
    const changed = new Promise<Extract<StoreEvent, { type: 'jobs/changed' }>>((done) => {
      reader.subscribe((e) => {
        if (e.type === 'jobs/changed') done(e);
      });
    });
    const writer = runClient(dir, 'put', JSON.stringify(job));
    assert.equal(await writer.exited, 0);
    const event = await changed;
    await reader.close();
    assert.deepEqual(event.changed, [job]);
  });
});
