import assert from 'node:assert/strict';
import * as http from 'node:http';
import WebSocket from 'ws';
import { closeServed, serve } from './serverHarness';

/** GET `path` with extra headers; resolves with the status. */
function status(url: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done, fail) => {
    http
      .get(`${url}${path}`, { headers }, (res) => (res.resume(), done(res.statusCode ?? 0)))
      .on('error', fail);
  });
}

describe('the origin guard', () => {
  afterEach(closeServed);

  it('refuses a request a browser marks cross-site with 403', async () => {
    const { url } = await serve();
    assert.equal(await status(url, '/queue', { 'Sec-Fetch-Site': 'cross-site' }), 403);
  });

  it('refuses a request from a page of another host with 403', async () => {
    const { url } = await serve();
    assert.equal(await status(url, '/queue', { Origin: 'https://evil.example' }), 403);
  });

  it('lets a page served by the same host and clients that send no origin through', async () => {
    const { url } = await serve();
    assert.equal(await status(url, '/queue', { Origin: url }), 200);
    assert.equal(await status(url, '/queue', {}), 200);
  });

  it('refuses a cross-site WebSocket', async () => {
    const { url } = await serve();
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, {
      headers: { Origin: 'https://evil.example' },
    });
    const code = await new Promise<number>((done) =>
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        done(res.statusCode ?? 0);
      }),
    );
    assert.equal(code, 403);
  });
});
