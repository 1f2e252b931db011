import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from '../../src/core/jobs/job';
import type { SchedulerEvent } from '../../src/core/scheduler/schedulerEvents';
import type { SchedulerOptions } from '../../src/core/scheduler/schedulerOptions';
import { spawnTestServer, startTestServer, type TestServer } from '../fakes/serveTestServer';
import { closePools, nextEvent, startPool, waitJob, within } from './poolHarness';

const JOBS = 10;
const WAIT_MS = 400;

type StateEvent = Extract<SchedulerEvent, { type: 'job/state' }>;

const runningOn =
  (server: string) =>
  (e: SchedulerEvent): e is StateEvent =>
    e.type === 'job/state' && e.to === 'running' && e.job.server === server;

const servers: TestServer[] = [];

/** What a run with one server killed mid-run left behind. */
interface Aftermath {
  jobs: Job[];
  killedJobId: string;
}

/**
 * Runs JOBS wait jobs over a child-process server and two in-process ones, SIGKILLs the child as soon
 * as a job runs there, and waits (bounded) until every job has ended. Enough jobs that some still wait
 * when the killed server's job is declared lost, so the pool must know not to send them there.
 */
async function killMidRun(pool: SchedulerOptions): Promise<Aftermath> {
  const [doomed, left, right] = [await spawnTestServer(), await startTestServer(), await startTestServer()];
  servers.push(doomed, left, right);
  const scheduler = await startPool(
    [
      { name: 'doomed', url: doomed.url },
      { name: 'left', url: left.url },
      { name: 'right', url: right.url },
    ],
    pool,
  );
  const started = nextEvent(scheduler, runningOn('doomed'));
  for (let i = 0; i < JOBS; i++) scheduler.add(waitJob('killed', WAIT_MS, i));
  const killedJobId = (await within(10_000, 'a job to run on the doomed server', started)).jobId;
  // No clean stop: the process vanishes with the prompt half done, as when a machine loses power.
  await doomed.kill();
  await within(15_000, 'every job to end', scheduler.onIdle());
  return { jobs: scheduler.snapshot(), killedJobId };
}

async function closeAll(): Promise<void> {
  await closePools();
  for (const s of servers.splice(0)) await s.close();
}

function assertLost({ jobs, killedJobId }: Aftermath): void {
  const job = jobs.find((j) => j.id === killedJobId)!;
  assert.equal(job.state, 'lost');
  assert.equal(job.error?.reason, 'lost');
  assert.ok(job.error.message.length > 0);
}

function assertOthersFinished({ jobs, killedJobId }: Aftermath): void {
  const others = jobs.filter((j) => j.id !== killedJobId);
  assert.equal(others.length, JOBS - 1);
  for (const job of others) {
    assert.equal(job.state, 'succeeded', `${job.server}: ${JSON.stringify(job.error)}`);
    assert.ok(job.server === 'left' || job.server === 'right', `ran on ${job.server}`);
    assert.equal(job.outputs.length, 1);
    assert.ok(existsSync(join(job.outDir, job.outputs[0].path)));
  }
}

describe('a serve instance killed mid-run, in a pool that probes its servers', function () {
  this.timeout(30_000);
  let aftermath: Aftermath;
  before(async () => (aftermath = await killMidRun({})));
  after(closeAll);

  it('leaves the job that was running there lost, with the reason and a message', () =>
    assertLost(aftermath));

  it('finishes every other job on the remaining servers, each with its output', () =>
    assertOthersFinished(aftermath));
});

describe('a serve instance killed mid-run, in a pool without a health probe', function () {
  this.timeout(30_000);
  let aftermath: Aftermath;
  // The scheduler's defaults: no probe of its own (remote targets check their own health), a refresh
  // every 15 s.
  before(async () => (aftermath = await killMidRun({ probe: undefined, healthIntervalMs: 15_000 })));
  after(closeAll);

  it('leaves the job that was running there lost, with the reason and a message', () =>
    assertLost(aftermath));

  it('finishes every other job on the remaining servers, each with its output', () =>
    assertOthersFinished(aftermath));
});
