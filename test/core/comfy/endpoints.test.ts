import assert from 'node:assert/strict';
import { cancelPrompt } from '../../../src/core/comfy/cancel';
import { detectCapabilities } from '../../../src/core/comfy/serverCapabilities';
import { ComfyClient } from '../../../src/core/comfy/client';
import { postPrompt, uploadImage } from '../../../src/core/comfy/endpoints';
import { ComfyHttp } from '../../../src/core/comfy/http';
import { PromptTracker } from '../../../src/core/comfy/promptTracker';
import { resolveServer } from '../../../src/core/comfy/serverConfig';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { ReplayServer } from '../../fakes/replayServer';
import { loadWorkflow } from '../../fakes/replayTranscript';
import { type Handler, type Loopback, startLoopback } from './loopback';
import { fastTimings } from './replayHarness';

describe('endpoints', () => {
  let server: Loopback | undefined;
  let fake: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    await fake?.stop();
    server = fake = undefined;
  });

  async function api(handler: Handler): Promise<ComfyHttp> {
    server = await startLoopback(handler);
    return new ComfyHttp(resolveServer({ baseUrl: server.origin }));
  }

  describe('capabilities', () => {
    it('reads the version and feature flags of the recorded 0.8.0 server, which has no jobs API', async () => {
      fake = await ReplayServer.start('01_invert');
      const caps = await detectCapabilities(new ComfyHttp(resolveServer({ baseUrl: fake.baseUrl })));
      assert.deepEqual(caps, {
        version: '0.8.0',
        features: {
          supports_preview_metadata: true,
          max_upload_size: 104857600,
          extension: { manager: { supports_v4: true } },
        },
        jobsApi: false,
        maxUploadSize: 104857600,
      });
    });

    it('detects the jobs API when /api/jobs answers a job list', async () => {
      fake = await ReplayServer.start('01_invert', { jobsApi: true });
      const caps = await detectCapabilities(new ComfyHttp(resolveServer({ baseUrl: fake.baseUrl })));
      assert.equal(caps.jobsApi, true);
    });

    it('treats a server without /features as having no feature flags', async () => {
      const http = await api((r) =>
        r.url.includes('system_stats')
          ? { status: 200, json: { system: { comfyui_version: '0.3.10' } } }
          : { status: 404, text: '' },
      );
      assert.deepEqual(await detectCapabilities(http), {
        version: '0.3.10',
        features: {},
        jobsApi: false,
        maxUploadSize: undefined,
      });
    });
  });

  it('turns a 500 from POST /prompt into a protocol error', async () => {
    const http = await api(() => ({ status: 500, text: '500 Internal Server Error' }));
    await assert.rejects(postPrompt(http, { prompt: {} }), (e: unknown) => isRunnerError(e, 'protocol'));
  });

  it('sends an upload as multipart with the file part named image', async () => {
    const http = await api(() => ({
      status: 200,
      json: { name: 'x (1).png', subfolder: 'sub', type: 'input' },
    }));
    const up = await uploadImage(http, new Uint8Array([1, 2, 3]), 'x.png', { subfolder: 'sub' });
    const body = server!.seen[0]!.body.toString('latin1');
    assert.match(String(server!.seen[0]!.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.match(body, /name="image"; filename="x.png"/);
    assert.deepEqual(up, {
      name: 'x (1).png',
      subfolder: 'sub',
      type: 'input',
      widgetValue: 'sub/x (1).png',
    });
  });

  it('turns a 413 upload into bad_input', async () => {
    const http = await api(() => ({ status: 413, text: 'too large' }));
    await assert.rejects(uploadImage(http, new Uint8Array(1), 'x.png'), (e: unknown) =>
      isRunnerError(e, 'bad_input'),
    );
  });

  it('falls back to interrupting by id when the jobs API has no cancel route', async () => {
    const http = await api((r) =>
      r.url.includes('/jobs/') ? { status: 404, text: '' } : { status: 200, text: '' },
    );
    const tracker = new PromptTracker('p1', {});
    tracker.accepted({});
    tracker.handle({ type: 'execution_start', data: { prompt_id: 'p1' } });
    await cancelPrompt(http, tracker, true);
    assert.deepEqual(
      server!.seen.map((r) => [r.url, r.body.toString()]),
      [
        ['/api/jobs/p1/cancel', '{}'],
        ['/api/interrupt', '{"prompt_id":"p1"}'],
      ],
    );
  });

  it('surfaces node errors of a 200 reply as a warning on the run', async () => {
    const nodeErrors = { '9': { class_type: 'SaveImage', dependent_outputs: ['9'], errors: [] } };
    server = await startLoopback((r) =>
      r.url.endsWith('/prompt') && r.method === 'POST'
        ? {
            status: 200,
            json: { prompt_id: JSON.parse(r.body.toString()).prompt_id, number: 3, node_errors: nodeErrors },
          }
        : { status: 200, json: { queue_running: [], queue_pending: [] } },
    );
    const client = new ComfyClient({ ...fastTimings, baseUrl: server.origin });
    try {
      const run = await client.submit(loadWorkflow('01_invert'));
      assert.deepEqual(run.warnings, [
        { kind: 'node_errors', message: run.warnings[0]!.message, nodeErrors },
      ]);
      assert.equal(run.number, 3);
    } finally {
      await client.dispose();
    }
  });
});
