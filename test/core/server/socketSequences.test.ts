/**
 * Each recorded scenario, replayed against our server with the same requests, must produce the same
 * WebSocket message types as ComfyUI 0.8.0 did, binary preview frames included by event type
 * (normalisations in recordedFrames.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decode } from 'fast-png';
import { loadWorkflow } from '../../fakes/replayTranscript';
import {
  assertSameStatuses,
  globalTypes,
  perPrompt,
  previewHeaders,
  recordedFrames,
  recordedPromptBodies,
} from './recordedFrames';
import { call, closeServed, holePng, serve, SocketRecorder, type Frame, type Served } from './serverHarness';

interface Session {
  served: Served;
  ws: SocketRecorder;
  post(body: Record<string, unknown>, clientId?: string | null): Promise<string>;
}

/** A server and a socket to it; `hello` false skips the feature-flags hello, as scenario 10b does. */
async function session(hello = true): Promise<Session> {
  const served = await serve();
  const clientId = randomUUID();
  const ws = await SocketRecorder.open(served.url, clientId, hello);
  if (hello) await ws.next((f) => f.type === 'feature_flags');
  else await ws.next((f) => f.type === 'status');
  const post = async (body: Record<string, unknown>, id: string | null = clientId) => {
    const { client_id: _recorded, ...rest } = body;
    const reply = await call(served.url, 'POST', '/prompt', id === null ? rest : { ...rest, client_id: id });
    assert.equal(reply.status, 200, reply.text);
    return (reply.json as { prompt_id: string }).prompt_id;
  };
  return { served, ws, post };
}

function assertLikeRecording(ws: SocketRecorder, scenario: string): void {
  const recorded = recordedFrames(scenario);
  assert.deepEqual(perPrompt(ws.frames), perPrompt(recorded));
  assert.deepEqual(globalTypes(ws.frames), globalTypes(recorded));
  assertSameStatuses(ws.frames, recorded);
  assert.deepEqual(previewHeaders(ws.frames), previewHeaders(recorded));
}

/** Workflow 10's images: the preview frames carry three PNGs of 128 x 96 (the recording keeps only sizes). */
function assertWorkflow10Images(frames: Frame[]): void {
  const images = frames.filter((f) => f.type.startsWith('binary:')).map((f) => decode(f.image!));
  assert.deepEqual(
    images.map((png) => [png.width, png.height, png.channels]),
    [
      [128, 96, 3],
      [128, 96, 3],
      [128, 96, 3],
    ],
  );
}

/** Waits until the queue has run dry (the status broadcast that counts zero), after frame `after`. */
function queueEmptied(ws: SocketRecorder, after: number): Promise<Frame> {
  const remaining = (f: Frame) =>
    (f.data?.status as { exec_info?: { queue_remaining?: number } } | undefined)?.exec_info?.queue_remaining;
  return ws.next((f) => f.type === 'status' && remaining(f) === 0, after);
}

