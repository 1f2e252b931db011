import assert from 'node:assert/strict';
import type { PreviewFrame } from '../../../src/core/protocol/binaryFrames';
import type { PromptSnapshot } from '../../../src/core/comfy/promptTracker';
import { lastRunning } from '../../../src/core/protocol/promptProgress';
import { loadWorkflow } from '../../fakes/replayTranscript';
import { closeRigs, progressWhere, recordedPrompts, rejectionOf, startRig } from './replayHarness';

describe('replaying ComfyUI 0.8.0 recordings: frames, queue operations, missing events', () => {
  afterEach(closeRigs);

  describe('10 binary frames', () => {
    async function previewsOf(scenario: string): Promise<{ promptId: string; previews: PreviewFrame[] }> {
      const { client } = await startRig(scenario);
      const previews: PreviewFrame[] = [];
      const run = await client.submit(loadWorkflow('10_websocket_images'), {
        onPreview: (p) => previews.push(p),
      });
      await run.result;
      return { promptId: run.promptId, previews };
    }

    it('routes metadata previews to their prompt by id', async () => {
      const { promptId, previews } = await previewsOf('10_websocket_binary');
      assert.deepEqual(
        previews.map((p) => [p.eventType, p.promptId, p.nodeId, p.mimeType, p.image.byteLength]),
        Array(3).fill([4, promptId, '3', 'image/png', 389]),
      );
    });

    it('routes legacy previews to the prompt that is running', async () => {
      const { previews } = await previewsOf('10b_websocket_binary_no_flags');
      assert.deepEqual(
        previews.map((p) => [p.eventType, p.promptId, p.mimeType, p.image.byteLength]),
        Array(3).fill([1, undefined, 'image/png', 389]),
      );
    });

    it('reports the step progress of the node that sends it', async () => {
      const { client } = await startRig('10_websocket_binary');
      const seen: PromptSnapshot[] = [];
      const run = await client.submit(loadWorkflow('10_websocket_images'), {
        onProgress: (p) => seen.push(p),
      });
      await run.result;
      const steps = seen
        .filter((p) => lastRunning(p.nodes) === '3' && p.nodes.running['3'].max === 3)
        .map((p) => p.nodes.running['3'].value);
      assert.deepEqual([...new Set(steps)], [0, 1, 2]);
    });
  });

  it('11 cancels queued prompts by deletion and running ones by id, and the rest still succeed', async () => {
    const { client, fake } = await startRig('11_queue_ops');
    const [slow, invertA, invertB, slow2, e, f] = recordedPrompts('11_queue_ops');
    const p1 = await client.submit(slow!);
    const p2 = await client.submit(invertA!);
    const p3 = await client.submit(invertB!);
    await p3.cancel();
    assert.equal((await rejectionOf(p3.result)).reason, 'interrupted');
    await progressWhere(p1, (p) => lastRunning(p.nodes) === '3');
    await p1.cancel();
    assert.equal((await rejectionOf(p1.result)).reason, 'interrupted');
    assert.deepEqual(Object.keys((await p2.result).outputs), ['3']);
    const p4 = await client.submit(slow2!);
    const p5 = await client.submit(e!);
    const p6 = await client.submit(f!, { front: true });
    assert.equal(p6.number < 0, true);
    await p6.cancel();
    await p5.cancel();
    await progressWhere(p4, (p) => p.state === 'running');
    await p4.cancel();
    const endings = await Promise.all([p4, p5, p6].map(async (r) => (await rejectionOf(r.result)).reason));
    assert.deepEqual(endings, ['interrupted', 'interrupted', 'interrupted']);
    const interrupts = fake.requests
      .filter((r) => r.path.endsWith('/interrupt'))
      .map((r) => JSON.parse(r.body));
    assert.deepEqual(interrupts, [{ prompt_id: p1.promptId }, { prompt_id: p4.promptId }]);
  });

  describe('13 prompts whose events do not reach us', () => {
    it('finishes a prompt by polling when its end never arrives', async () => {
      const { client } = await startRig('13_prompt_without_client_id');
      const run = await client.submit(recordedPrompts('13_prompt_without_client_id')[0]!);
      const result = await run.result;
      assert.equal(run.progress().state, 'succeeded');
      assert.deepEqual(result.outputs, {});
    });

    it('ends on a broadcast execution_interrupted without executing null', async () => {
      const { client } = await startRig('13_prompt_without_client_id');
      const [first, second] = recordedPrompts('13_prompt_without_client_id');
      await (
        await client.submit(first!)
      ).result;
      const run = await client.submit(second!);
      await progressWhere(run, (p) => lastRunning(p.nodes) === '3');
      await run.cancel();
      assert.equal((await rejectionOf(run.result)).reason, 'interrupted');
    });
  });
});
