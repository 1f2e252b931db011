import assert from 'node:assert/strict';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from './gateNodes';
import { call, closeServed, serve, SocketRecorder } from './serverHarness';

async function post(url: string, body: Record<string, unknown>): Promise<string> {
  return ((await call(url, 'POST', '/prompt', body)).json as { prompt_id: string }).prompt_id;
}

describe('the /ws endpoint', () => {
  afterEach(async () => {
    gates.reset();
    await closeServed();
  });

  it('sends status with the client id as sid first', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'me', false);
    const first = await ws.next(() => true);
    assert.deepEqual(first, {
      type: 'status',
      data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'me' },
    });
  });

  it('makes up a hex sid for a socket without a client id', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, undefined, false);
    assert.match(String((await ws.next(() => true)).data?.sid), /^[0-9a-f]{32}$/);
  });

  it('answers on /api/ws as well', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(`${url}/api`, 'me', false);
    assert.equal((await ws.next(() => true)).type, 'status');
  });

  it('sends a prompt’s events only to the client that submitted it, and status to everyone', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const mine = await SocketRecorder.open(url, 'mine');
    const other = await SocketRecorder.open(url, 'other');
    const id = await post(url, { prompt: quickPrompt('q'), client_id: 'mine' });
    await mine.finished(id);
    // The other socket's fourth status (hello, put, take, finish) comes after the run's last event.
    await other.next(() => other.frames.filter((f) => f.type === 'status').length >= 4);
    assert.ok(mine.frames.some((f) => f.type === 'execution_success'));
    assert.deepEqual([...new Set(other.frames.map((f) => f.type))].sort(), ['feature_flags', 'status']);
  });

  it('replays the executing node to a client that reconnects with the same id mid-run', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const first = await SocketRecorder.open(url, 'again');
    const id = await post(url, { prompt: gatedPrompt('g'), client_id: 'again' });
    await first.executing(id, '1');
    await first.close();
    const second = await SocketRecorder.open(url, 'again', false);
    await second.next((f) => f.type === 'executing');
    assert.deepEqual(
      second.frames.slice(0, 2).map((f) => f.type),
      ['status', 'executing'],
    );
    assert.deepEqual(second.frames[1].data, { node: '1' });
    gates.open('g');
    await second.finished(id);
  });

  it('keeps delivering to the new socket when an older one with the same id closes later', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const old = await SocketRecorder.open(url, 'same');
    const fresh = await SocketRecorder.open(url, 'same');
    await old.close();
    const id = await post(url, { prompt: quickPrompt('s'), client_id: 'same' });
    await fresh.finished(id);
  });

  it('closes every socket when the server closes', async () => {
    const served = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(served.url, 'c');
    const closed = new Promise<void>((done) => ws.ws.once('close', () => done()));
    await served.server.close();
    await closed;
    await assert.rejects(fetch(`${served.url}/prompt`));
  });
});
