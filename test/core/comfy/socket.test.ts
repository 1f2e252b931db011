import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { PreviewFrame, TextFrame } from '../../../src/core/protocol/binaryFrames';
import type { ServerMessage } from '../../../src/core/protocol/comfyMessages';
import { resolveServer } from '../../../src/core/comfy/serverConfig';
import { ComfySocket, processClientId, type SocketOptions } from '../../../src/core/comfy/socket';
import { RunnerError } from '../../../src/core/util/runnerError';
import { unusedPort } from './loopback';

interface WsFake {
  url: string;
  wss: WebSocketServer;
  /** Server-side events in order: `open <n> <clientId>`, `close <n>`, `ping <n>`. */
  log: string[];
  sockets: WebSocket[];
  firstFrames: unknown[];
  close(): Promise<void>;
}

async function startWsFake(options: { autoPong?: boolean; refuse?: number } = {}): Promise<WsFake> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
  const fake: WsFake = { url: '', wss, log: [], sockets: [], firstFrames: [], close: async () => undefined };
  server.on('upgrade', (req, socket, head) => {
    if (options.refuse)
      return void socket.end(`HTTP/1.1 ${options.refuse} Refused\r\nContent-Length: 0\r\n\r\n`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const n = fake.sockets.push(ws);
      fake.log.push(`open ${n} ${new URL(req.url ?? '', 'http://x').searchParams.get('clientId')}`);
      ws.once('message', (data) => fake.firstFrames.push(JSON.parse(String(data))));
      ws.on('ping', () => fake.log.push(`ping ${n}`));
      ws.on('close', () => fake.log.push(`close ${n}`));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  fake.close = async () => {
    wss.clients.forEach((c) => c.terminate());
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  };
  return fake;
}

const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
};

describe('ComfySocket', () => {
  let fake: WsFake | undefined;
  let socket: ComfySocket | undefined;
  afterEach(async () => {
    await socket?.dispose();
    await fake?.close();
    socket = fake = undefined;
  });

  async function open(options: SocketOptions = {}, fakeOptions = {}): Promise<ComfySocket> {
    fake = await startWsFake(fakeOptions);
    socket = new ComfySocket(resolveServer({ baseUrl: fake.url }), { initialBackoffMs: 10, ...options });
    return socket;
  }

  it('connects with the process client id and sends the feature-flags hello first', async () => {
    const s = await open();
    await s.ready();
    await until(() => fake!.firstFrames.length === 1);
    assert.deepEqual(fake!.log, [`open 1 ${processClientId}`]);
    assert.deepEqual(fake!.firstFrames, [
      { type: 'feature_flags', data: { supports_preview_metadata: true } },
    ]);
  });

  it('reconnects with the same client id after the server drops it, once the old socket has closed', async () => {
    const s = await open({ clientId: 'c-1' });
    await s.ready();
    const reopened = new Promise((resolve) => s.opened.on(resolve));
    fake!.sockets[0]!.terminate();
    assert.deepEqual(await reopened, { reconnect: true });
    assert.deepEqual(fake!.log, ['open 1 c-1', 'close 1', 'open 2 c-1']);
  });

  it('replaces a socket on request only after the old one has fully closed', async () => {
    const s = await open({ clientId: 'c-2' });
    await s.ready();
    const reopened = new Promise((resolve) => s.opened.on(resolve));
    s.reconnectNow('test');
    await reopened;
    assert.deepEqual(fake!.log, ['open 1 c-2', 'close 1', 'open 2 c-2']);
  });

  it('makes a submit wait for the replacement instead of using the closing socket', async () => {
    const s = await open();
    await s.ready();
    s.reconnectNow('test');
    await s.ready();
    assert.equal(fake!.sockets.length, 2);
  });

  it('pings the server at the configured interval', async () => {
    const s = await open({ pingIntervalMs: 10 });
    await s.ready();
    await until(() => fake!.log.filter((l) => l === 'ping 1').length >= 2);
  });

  it('drops a connection whose pings go unanswered and opens a new one', async () => {
    const s = await open({ pingIntervalMs: 10 }, { autoPong: false });
    await s.ready();
    await until(() => fake!.sockets.length === 2);
    assert.deepEqual(fake!.log.filter((l) => !l.startsWith('ping')).slice(0, 3), [
      `open 1 ${processClientId}`,
      'close 1',
      `open 2 ${processClientId}`,
    ]);
  });

  it('delivers parsed messages and binary frames, and drops malformed ones', async () => {
    const s = await open();
    const messages: ServerMessage[] = [];
    const frames: (PreviewFrame | TextFrame)[] = [];
    s.messages.on((m) => messages.push(m));
    s.binary.on((f) => frames.push(f));
    await s.ready();
    const ws = fake!.sockets[0]!;
    ws.send('{"type":"progress","data":{"value":"x"}}');
    ws.send('{"type":"something_new","data":{}}');
    ws.send(Buffer.from([0, 0, 0, 3, 0, 0, 0, 1, 0x35, 0x68, 0x69]));
    ws.send('{"type":"execution_start","data":{"prompt_id":"p"}}');
    await until(() => messages.length === 1);
    assert.deepEqual(messages, [{ type: 'execution_start', data: { prompt_id: 'p' } }]);
    assert.deepEqual(frames, [{ type: 'text', eventType: 3, nodeId: '5', text: 'hi' }]);
  });

  it('remembers the feature flags the server answers with', async () => {
    const s = await open();
    await s.ready();
    fake!.sockets[0]!.send('{"type":"feature_flags","data":{"max_upload_size":10}}');
    await until(() => s.serverFeatureFlags.max_upload_size === 10);
  });

  it('rejects with auth when the upgrade is refused with 401, and stops trying', async () => {
    const s = await open({}, { refuse: 401 });
    const e = await s.ready().then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.equal(e instanceof RunnerError && e.reason, 'auth');
    assert.equal(s.state, 'failed');
  });

  it('rejects with server_unreachable when nothing listens, and keeps trying', async () => {
    socket = new ComfySocket(resolveServer({ baseUrl: `http://127.0.0.1:${await unusedPort()}/` }), {
      initialBackoffMs: 10,
    });
    const e = await socket.ready().then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.equal(e instanceof RunnerError && e.reason, 'server_unreachable');
    assert.notEqual(socket.state, 'failed');
  });
});
