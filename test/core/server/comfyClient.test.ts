/**
 * Our own wire client (src/core/comfy), which was built against recordings of a real ComfyUI, used
 * unchanged against the server.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { PreviewFrame } from '../../../src/core/protocol/binaryFrames';
import { ComfyClient } from '../../../src/core/comfy/client';
import type { PromptFailureDetails } from '../../../src/core/comfy/finalise';
import { isRunnerError, RunnerError } from '../../../src/core/util/runnerError';
import { loadWorkflow } from '../../fakes/replayTranscript';
import { fastTimings } from '../comfy/replayHarness';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from './gateNodes';
import { closeServed, holePng, serve } from './serverHarness';
import { tempDir } from '../../fakes/tempDirs';

const clients: ComfyClient[] = [];

function clientFor(url: string): ComfyClient {
  const client = new ComfyClient({ baseUrl: url, ...fastTimings });
  clients.push(client);
  return client;
}

async function rejection(p: Promise<unknown>): Promise<RunnerError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof RunnerError, `expected a RunnerError, got ${String(e)}`);
  return e;
}

describe('our ComfyClient against the server', function () {
  this.timeout(30_000);
  const out = () => tempDir('client-out-');
  afterEach(async () => {
    gates.reset();
    for (const c of clients.splice(0)) await c.dispose();
    await closeServed();
  });

  it('runs a workflow and downloads its output', async () => {
    const { url, outputDir } = await serve();
    const dir = out();
    const result = await (await clientFor(url).submit(loadWorkflow('01_invert'), { outputDir: dir })).result;
    assert.deepEqual(
      result.files.map((f) => f.filename),
      ['invert_00001_.png'],
    );
    assert.deepEqual(readFileSync(result.files[0].path), readFileSync(join(outputDir, 'invert_00001_.png')));
  });

  it('reports a node that raises as execution_failed with node, exception and traceback', async () => {
    const { url } = await serve();
    const run = await clientFor(url).submit(loadWorkflow('05_runtime_error'));
    const e = await rejection(run.result);
    assert.equal(e.reason, 'execution_failed');
    assert.equal(e.location.nodeId, '2');
    const details = e.details as PromptFailureDetails;
    assert.equal(details.error?.node_type, 'ImageToMask');
    assert.equal(details.error?.exception_type, 'IndexError');
    assert.ok(Array.isArray(details.error?.traceback) && details.error.traceback.length > 0);
  });

  it('reports a prompt the server rejects as prompt_rejected with its node errors', async () => {
    const { url } = await serve();
    const e = await rejection(clientFor(url).submit(loadWorkflow('06a_validation_missing_input')));
    assert.equal(e.reason, 'prompt_rejected');
    assert.equal(e.location.nodeId, '2');
  });

  it('cancels a running prompt, which ends as interrupted', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const client = clientFor(url);
    const run = await client.submit(gatedPrompt('run'));
    await new Promise<void>((done) => {
      const sub = run.onProgress((p) => p.state === 'running' && (sub.dispose(), done()));
      if (run.progress().state === 'running') done();
    });
    await run.cancel();
    const e = await rejection(run.result);
    assert.equal(e.reason, 'interrupted');
    assert.equal((e.details as PromptFailureDetails).cancelledByUs, true);
  });

  it('cancels a queued prompt before it starts; it never runs', async () => {
    const { url, outputDir } = await serve({ nodes: gatedRegistry });
    const client = clientFor(url);
    const blocker = await client.submit(gatedPrompt('block'));
    const queued = await client.submit(quickPrompt('never'));
    await queued.cancel();
    assert.ok(isRunnerError(await rejection(queued.result), 'interrupted'));
    gates.open('block');
    await blocker.result;
    assert.deepEqual(readFileSync(join(outputDir, 'block_00001_.txt'), 'utf8'), '"block"');
    assert.equal(existsSync(join(outputDir, 'never_00001_.txt')), false);
  });

  it('uploads an image and runs a LoadImage workflow on the name the server returned', async () => {
    const { url } = await serve();
    const client = clientFor(url);
    const uploaded = await client.uploadImage(holePng(), 'comfy_real_upload.png');
    const prompt = loadWorkflow('07_loadimage_upload');
    prompt['1'].inputs.image = uploaded.widgetValue;
    const result = await (await client.submit(prompt, { outputDir: out() })).result;
    assert.equal(result.files.length, 3);
    assert.deepEqual(
      result.files
        .filter((f) => f.type === 'output')
        .map((f) => f.filename)
        .sort(),
      ['loaded_mask_00001_.png', 'outpaint_00001_.png'],
    );
    // PreviewImage names its file as ComfyUI does: ComfyUI_temp_, five random letters, the counter.
    assert.deepEqual(
      result.files
        .filter((f) => f.type === 'temp')
        .map((f) => /^ComfyUI_temp_[a-z]{5}_00001_\.png$/.test(f.filename)),
      [true],
    );
  });

  it('receives a SaveImageWebsocket prompt’s previews, routed to it by prompt id', async () => {
    const { url } = await serve();
    const previews: PreviewFrame[] = [];
    const run = await clientFor(url).submit(loadWorkflow('10_websocket_images'), {
      onPreview: (p) => previews.push(p),
    });
    const result = await run.result;
    assert.deepEqual(
      previews.map((p) => [p.eventType, p.promptId, p.nodeId, p.mimeType]),
      [1, 2, 3].map(() => [4, run.promptId, '3', 'image/png']),
    );
    const png = decode(previews[0].image);
    assert.deepEqual([png.width, png.height], [128, 96]);
    assert.deepEqual(result.files, []);
  });

  it('finds the server’s capabilities: version, feature flags and the jobs API', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const caps = await clientFor(url).capabilities();
    assert.match(caps.version ?? '', /^comfy-runner .*embedded engine/);
    assert.equal(caps.jobsApi, true);
    assert.equal(caps.maxUploadSize, 100 * 1024 * 1024);
  });
});
