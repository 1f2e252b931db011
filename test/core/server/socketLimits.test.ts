import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import WebSocket from 'ws';
import { rawSocket, textFrameHeader } from '../../fakes/rawWebSocket';
import { gatedRegistry, quickPrompt } from './gateNodes';
import { call, closeServed, serve, SocketRecorder } from './serverHarness';

describe('the /ws endpoint’s frame limit', () => {
  afterEach(closeServed);

  it('closes a socket that sends a frame over 4 MiB with code 1009', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'big', false);
    const closed = once(ws.ws, 'close') as Promise<[number, Buffer]>;
    ws.ws.send('x'.repeat(4 * 1024 * 1024 + 1));
    const [code] = await closed;
    assert.equal(code, 1009);
  });

  it('closes a socket as soon as a frame header announces 99 MB, without waiting for the bytes', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const { conn, closeCode } = await rawSocket(url);
    try {
      conn.write(Buffer.concat([textFrameHeader(99_000_000), randomBytes(1024)]));
      assert.equal(await closeCode, 1009);
    } finally {
      conn.destroy();
    }
  });

  it('accepts a frame of 4 MiB', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'fits', false);
    ws.ws.send('x'.repeat(4 * 1024 * 1024));
    const id = (
      (await call(url, 'POST', '/prompt', { prompt: quickPrompt('f'), client_id: 'fits' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await ws.finished(id);
    assert.equal(ws.ws.readyState, WebSocket.OPEN);
  });

  it('keeps serving other sockets and HTTP after closing one for a frame too large', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const other = await SocketRecorder.open(url, 'other');
    const big = await SocketRecorder.open(url, 'big', false);
    const closed = once(big.ws, 'close');
    big.ws.send('x'.repeat(8 * 1024 * 1024));
    await closed;
    const reply = await call(url, 'POST', '/prompt', { prompt: quickPrompt('o'), client_id: 'other' });
    await other.finished((reply.json as { prompt_id: string }).prompt_id);
    const fresh = await SocketRecorder.open(url, 'fresh', false);
    assert.equal((await fresh.next(() => true)).type, 'status');
  });
});
