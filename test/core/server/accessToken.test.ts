import assert from 'node:assert/strict';
import * as http from 'node:http';
import WebSocket from 'ws';
import { ComfyClient } from '../../../src/core/comfy/client';
import { sameToken } from '../../../src/core/server/accessToken';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { closeServed, serve } from './serverHarness';

const token = 'a-per-launch-token';

/** GET `path` with extra headers; resolves with the status and the headers. */
function get(url: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<http.IncomingMessage>((done, fail) => {
    http.get(`${url}${path}`, { headers }, (res) => (res.resume(), done(res))).on('error', fail);
  });
}

/** The status a WebSocket upgrade is answered with: 101 when it opened. */
function upgradeStatus(url: string, query: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws${query}`, { headers });
  return new Promise<number>((done, fail) => {
    ws.once('open', () => (ws.close(), done(101)));
    ws.once('unexpected-response', (_req, res) => (res.resume(), ws.terminate(), done(res.statusCode ?? 0)));
    ws.once('error', (e) => (ws.readyState === WebSocket.CLOSED ? undefined : fail(e)));
  });
}

describe('a server with a per-launch token', () => {
  const clients: ComfyClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await closeServed();
  });

  it('refuses a request without the token with 401, on every path', async () => {
    const { url } = await serve({ token });
    for (const path of ['/system_stats', '/api/queue', '/no/such/path']) {
      const res = await get(url, path);
      assert.equal(res.statusCode, 401, path);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
  });

  it('accepts the token as a bearer header and as a token query parameter', async () => {
    const { url } = await serve({ token });
    assert.equal((await get(url, '/system_stats', { Authorization: `Bearer ${token}` })).statusCode, 200);
    assert.equal((await get(url, `/system_stats?token=${token}`)).statusCode, 200);
  });

  it('refuses a wrong token with 401 on HTTP', async () => {
    const { url } = await serve({ token });
    assert.equal((await get(url, '/system_stats', { Authorization: `Bearer ${token}x` })).statusCode, 401);
    assert.equal((await get(url, '/system_stats?token=wrong')).statusCode, 401);
    assert.equal((await get(url, '/system_stats', { Authorization: `Basic ${token}` })).statusCode, 401);
  });

  it('refuses a WebSocket upgrade without the right token with 401 and accepts one with it', async () => {
    const { url } = await serve({ token });
    assert.equal(await upgradeStatus(url, '?clientId=a'), 401);
    assert.equal(await upgradeStatus(url, '?clientId=a&token=wrong'), 401);
    assert.equal(await upgradeStatus(url, `?clientId=a&token=${token}`), 101);
    assert.equal(await upgradeStatus(url, '?clientId=a', { Authorization: `Bearer ${token}` }), 101);
  });

  it('still refuses a cross-site request with 403 even with the right token', async () => {
    const { url } = await serve({ token });
    const res = await get(url, `/system_stats?token=${token}`, { 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(res.statusCode, 403);
  });

  it('answers without a token when none is set, as ComfyUI does', async () => {
    const { url } = await serve();
    assert.equal((await get(url, '/system_stats')).statusCode, 200);
  });

  it('is reached by our client with either credential, and a wrong one is reason auth', async () => {
    const { url } = await serve({ token });
    const client = (options: object) => {
      const c = new ComfyClient({ baseUrl: url, ...options });
      clients.push(c);
      return c;
    };
    await client({ bearerToken: token }).ping();
    await client({ queryToken: token }).ping();
    await client({ bearerToken: token }).connect();
    await assert.rejects(client({ bearerToken: 'wrong' }).ping(), (e: unknown) => isRunnerError(e, 'auth'));
    await assert.rejects(client({}).connect(), (e: unknown) => isRunnerError(e, 'auth'));
  });

  it('compares tokens of any length without throwing', () => {
    assert.equal(sameToken(token, token), true);
    assert.equal(sameToken('', token), false);
    assert.equal(sameToken(`${token}${token}`, token), false);
  });
});
