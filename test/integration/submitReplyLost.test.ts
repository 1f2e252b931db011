import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closePools, serverQueueEmpty, startPool, waitJob, within, type PoolMember } from './poolHarness';
import { history } from '../core/durable/durableKit';
import { startFaultProxy, type FaultProxy } from '../fakes/faultProxy';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';

const WAIT_MS = 200;

/**
 * How many prompts the server ran, from its history. Not from output files: a second run of the same
 * prompt is answered from the server's cache and writes nothing new, yet it ran.
 */
async function promptsRun(server: TestServer): Promise<number> {
  return (await history(server.url)).length;
}

describe('a submit whose reply is lost', function () {
  this.timeout(30_000);
  let server: TestServer;
  let proxy: FaultProxy;

  beforeEach(async () => {
    server = await startTestServer();
    // Only the first reply is lost: a second submission would go through and run the prompt again.
    proxy = await startFaultProxy(server.url);
    proxy.dropSubmitReplies(1);
  });

  afterEach(async () => {
    await closePools();
    await proxy.close();
    await server.close();
  });

  /** Runs one job through the proxy until the scheduler and the server are both idle. */
  async function runThroughProxy(member: Partial<PoolMember> = {}) {
    const scheduler = await startPool([{ name: 'flaky', url: proxy.url, ...member }]);
    const { id } = scheduler.add(waitJob('once', WAIT_MS, 1));
    await within(15_000, 'the job to end', scheduler.onIdle());
    await serverQueueEmpty(server.url, 5_000);
    assert.equal(proxy.dropped, 1, 'the proxy should have dropped the first submit reply');
    return scheduler.job(id)!;
  }

  // The trap: a lost reply looks like "server unreachable before acceptance", exactly what the opt-in
  // automatic retry resubmits; only asking the server about the prompt id first keeps it to one run.
  it('does not run the prompt twice, even on a server that opted into automatic retries', async () => {
    await runThroughProxy({ autoRetry: { maxAttempts: 3 } });
    assert.equal(await promptsRun(server), 1, 'prompts the server ran, by its history');
  });

  // Without asking, the job would end failed (server_unreachable) although the server ran the prompt.
  it('follows the prompt the server accepted to its end and collects its output', async () => {
    const job = await runThroughProxy();
    assert.equal(job.state, 'succeeded', JSON.stringify(job.error));
    assert.equal(job.outputs.length, 1);
    assert.ok(existsSync(join(job.outDir, job.outputs[0].path)));
  });
});
