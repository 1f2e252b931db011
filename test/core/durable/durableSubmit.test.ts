import assert from 'node:assert/strict';
import { lookupPatiently, submitOutcomeUnknown } from '../../../src/core/comfy/lookup';
import { RunnerError } from '../../../src/core/util/runnerError';
import { startDurableRunner, type DurableRunner } from '../../../src/core/durable/durableRunner';
import { gatedRegistry, gates, quickPrompt } from '../server/gateNodes';
import { closeServed, serve } from '../server/serverHarness';
import { history, loopTarget, runsOf, tempDir, testStore } from './durableKit';
import { startFaultProxy, type FaultProxy } from '../../fakes/faultProxy';
import { storedJobsOnDisk } from '../../fakes/storeOnDisk';

const runners: DurableRunner[] = [];
const proxies: FaultProxy[] = [];

/** A durable runner on a new store over one server, reached through `url`, opted into automatic retries. */
async function runnerOver(url: string): Promise<{ runner: DurableRunner; dir: string }> {
  const dir = tempDir('durable-submit-');
  const runner = await startDurableRunner({
    store: await testStore(dir),
    targets: [{ target: loopTarget(url), autoRetry: { maxAttempts: 3 } }],
    scheduler: { healthIntervalMs: 0 },
  });
  runners.push(runner);
  return { runner, dir };
}

describe('durable runner: idempotent submission', function () {
  this.timeout(20_000);
  afterEach(async () => {
    gates.reset();
    for (const r of runners.splice(0)) await r.close();
    for (const p of proxies.splice(0)) await p.close();
    await closeServed();
  });

  it('writes the prompt id to the store before the prompt reaches the server', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const proxy = await startFaultProxy(url);
    proxies.push(proxy);
    const { runner, dir } = await runnerOver(proxy.url);
    const keptBefore: boolean[] = [];
    proxy.onPost = (body) =>
      keptBefore.push(storedJobsOnDisk(dir).some((j) => j.promptId === body.prompt_id));
    const job = runner.scheduler.add({
      workflow: { file: 'w.json', sourceHash: 's', promptHash: 'p' },
      prompt: quickPrompt('kept'),
      overrides: [],
      outDir: tempDir('durable-out-'),
    });
    await runner.idle();
    assert.deepEqual(keptBefore, [true]);
    assert.equal(runner.scheduler.job(job.id)?.state, 'succeeded');
  });

  it('runs a prompt once when the reply to its submission is lost, and collects its output', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const proxy = await startFaultProxy(url);
    proxy.dropSubmitReplies(1);
    proxies.push(proxy);
    const { runner, dir } = await runnerOver(proxy.url);
    const job = runner.scheduler.add({
      workflow: { file: 'w.json', sourceHash: 's', promptHash: 'p' },
      prompt: quickPrompt('reply-lost'),
      overrides: [],
      outDir: tempDir('durable-out-'),
    });
    await runner.idle();
    const done = storedJobsOnDisk(dir).find((j) => j.id === job.id)!;
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(
      done.outputs.map((o) => o.path),
      ['reply-lost_00001_.txt'],
    );
    assert.equal(done.autoRetries, undefined, 'the submission was not retried');
    assert.equal(proxy.posts.length, 1);
    assert.equal(await runsOf(url, 'reply-lost'), 1);
    assert.deepEqual(
      (await history(url)).map((h) => h.promptId),
      [done.promptId],
    );
  });

  it('tells a submission that may have reached the server from one that cannot have', () => {
    const reset = new RunnerError('server_unreachable', 'socket hang up', {}, { code: 'ECONNRESET' });
    const refused = new RunnerError('server_unreachable', 'refused', {}, { code: 'ECONNREFUSED' });
    const tls = new RunnerError('server_unreachable', 'cert', {}, { code: 'CERT_HAS_EXPIRED', tls: true });
    const slow = new RunnerError('timeout', 'no answer');
    assert.deepEqual(
      [reset, refused, tls, slow, new RunnerError('prompt_rejected', 'bad')].map(submitOutcomeUnknown),
      [true, false, false, true, false],
    );
  });

  it('asks again while the server cannot be reached, and gives up with the last error', async () => {
    let asked = 0;
    const flaky = async () => {
      if (++asked < 3) throw new RunnerError('server_unreachable', 'down');
      return { kind: 'unknown' } as const;
    };
    assert.deepEqual(await lookupPatiently(flaky, { attempts: 3, delayMs: 1 }), { kind: 'unknown' });
    asked = -10;
    const e = await lookupPatiently(flaky, { attempts: 2, delayMs: 1 }).catch((x: unknown) => x);
    assert.ok(e instanceof RunnerError && e.reason === 'server_unreachable');
  });
});
