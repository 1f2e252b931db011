import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PromptFailureDetails } from '../../../src/core/comfy/finalise';
import type { PromptSnapshot } from '../../../src/core/comfy/promptTracker';
import { finishedCount, lastRunning } from '../../../src/core/protocol/promptProgress';
import type { ValidationResult } from '../../../src/core/workflow/types';
import { fakeViewBody, loadWorkflow } from '../../fakes/replayTranscript';
import { closeRigs, progressWhere, recordedPrompts, rejectionOf, startRig } from './replayHarness';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('replaying ComfyUI 0.8.0 recordings', () => {
  afterEach(closeRigs);

  describe('01 a plain successful run', () => {
    it('ends succeeded with every node done and the SaveImage output downloaded', async () => {
      const { client, outputDir } = await startRig('01_invert');
      const run = await client.submit(loadWorkflow('01_invert'), { outputDir });
      const result = await run.result;
      assert.deepEqual(run.progress(), {
        promptId: run.promptId,
        state: 'succeeded',
        nodes: {
          total: 3,
          cached: 0,
          done: 3,
          running: {},
          phase: { '1': 'done', '2': 'done', '3': 'done' },
          snapshots: true,
        },
        cancelRequested: false,
      });
      assert.deepEqual(result.outputs['3'], {
        images: [{ filename: 'invert_00001_.png', subfolder: '', type: 'output' }],
      });
      assert.deepEqual(
        result.files.map((f) => f.path),
        [join(outputDir, 'invert_00001_.png')],
      );
      assert.deepEqual(
        readFileSync(join(outputDir, 'invert_00001_.png')),
        fakeViewBody('invert_00001_.png', '', 'output', 1161),
      );
    });

    it('posts its own lowercase uuid v4 prompt id and its client id', async () => {
      const { client, fake } = await startRig('01_invert');
      const run = await client.submit(loadWorkflow('01_invert'));
      await run.result;
      const post = fake.requests.find((r) => r.method === 'POST' && r.path === '/api/prompt')!;
      const body = JSON.parse(post.body) as { prompt_id: string; client_id: string };
      assert.match(body.prompt_id, UUID_V4);
      assert.equal(body.prompt_id, run.promptId);
      assert.equal(body.client_id, client.clientId);
    });

    it('opens the socket before posting and says feature_flags first', async () => {
      const { client, fake } = await startRig('01_invert');
      await (
        await client.submit(loadWorkflow('01_invert'))
      ).result;
      assert.deepEqual(fake.clientFrames[0]![0], {
        type: 'feature_flags',
        data: { supports_preview_metadata: true },
      });
    });

    it('completes when every event arrives before the POST reply', async () => {
      const { client } = await startRig('01_invert', { eventsBeforeReply: true });
      const run = await client.submit(loadWorkflow('01_invert'));
      assert.deepEqual((await run.result).outputs['3'], {
        images: [{ filename: 'invert_00001_.png', subfolder: '', type: 'output' }],
      });
      assert.equal(run.progress().state, 'succeeded');
    });
  });

  it('02 downloads both outputs of a branching graph', async () => {
    const { client, outputDir } = await startRig('02_branching');
    const result = await (await client.submit(loadWorkflow('02_branching'), { outputDir })).result;
    assert.deepEqual(
      result.files.map((f) => [f.nodeId, f.filename]),
      [
        ['3', 'branch_a_00001_.png'],
        ['9', 'branch_b_00001_.png'],
      ],
    );
  });

  it('03 reports each node of a slow run as the current node in execution order', async () => {
    const { client, outputDir } = await startRig('03_slow');
    const seen: PromptSnapshot[] = [];
    const run = await client.submit(loadWorkflow('03_slow'), { outputDir, onProgress: (p) => seen.push(p) });
    const result = await run.result;
    const order = seen
      .map((p) => lastRunning(p.nodes))
      .filter((n, i, all) => n !== undefined && n !== all[i - 1]);
    assert.deepEqual(order, ['1', '2', '3', '4', '5', '6', '7']);
    assert.deepEqual(
      result.files.map((f) => f.filename),
      ['slow_00001_.png'],
    );
  });

  it('04 a cancel while running interrupts that prompt by id and rejects with interrupted', async () => {
    const { client, fake } = await startRig('04_interrupt');
    const run = await client.submit(loadWorkflow('03_slow'));
    await progressWhere(run, (p) => lastRunning(p.nodes) === '3');
    await run.cancel();
    const e = await rejectionOf(run.result);
    assert.equal(e.reason, 'interrupted');
    assert.equal((e.details as PromptFailureDetails).cancelledByUs, true);
    assert.equal((e.details as PromptFailureDetails).interrupted?.node_id, '4');
    const interrupts = fake.requests.filter((r) => r.path.endsWith('/interrupt'));
    assert.deepEqual(
      interrupts.map((r) => JSON.parse(r.body)),
      [{ prompt_id: run.promptId }],
    );
  });

  it('05 a runtime error rejects with execution_failed naming the node and the exception', async () => {
    const { client } = await startRig('05_runtime_error');
    const run = await client.submit(loadWorkflow('05_runtime_error'));
    const e = await rejectionOf(run.result);
    assert.equal(e.reason, 'execution_failed');
    assert.deepEqual(e.location, { nodeId: '2', classType: 'ImageToMask' });
    assert.equal((e.details as PromptFailureDetails).error?.exception_type, 'IndexError');
    assert.equal(run.progress().state, 'failed');
  });

  describe('06 validation errors', () => {
    async function rejected(workflow: string): Promise<{ reason: string; details: ValidationResult }> {
      const { client } = await startRig('06_validation_error');
      const e = await rejectionOf(client.submit(loadWorkflow(workflow)));
      return { reason: e.reason, details: e.details as ValidationResult };
    }

    it('a missing required input is prompt_rejected with that node error', async () => {
      const { reason, details } = await rejected('06a_validation_missing_input');
      assert.equal(reason, 'prompt_rejected');
      assert.equal(details.ok, false);
      assert.equal(details.error?.type, 'prompt_outputs_failed_validation');
      assert.deepEqual(
        details.node_errors['2']!.errors.map((x) => x.type),
        ['required_input_missing'],
      );
      assert.deepEqual(details.node_errors['2']!.dependent_outputs, ['3']);
    });

    it('an unknown class is prompt_rejected with the invalid_prompt error', async () => {
      const { reason, details } = await rejected('06b_validation_unknown_class');
      assert.equal(reason, 'prompt_rejected');
      assert.equal(details.error?.type, 'invalid_prompt');
      assert.deepEqual(details.node_errors, {});
    });

    it('bad values list every node that has errors', async () => {
      const { details } = await rejected('06c_validation_bad_value');
      assert.deepEqual(
        Object.entries(details.node_errors).map(([id, n]) => [id, n.class_type, n.errors[0]!.type]),
        [
          ['1', 'EmptyImage', 'value_smaller_than_min'],
          ['2', 'ImageScale', 'value_not_in_list'],
        ],
      );
    });

    it('a prompt without outputs is prompt_rejected with prompt_no_outputs', async () => {
      const { details } = await rejected('06d_validation_no_outputs');
      assert.equal(details.error?.type, 'prompt_no_outputs');
    });
  });

  it('07 uploads an image, runs with the returned name and downloads saved and temp outputs', async () => {
    const { client, fake, outputDir } = await startRig('07_loadimage_upload');
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const uploaded = await client.uploadImage(png, 'comfy_real_upload.png', { overwrite: true });
    assert.equal(uploaded.widgetValue, 'comfy_real_upload.png');
    const prompt = loadWorkflow('07_loadimage_upload');
    prompt['1']!.inputs.image = uploaded.widgetValue;
    const result = await (await client.submit(prompt, { outputDir })).result;
    assert.deepEqual(
      fake.state.uploads.map((u) => u.filename),
      ['comfy_real_upload.png'],
    );
    assert.deepEqual(result.files.map((f) => f.path.slice(outputDir.length + 1)).sort(), [
      'loaded_mask_00001_.png',
      'outpaint_00001_.png',
      join('temp', 'ComfyUI_temp_poxsp_00001_.png'),
    ]);
  });

  it('08 three queued prompts each get their own output', async () => {
    const { client } = await startRig('08_three_queued');
    const runs = [];
    for (const prompt of recordedPrompts('08_three_queued')) runs.push(await client.submit(prompt));
    const results = await Promise.all(runs.map((r) => r.result));
    assert.deepEqual(
      results.map((r) => (r.outputs['4']!.images as { filename: string }[])[0]!.filename),
      ['queued_1_00001_.png', 'queued_2_00001_.png', 'queued_3_00001_.png'],
    );
    assert.deepEqual(
      runs.map((r) => finishedCount(r.progress().nodes)),
      [4, 4, 4],
    );
  });

  it('09 counts cached nodes: none, then all three, then two', async () => {
    const { client } = await startRig('09_cached_rerun');
    const cached: number[] = [];
    for (const prompt of recordedPrompts('09_cached_rerun')) {
      const run = await client.submit(prompt);
      await run.result;
      cached.push(run.progress().nodes.cached);
      assert.equal(finishedCount(run.progress().nodes), 3);
    }
    assert.deepEqual(cached, [0, 3, 2]);
  });
});
