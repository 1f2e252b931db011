import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from '../../src/core/jobs/job';
import { SocketRecorder } from '../core/server/serverHarness';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { closePools, startPool, waitJob, within, type PoolMember } from './poolHarness';

const JOBS = 15;
const WAIT_MS = 150;

/** Three servers that differ in how many prompts the pool may give them at once. */
const shapes = [
  { name: 'one', slots: 1, prefetch: false, capacity: 1 },
  { name: 'two', slots: 2, prefetch: false, capacity: 2 },
  { name: 'ahead', slots: 1, prefetch: true, capacity: 2 },
];

/** The most prompts the server held at once (running plus pending), from every `status` it broadcast. */
function mostHeld(recorder: SocketRecorder): number {
  const held = recorder.frames
    .filter((f) => f.type === 'status')
    .map((f) => (f.data as { status: { exec_info: { queue_remaining: number } } }).status.exec_info);
  return Math.max(0, ...held.map((i) => i.queue_remaining));
}

describe('a pool of serve instances', function () {
  this.timeout(30_000);
  const servers = new Map<string, TestServer>();
  const observers = new Map<string, SocketRecorder>();
  let jobs: Job[] = [];

  before(async () => {
    const members: PoolMember[] = [];
    for (const { name, slots, prefetch } of shapes) {
      const server = await startTestServer();
      servers.set(name, server);
      // The server broadcasts its queue size on every change, so this socket sees each peak.
      observers.set(name, await SocketRecorder.open(server.url));
      members.push({ name, url: server.url, slots, prefetch });
    }
    const scheduler = await startPool(members);
    for (let i = 0; i < JOBS; i++) scheduler.add(waitJob('spread', WAIT_MS, i));
    await within(20_000, 'the pool to run every job', scheduler.onIdle());
    jobs = scheduler.snapshot();
  });

  after(async () => {
    for (const o of observers.values()) await o.close();
    await closePools();
    for (const s of servers.values()) await s.close();
  });

  it('runs every job to success and collects its output file', () => {
    assert.equal(jobs.length, JOBS);
    for (const job of jobs) {
      assert.equal(job.state, 'succeeded', JSON.stringify(job.error));
      assert.equal(job.outputs.length, 1);
      assert.ok(existsSync(join(job.outDir, job.outputs[0].path)));
    }
  });

  it('spreads the jobs so that every server runs some, as the servers themselves count', () => {
    const ranByServer = new Map<string, number>();
    for (const [name, server] of servers) {
      ranByServer.set(name, readdirSync(server.outputDir).filter((f) => f.startsWith('spread_')).length);
    }
    assert.equal(ranByServer.size, shapes.length);
    for (const [name, ran] of ranByServer) assert.ok(ran > 0, `${name} ran no job`);
    const placed = new Map(shapes.map(({ name }) => [name, jobs.filter((j) => j.server === name).length]));
    assert.deepEqual(placed, ranByServer);
  });

  it('fills each server up to its slots (plus the prefetched prompt) and never beyond', () => {
    const held = Object.fromEntries(shapes.map(({ name }) => [name, mostHeld(observers.get(name)!)]));
    const capacity = Object.fromEntries(shapes.map(({ name, capacity }) => [name, capacity]));
    assert.deepEqual(held, capacity);
  });
});