describe('the server’s socket messages match ComfyUI 0.8.0’s recordings', function () {
  this.timeout(120_000);
  afterEach(closeServed);

  for (const scenario of [
    '01_invert',
    '02_branching',
    '03_slow',
    '05_runtime_error',
    '09_cached_rerun',
    '10_websocket_binary',
  ]) {
    it(`sends the recorded message types for ${scenario}`, async () => {
      const { ws, post } = await session();
      for (const body of recordedPromptBodies(scenario)) await ws.finished(await post(body));
      assertLikeRecording(ws, scenario);
    });
  }

  it('answers the feature-flags hello with ComfyUI 0.8.0’s flags', async () => {
    const { ws } = await session();
    const recorded = recordedFrames('01_invert').find((f) => f.type === 'feature_flags');
    assert.deepEqual(
      ws.frames.find((f) => f.type === 'feature_flags'),
      recorded,
    );
  });

  it('sends the recorded message types for an interrupt while node 3 runs (04_interrupt)', async () => {
    const { served, ws, post } = await session();
    const [body] = recordedPromptBodies('04_interrupt');
    const id = await post(body);
    await ws.executing(id, '3');
    await call(served.url, 'POST', '/interrupt');
    await ws.finished(id);
    assertLikeRecording(ws, '04_interrupt');
  });

  it('sends the recorded message types for an upload then a LoadImage run (07_loadimage_upload)', async () => {
    const { served, ws, post } = await session();
    const form = new FormData();
    form.set('image', new Blob([holePng()], { type: 'image/png' }), 'comfy_real_upload.png');
    form.set('overwrite', 'true');
    form.set('type', 'input');
    form.set('subfolder', '');
    assert.equal((await call(served.url, 'POST', '/upload/image', form)).status, 200);
    await ws.finished(await post({ prompt: loadWorkflow('07_loadimage_upload') }));
    assertLikeRecording(ws, '07_loadimage_upload');
  });

  it('sends the recorded message types for three prompts posted back to back (08_three_queued)', async () => {
    const { served, ws, post } = await session();
    const ids: string[] = [];
    for (const body of recordedPromptBodies('08_three_queued')) ids.push(await post(body));
    await call(served.url, 'GET', '/queue');
    for (const id of ids) await ws.finished(id);
    assertLikeRecording(ws, '08_three_queued');
  });

  it('sends nothing but status and feature flags when every prompt is rejected (06_validation_error)', async () => {
    const { served, ws } = await session();
    for (const name of [
      '06a_validation_missing_input',
      '06b_validation_unknown_class',
      '06c_validation_bad_value',
    ]) {
      assert.equal((await call(served.url, 'POST', '/prompt', { prompt: loadWorkflow(name) })).status, 400);
    }
    await call(served.url, 'GET', '/queue');
    assertLikeRecording(ws, '06_validation_error');
  });

  it('sends the recorded queue operations’ message types (11_queue_ops)', async () => {
    const { served, ws, post } = await session();
    const [slow, invert, green, slowAgain, e, f] = recordedPromptBodies('11_queue_ops');
    const p1 = await post(slow);
    const p2 = await post(invert);
    const p3 = await post(green);
    await call(served.url, 'POST', '/queue', { delete: [p3] });
    await ws.executing(p1, '3');
    await call(served.url, 'POST', '/interrupt', { prompt_id: p1 });
    await ws.finished(p2);
    const p4 = await post(slowAgain);
    await ws.executing(p4, '1');
    await post(e);
    await post(f);
    await call(served.url, 'POST', '/queue', { clear: true });
    await call(served.url, 'POST', '/interrupt');
    await ws.finished(p4);
    assertLikeRecording(ws, '11_queue_ops');
  });

  it('sends type-4 previews of PNGs of the workflow’s size to a socket that negotiated metadata (10)', async () => {
    const { ws, post } = await session();
    for (const body of recordedPromptBodies('10_websocket_binary')) await ws.finished(await post(body));
    assertWorkflow10Images(ws.frames);
  });

  it('sends the recorded message types, legacy previews after progress, without the hello (10b)', async () => {
    const { ws, post } = await session(false);
    for (const body of recordedPromptBodies('10b_websocket_binary_no_flags')) {
      await ws.finished(await post(body));
    }
    assertLikeRecording(ws, '10b_websocket_binary_no_flags');
    assertWorkflow10Images(ws.frames);
  });

  it('broadcasts only status, progress, legacy previews and the interrupt of prompts without a client id (13)', async () => {
    const { served, ws, post } = await session();
    const [websocketImages, slow] = recordedPromptBodies('13_prompt_without_client_id');
    const first = ws.frames.length;
    await post(websocketImages, null);
    await queueEmptied(ws, first);
    const second = ws.frames.length;
    const id = await post(slow, null);
    // Wait for this prompt's own snapshot: the first prompt has a node 3 too.
    await ws.next(
      (f) =>
        f.type === 'progress_state' &&
        f.data?.prompt_id === id &&
        '3' in ((f.data?.nodes as object | undefined) ?? {}),
    );
    await call(served.url, 'POST', '/interrupt');
    await queueEmptied(ws, second);
    assertLikeRecording(ws, '13_prompt_without_client_id');
    assertWorkflow10Images(ws.frames.slice(0, second));
    assert.ok(
      ws.frames.every(
        (f) =>
          f.data?.prompt_id !== id ||
          ['progress_state', 'progress', 'execution_interrupted'].includes(f.type),
      ),
    );
  });
});
