import assert from 'node:assert/strict';
import { DurableWriter } from '../../../src/core/durable/durableWriter';
import type { Job } from '../../../src/core/jobs/job';
import type { JobStore } from '../../../src/core/store/jobStore';
import { storedJob } from './durableKit';

/** A store that only keeps what it is asked to put, in order. */
function recordingStore(): { store: JobStore; puts: Job[] } {
  const puts: Job[] = [];
  const store = { put: (job: Job) => Promise.resolve(void puts.push(structuredClone(job))) };
  return { store: store as unknown as JobStore, puts };
}

describe('durable writer', () => {
  it('writes the changes a job goes through in one turn of the event loop once, as the newest', async () => {
    const { store, puts } = recordingStore();
    const writer = new DurableWriter(store, () => undefined);
    const job = storedJob({});
    void writer.put(structuredClone(job));
    await Promise.resolve();
    void writer.put({ ...structuredClone(job), state: 'dispatching', server: 's' });
    await Promise.resolve();
    void writer.put({ ...structuredClone(job), state: 'dispatching', server: 's', promptId: 'p-1' });
    await writer.flush();
    assert.deepEqual(
      puts.map((j) => [j.state, j.promptId]),
      [['dispatching', 'p-1']],
    );
  });

  it('writes each change that comes in a later turn', async () => {
    const { store, puts } = recordingStore();
    const writer = new DurableWriter(store, () => undefined);
    const job = storedJob({});
    await writer.put(structuredClone(job));
    await writer.put({ ...structuredClone(job), state: 'dispatching', server: 's' });
    assert.deepEqual(
      puts.map((j) => j.state),
      ['queued', 'dispatching'],
    );
  });

  it("holds back a record that only shows a job started, and writes it with the job's next change", async () => {
    const { store, puts } = recordingStore();
    const writer = new DurableWriter(store, () => undefined);
    const job = storedJob({});
    void writer.put({ ...structuredClone(job), state: 'running' }, 'soon');
    await new Promise((turn) => setImmediate(turn));
    await new Promise((turn) => setImmediate(turn));
    await writer.put({ ...structuredClone(job), state: 'succeeded' });
    assert.deepEqual(
      puts.map((j) => j.state),
      ['succeeded'],
    );
  });

  it('writes a held-back record on its own once the hold is over', async () => {
    const { store, puts } = recordingStore();
    const writer = new DurableWriter(store, () => undefined, { holdMs: 20 });
    await writer.put({ ...storedJob({}), state: 'running' }, 'soon');
    assert.deepEqual(
      puts.map((j) => j.state),
      ['running'],
    );
  });

  it('writes held-back records at once when flushed', async () => {
    const { store, puts } = recordingStore();
    const writer = new DurableWriter(store, () => undefined, { holdMs: 3_600_000 });
    void writer.put({ ...storedJob({}), state: 'running' }, 'soon');
    await writer.flush();
    assert.deepEqual(
      puts.map((j) => j.state),
      ['running'],
    );
  });
});
