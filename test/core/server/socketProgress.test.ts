/**
 * `progress_state` over the socket for prompts too big to send every change of: a bounded number of
 * snapshots, each of the protocol's exact shape, the final one always, every `executing` still.
 */
import assert from 'node:assert/strict';
import { ComfyClient } from '../../../src/core/comfy/client';
import { progressStateSent } from '../../../src/core/protocol/executionMessages';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { apiNode, chainPrompt, testRegistry } from '../../fakes/testNodes';
import { fastTimings } from '../comfy/replayHarness';
import { call, closeServed, serve, SocketRecorder, type Frame } from './serverHarness';

const CHAIN = 3000;

/** The frames of one prompt that a socket received, in order. */
function framesOf(ws: SocketRecorder, promptId: string): Frame[] {
  return ws.frames.filter((f) => f.data?.prompt_id === promptId);
}

function snapshots(frames: Frame[]): Frame[] {
  return frames.filter((f) => f.type === 'progress_state');
}

/** Runs a prompt submitted by the socket's client and returns the time it took and its frames. */
async function run(url: string, ws: SocketRecorder, clientId: string, prompt: ApiPrompt) {
  const start = performance.now();
  const reply = await call(url, 'POST', '/prompt', { prompt, client_id: clientId });
  assert.equal(reply.status, 200, reply.text);
  const id = (reply.json as { prompt_id: string }).prompt_id;
  await ws.finished(id);
  return { elapsed: performance.now() - start, frames: framesOf(ws, id) };
}

/** A chain whose nodes are all listed finished in a snapshot. */
function allFinished(snapshot: Frame | undefined, nodes: number): boolean {
  const listed = Object.values((snapshot?.data?.nodes ?? {}) as Record<string, { state: string }>);
  return listed.length === nodes && listed.every((n) => n.state === 'finished');
}

describe('progress_state on the socket for a large prompt', function () {
  this.timeout(60_000);
  afterEach(closeServed);

  it('a client running a 3,000-node chain receives a bounded number of progress_state messages', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const ws = await SocketRecorder.open(url, 'big');
    const { elapsed, frames } = await run(url, ws, 'big', chainPrompt(CHAIN));
    // Every change while at most 64 nodes are listed, a start and a finish each; then one per ~100 ms,
    // and the final one.
    const bound = 2 * 64 + Math.ceil(elapsed / 80) + 1;
    const count = snapshots(frames).length;
    assert.ok(count <= bound, `${count} snapshots in ${elapsed.toFixed(0)} ms, bound ${bound}`);
  });

  it('the last progress_state comes before execution_success and lists every node finished', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const ws = await SocketRecorder.open(url, 'big');
    const { frames } = await run(url, ws, 'big', chainPrompt(CHAIN));
    const end = frames.findIndex((f) => f.type === 'execution_success');
    assert.ok(end > 0);
    assert.ok(allFinished(snapshots(frames.slice(0, end)).at(-1), CHAIN + 2));
    assert.equal(snapshots(frames.slice(end)).length, 0);
  });

  it('a client still receives one executing per node of the chain', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const ws = await SocketRecorder.open(url, 'big');
    const { frames } = await run(url, ws, 'big', chainPrompt(CHAIN));
    const started = frames.filter((f) => f.type === 'executing' && f.data?.node !== null);
    assert.equal(new Set(started.map((f) => f.data?.node)).size, CHAIN + 2);
    assert.equal(started.length, CHAIN + 2);
  });

  it('every progress_state it receives has exactly the protocol’s shape', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const ws = await SocketRecorder.open(url, 'big');
    const { frames } = await run(url, ws, 'big', chainPrompt(CHAIN));
    for (const snapshot of snapshots(frames)) {
      // Parsing strips keys the schema does not know, so equality also rules out extra keys.
      assert.deepEqual(progressStateSent.parse(snapshot.data), snapshot.data);
    }
  });

  it('our ComfyClient following a 3,000-node chain sees it advance and ends with every node done', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const client = new ComfyClient({ baseUrl: url, ...fastTimings });
    const total = CHAIN + 2;
    try {
      const run = await client.submit(chainPrompt(CHAIN));
      // Listening only until the run is seen advancing: every snapshot copies the whole prompt's progress.
      const advanced = new Promise<void>((done) => {
        const listening = run.onProgress((p) => {
          if (p.nodes.done === 0 || p.nodes.done === total) return;
          listening.dispose();
          done();
        });
      });
      await Promise.all([advanced, run.result]);
      const last = run.progress();
      assert.equal(last.state, 'succeeded');
      const { done, running } = last.nodes;
      assert.deepEqual([done, last.nodes.total, Object.keys(running).length], [total, total, 0]);
    } finally {
      await client.dispose();
    }
  });

  it('a socket that stops reading gets fewer snapshots than one that keeps up, and the final one', async () => {
    const { url } = await serve({ nodes: testRegistry });
    const fast = await SocketRecorder.open(url, 'fast');
    const slow = await SocketRecorder.open(url, 'slow');
    // A headless prompt's snapshots are broadcast, so both sockets are sent the same ones: over a second
    // and more of ~1.2 MB snapshots, more than the system's socket buffers take.
    const length = 6000;
    const prompt = chainPrompt(length);
    for (let i = 1; i <= 20; i++) {
      prompt[`d${i}`] = apiNode('TestDelay', { input: [i === 1 ? String(length) : `d${i - 1}`, 0], ms: 100 });
    }
    prompt.out = apiNode('TestCounter', { input: ['d20', 0], tag: 'chain' });
    slow.ws.pause();
    const queueEmpty = (f: Frame) =>
      f.type === 'status' &&
      (f.data?.status as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 0;
    const before = fast.frames.length;
    const reply = await call(url, 'POST', '/prompt', { prompt });
    assert.equal(reply.status, 200, reply.text);
    await fast.next((f) => queueEmpty(f) && fast.frames.indexOf(f) > before + 1, before);
    const slowBefore = slow.frames.length;
    slow.ws.resume();
    await slow.next((f) => queueEmpty(f) && slow.frames.indexOf(f) > slowBefore, slowBefore);
    const [got, sent] = [snapshots(slow.frames), snapshots(fast.frames)];
    // The small ones of the chain's start reach both.
    const large = (frames: Frame[]) => frames.filter((f) => Object.keys(f.data?.nodes ?? {}).length > 64);
    const [slowLarge, fastLarge] = [large(got).length, large(sent).length];
    assert.ok(
      slowLarge < fastLarge,
      `${slowLarge} large snapshots to the slow socket, ${fastLarge} to the fast`,
    );
    assert.ok(allFinished(got.at(-1), length + 22));
  });
});
