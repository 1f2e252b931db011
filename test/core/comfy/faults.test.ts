import assert from 'node:assert/strict';
import { ComfyClient } from '../../../src/core/comfy/client';
import type { PromptFailureDetails } from '../../../src/core/comfy/finalise';
import { lastRunning } from '../../../src/core/protocol/promptProgress';
import type { FrameView } from '../../fakes/replayServer';
import { loadWorkflow } from '../../fakes/replayTranscript';
import { closeRigs, fastTimings, progressWhere, rejectionOf, startRig } from './replayHarness';

const nodeStarts = (node: string) => (f: FrameView) => f.type === 'executing' && f.data.node === node;

describe('faults on loopback', () => {
  afterEach(closeRigs);

  describe('socket cut mid-run', () => {
    it('completes from history when the end of the run happened while the socket was down', async () => {
      const { client, fake, outputDir } = await startRig('03_slow');
      const held = fake.holdBefore(nodeStarts('3'));
      const run = await client.submit(loadWorkflow('03_slow'), { outputDir });
      await held;
      fake.cutSockets();
      fake.release(); // nobody is connected: the rest of the run's frames are lost, as on a real server
      const result = await run.result;
      assert.deepEqual(
        result.files.map((f) => f.filename),
        ['slow_00001_.png'],
      );
      assert.equal(fake.connections >= 2, true);
    });

    it('follows the run live again after reconnecting with the same client id', async () => {
      const { client, fake } = await startRig('03_slow');
      const held = fake.holdBefore(nodeStarts('3'));
      const run = await client.submit(loadWorkflow('03_slow'));
      await held;
      fake.cutSockets();
      await fake.waitForConnections(2);
      fake.release();
      await run.result;
      assert.equal(run.progress().state, 'succeeded');
      assert.deepEqual(fake.clientIds, [client.clientId, client.clientId]);
      assert.deepEqual(
        fake.clientFrames.map((frames) => frames[0]),
        fake.clientFrames.map(() => ({ type: 'feature_flags', data: { supports_preview_metadata: true } })),
      );
    });
  });

  it('server gone mid-run: the prompt is lost within the grace, never left running', async () => {
    const { client, fake } = await startRig('03_slow');
    const held = fake.holdBefore(nodeStarts('3'));
    const run = await client.submit(loadWorkflow('03_slow'));
    await held;
    await fake.stop();
    const e = await rejectionOf(run.result);
    assert.equal(e.reason, 'lost');
    assert.equal(run.progress().state, 'lost');
  });

  it('server restarted mid-run: a prompt it no longer knows is lost and not resubmitted', async () => {
    const { client, fake } = await startRig('03_slow');
    const held = fake.holdBefore(nodeStarts('3'));
    const run = await client.submit(loadWorkflow('03_slow'));
    await held;
    fake.restart();
    assert.equal((await rejectionOf(run.result)).reason, 'lost');
    assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/prompt')).length, 1);
  });

  describe('a proxy that wants credentials', () => {
    const authorization = `Basic ${Buffer.from('ann:pw').toString('base64')}`;

    it('refuses a submit without them with an auth error', async () => {
      const { client } = await startRig('01_invert', { requireAuthorization: authorization });
      assert.equal((await rejectionOf(client.submit(loadWorkflow('01_invert')))).reason, 'auth');
    });

    it('runs with credentials from the URL on both HTTP and the socket', async () => {
      const { fake } = await startRig('01_invert', { requireAuthorization: authorization });
      const client = new ComfyClient({ ...fastTimings, baseUrl: fake.baseUrl.replace('//', '//ann:pw@') });
      try {
        await (
          await client.submit(loadWorkflow('01_invert'))
        ).result;
        assert.equal(fake.connections, 1);
      } finally {
        await client.dispose();
      }
    });
  });

  it('cancels through the jobs API when the server has it, and never interrupts', async () => {
    const { client, fake } = await startRig('04_interrupt', { jobsApi: true });
    const run = await client.submit(loadWorkflow('03_slow'));
    await progressWhere(run, (p) => lastRunning(p.nodes) === '3');
    await run.cancel();
    const e = await rejectionOf(run.result);
    assert.equal((e.details as PromptFailureDetails).cancelledByUs, true);
    assert.deepEqual(
      fake.requests.filter((r) => r.method === 'POST' && !r.path.endsWith('/prompt')).map((r) => r.path),
      [`/api/jobs/${run.promptId}/cancel`],
    );
  });

  it('works with an old server under a path prefix that has no /api routes', async () => {
    const { client, fake } = await startRig('01_invert', { basePath: '/comfy', legacyPaths: true });
    const result = await (await client.submit(loadWorkflow('01_invert'))).result;
    assert.deepEqual(Object.keys(result.outputs), ['3']);
    assert.equal(
      fake.requests.some((r) => r.path === '/comfy/prompt'),
      true,
    );
  });
});
