import assert from 'node:assert/strict';
import { whenIdleFor } from '../../../src/core/server/idleWatch';
import { gatedPrompt, gatedRegistry, gates } from './gateNodes';
import { call, closeServed, serve, SocketRecorder } from './serverHarness';

/** Whether `p` settles within `ms`: the behaviour under test is "happened" against "not yet". */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<false>((done) => (timer = setTimeout(() => done(false), ms)));
  const settled = await Promise.race([p.then(() => true), later]);
  clearTimeout(timer);
  return settled;
}

describe('a server’s idle clock', function () {
  this.timeout(20_000);
  const watches: AbortController[] = [];
  afterEach(async () => {
    for (const w of watches.splice(0)) w.abort();
    gates.reset();
    await closeServed();
  });

  function watch(server: Parameters<typeof whenIdleFor>[0], ms: number): Promise<void> {
    const stop = new AbortController();
    watches.push(stop);
    return whenIdleFor(server, ms, stop.signal);
  }

  it('says the server is idle once nobody used it for the time given', async () => {
    const { server } = await serve();
    assert.equal(await settlesWithin(watch(server, 100), 10_000), true);
    assert.ok(server.idleMs() >= 100);
  });

  it('counts an HTTP request as use', async () => {
    const { server, url } = await serve();
    await watch(server, 50);
    const asked = Date.now();
    await call(url, 'GET', '/system_stats');
    // Idle since the request ended, so for no longer than since it was sent.
    assert.ok(server.idleMs() <= Date.now() - asked);
  });

  it('does not say idle while a WebSocket client is connected, and does once it left', async () => {
    const { server, url } = await serve();
    const socket = await SocketRecorder.open(url, 'watcher');
    const idle = watch(server, 100);
    assert.equal(await settlesWithin(idle, 1_000), false);
    assert.equal(server.idleMs(), 0);
    await socket.close();
    assert.equal(await settlesWithin(idle, 10_000), true);
  });

  it('does not say idle while a prompt runs with nobody connected, and does once it ended', async () => {
    const { server, url } = await serve({ nodes: gatedRegistry });
    const queued = await call(url, 'POST', '/prompt', { prompt: gatedPrompt('hold') });
    assert.equal(queued.status, 200);
    const idle = watch(server, 100);
    assert.equal(await settlesWithin(idle, 1_000), false);
    assert.equal(server.idleMs(), 0);
    gates.open('hold');
    assert.equal(await settlesWithin(idle, 10_000), true);
  });

  it('drops the watch when its signal aborts', async () => {
    const { server } = await serve();
    const stop = new AbortController();
    const idle = whenIdleFor(server, 50, stop.signal);
    stop.abort();
    assert.equal(await settlesWithin(idle, 500), false);
  });
});
