import assert from 'node:assert/strict';
import * as http from 'node:http';
import WebSocket from 'ws';
import { ComfyClient } from '../../../src/core/comfy/client';
import { hostPolicy } from '../../../src/core/server/originCheck';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { closeServed, serve } from './serverHarness';

/** What a request was answered with. */
interface Answer {
  status: number;
  text: string;
}

/** GET `path` with extra headers (a `Host` among them replaces the real one). */
function get(url: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((done, fail) => {
    http
      .get(`${url}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      })
      .on('error', fail);
  });
}

/** What a WebSocket upgrade is answered with: 101 when it opened. */
function upgrade(url: string, headers: Record<string, string>): Promise<Answer> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
  return new Promise((done, fail) => {
    ws.once('open', () => (ws.close(), done({ status: 101, text: '' })));
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
      });
    });
    ws.once('error', (e) => (ws.readyState === WebSocket.CLOSED ? undefined : fail(e)));
  });
}

/** The port of a server's URL. */
const portOf = (url: string) => new URL(url).port;

/** Spellings of the IPv4-mapped loopback address a Host header may use. */
const mappedLoopback = ['[::ffff:127.0.0.1]', '[::FFFF:7f00:1]', '[0:0:0:0:0:ffff:127.0.0.1]'];

describe('the host and origin guard', () => {
  afterEach(closeServed);

  it('refuses a request a browser marks cross-site with 403', async () => {
    const { url } = await serve();
    assert.equal((await get(url, '/queue', { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  });

  it('refuses a request from a page of another host with 403 and says why', async () => {
    const { url } = await serve();
    const answer = await get(url, '/queue', { Origin: 'https://evil.example' });
    assert.equal(answer.status, 403);
    assert.match(answer.text, /Origin "https:\/\/evil\.example"/);
  });

  it('refuses a foreign origin whatever spelling of IPv4-mapped loopback the Host uses', async () => {
    const { url } = await serve();
    for (const host of mappedLoopback) {
      const headers = { Host: `${host}:${portOf(url)}`, Origin: 'https://evil.example' };
      assert.equal((await get(url, '/queue', headers)).status, 403, host);
    }
  });

  it('answers a request whose Host is an IPv4-mapped loopback address, ::1, 127.x or localhost', async () => {
    const { url } = await serve();
    for (const host of [...mappedLoopback, '[::1]', '127.0.0.2', 'LOCALHOST']) {
      assert.equal((await get(url, '/queue', { Host: `${host}:${portOf(url)}` })).status, 200, host);
    }
  });

  it('refuses a Host of localhost with a trailing dot', async () => {
    const { url } = await serve();
    const answer = await get(url, '/queue', { Host: `localhost.:${portOf(url)}` });
    assert.equal(answer.status, 403);
    assert.match(answer.text, /--allow-host/);
  });

  it('refuses a Host that is a name resolving to loopback, as DNS rebinding sends', async () => {
    const { url } = await serve();
    for (const host of ['127.0.0.1.nip.io', 'evil.example', 'sub.localhost']) {
      const answer = await get(url, '/queue', { Host: `${host}:${portOf(url)}` });
      assert.equal(answer.status, 403, host);
      assert.match(answer.text, new RegExp(`Host "${host.replace(/\./g, '\\.')}:`), host);
    }
  });

  it('refuses a Host header that is not a host and port', async () => {
    const { url } = await serve();
    for (const host of ['evil.example@127.0.0.1', '127.0.0.1/x', '127.0.0.1:99999']) {
      assert.equal((await get(url, '/queue', { Host: host })).status, 403, host);
    }
  });

  it('answers a Host and an Origin named by allowHosts', async () => {
    const { url } = await serve({ allowHosts: ['127.0.0.1.nip.io', 'Tools.Example'] });
    const host = `127.0.0.1.nip.io:${portOf(url)}`;
    assert.equal((await get(url, '/queue', { Host: host })).status, 200);
    assert.equal((await get(url, '/queue', { Origin: 'https://tools.example:5173' })).status, 200);
    const crossSite = { Origin: 'https://tools.example', 'Sec-Fetch-Site': 'cross-site' };
    assert.equal((await get(url, '/queue', crossSite)).status, 200);
  });

  it('refuses a page of this machine on another port, a null origin and a webview', async () => {
    const { url } = await serve();
    assert.equal((await get(url, '/queue', { Origin: 'http://127.0.0.1:5173' })).status, 403);
    assert.equal((await get(url, '/queue', { Origin: 'http://localhost' })).status, 403);
    assert.equal((await get(url, '/queue', { Origin: 'null' })).status, 403);
    assert.equal((await get(url, '/queue', { Origin: 'vscode-webview://1abc' })).status, 403);
  });

  it('checks no Host when it listens beyond loopback, but still refuses a foreign origin', async () => {
    const { url } = await serve({ host: '0.0.0.0' });
    const local = url.replace('0.0.0.0', '127.0.0.1');
    assert.equal((await get(local, '/queue', { Host: `box.example:${portOf(url)}` })).status, 200);
    const headers = { Host: `box.example:${portOf(url)}`, Origin: 'https://evil.example' };
    assert.equal((await get(local, '/queue', headers)).status, 403);
  });

  it('lets a page served by the same host and clients that send no origin through', async () => {
    const { url } = await serve();
    assert.equal((await get(url, '/queue', { Origin: url })).status, 200);
    assert.equal((await get(url, '/queue', {})).status, 200);
  });

  it('refuses a cross-site WebSocket and says why', async () => {
    const { url } = await serve();
    const answer = await upgrade(url, { Origin: 'https://evil.example' });
    assert.equal(answer.status, 403);
    assert.match(answer.text, /Origin "https:\/\/evil\.example"/);
  });

  it('refuses a WebSocket from a foreign origin over an IPv4-mapped Host, and over a rebinding name', async () => {
    const { url } = await serve();
    const evil = 'https://evil.example';
    assert.equal(
      (await upgrade(url, { Host: `[::ffff:127.0.0.1]:${portOf(url)}`, Origin: evil })).status,
      403,
    );
    assert.equal((await upgrade(url, { Host: `127.0.0.1.nip.io:${portOf(url)}` })).status, 403);
    assert.equal((await upgrade(url, {})).status, 101);
  });

  it('is reached by our own client on 127.0.0.1 and on localhost, over HTTP and the socket', async () => {
    const { url } = await serve();
    for (const base of [url, url.replace('127.0.0.1', 'localhost')]) {
      const client = new ComfyClient({ baseUrl: base });
      try {
        await client.ping();
        await client.connect();
      } finally {
        await client.dispose();
      }
    }
  });
});

describe('hostPolicy', () => {
  it('treats every loopback address it may listen on as loopback, IPv6 given bare or bracketed', () => {
    for (const host of ['127.0.0.1', '127.0.0.5', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      assert.equal(hostPolicy(host).loopbackOnly, true, host);
  });

  it('does not treat an address beyond loopback as loopback', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'box.example'])
      assert.equal(hostPolicy(host).loopbackOnly, false, host);
  });

  it('keeps allowed hosts canonical, and refuses one with a port or a scheme', () => {
    assert.deepEqual(
      [...hostPolicy('127.0.0.1', ['Box.Example', '::1']).allowedHosts],
      ['box.example', '::1'],
    );
    for (const bad of ['box.example:80', 'http://box.example', ''])
      assert.throws(
        () => hostPolicy('127.0.0.1', [bad]),
        (e: unknown) => isRunnerError(e, 'bad_input'),
        bad,
      );
  });
});
