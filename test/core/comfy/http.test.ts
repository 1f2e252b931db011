import assert from 'node:assert/strict';
import { isRunnerError, RunnerError } from '../../../src/core/util/runnerError';
import { ComfyHttp } from '../../../src/core/comfy/http';
import { resolveServer, type ServerOptions } from '../../../src/core/comfy/serverConfig';
import { type Handler, type Loopback, startLoopback, testCa, unusedPort } from './loopback';

const ok: Handler = () => ({ status: 200, json: { ok: true } });

async function rejection(p: Promise<unknown>): Promise<RunnerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RunnerError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('ComfyHttp', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function client(
    handler: Handler,
    options: Partial<ServerOptions> = {},
    path = '',
  ): Promise<ComfyHttp> {
    server = await startLoopback(handler);
    return new ComfyHttp(resolveServer({ baseUrl: server.origin + path, ...options }));
  }

  it('calls /api/<route> under the base URL path prefix', async () => {
    const api = await client(ok, {}, 'comfy');
    await api.request({ route: 'system_stats' });
    assert.equal(server!.seen[0]!.url, '/comfy/api/system_stats');
  });

  it('retries the bare path once when /api answers 404, and keeps using it', async () => {
    const api = await client((r) =>
      r.url.startsWith('/api/') ? { status: 404, text: '' } : { status: 200, json: {} },
    );
    await api.request({ route: 'queue' });
    await api.request({ route: 'history/x' });
    assert.deepEqual(
      server!.seen.map((r) => r.url),
      ['/api/queue', '/queue', '/history/x'],
    );
  });

  it('does not retry a route that exists only under /api', async () => {
    const api = await client(() => ({ status: 404, json: { error: 'Job not found' } }));
    const reply = await api.request({ route: 'jobs/x', prefix: 'apiOnly' });
    assert.equal(reply.status, 404);
    assert.equal(server!.seen.length, 1);
  });

  it('sends Basic credentials taken from the URL, and not the URL credentials themselves', async () => {
    server = await startLoopback(ok);
    const api = new ComfyHttp(resolveServer({ baseUrl: server.origin.replace('//', '//ann:s%3Acret@') }));
    await api.request({ route: 'queue' });
    assert.equal(
      server.seen[0]!.headers.authorization,
      `Basic ${Buffer.from('ann:s:cret').toString('base64')}`,
    );
    assert.equal(server.seen[0]!.url, '/api/queue');
  });

  it('sends a bearer token, a query token and extra headers', async () => {
    const api = await client(ok, { bearerToken: 'tok', queryToken: 'q1', headers: { 'Comfy-User': 'u' } });
    await api.request({ route: 'queue', query: { a: 'b' } });
    const seen = server!.seen[0]!;
    assert.equal(seen.headers.authorization, 'Bearer tok');
    assert.equal(seen.headers['comfy-user'], 'u');
    assert.equal(seen.url, '/api/queue?a=b&token=q1');
  });

  it('turns 401 into an auth error', async () => {
    const api = await client(() => ({ status: 401, text: 'Unauthorized' }));
    assert.equal((await rejection(api.request({ route: 'queue' }))).reason, 'auth');
  });

  it('turns 403 into an auth error', async () => {
    const api = await client(() => ({ status: 403, text: '' }));
    assert.equal((await rejection(api.request({ route: 'queue' }))).reason, 'auth');
  });

  it('turns a proxy 502 into server_unreachable', async () => {
    const api = await client(() => ({ status: 502, text: 'Bad Gateway' }));
    assert.equal((await rejection(api.request({ route: 'queue' }))).reason, 'server_unreachable');
  });

  it('turns a refused connection into server_unreachable', async () => {
    const api = new ComfyHttp(resolveServer({ baseUrl: `http://127.0.0.1:${await unusedPort()}/` }));
    assert.equal((await rejection(api.request({ route: 'queue' }))).reason, 'server_unreachable');
  });

  it('turns a server that never answers into a timeout', async () => {
    const api = await client(() => 'hang', { requestTimeoutMs: 50 });
    assert.equal((await rejection(api.request({ route: 'queue' }))).reason, 'timeout');
  });

  it('parses a JSON reply with a schema and calls a reply of another shape a protocol error', async () => {
    const api = await client(() => ({ status: 200, json: { nope: 1 } }));
    const { z } = await import('zod');
    const e = await rejection(
      api.json({ route: 'queue' }, z.object({ queue_running: z.array(z.unknown()) })),
    );
    assert.equal(e.reason, 'protocol');
  });

  describe('over TLS', () => {
    async function tlsClient(options: Partial<ServerOptions>): Promise<ComfyHttp> {
      server = await startLoopback(ok, true);
      return new ComfyHttp(resolveServer({ baseUrl: server.origin, ...options }));
    }

    it('trusts a server signed by a configured certificate authority', async () => {
      const api = await tlsClient({ ca: testCa });
      assert.equal((await api.request({ route: 'queue' })).status, 200);
    });

    it('refuses an untrusted certificate as server_unreachable with a TLS hint', async () => {
      const api = await tlsClient({});
      const e = await rejection(api.request({ route: 'queue' }));
      assert.equal(e.reason, 'server_unreachable');
      assert.equal((e.details as { tls: boolean }).tls, true);
    });

    it('accepts any certificate when verification is explicitly off for the server', async () => {
      const api = await tlsClient({ rejectUnauthorized: false });
      assert.equal((await api.request({ route: 'queue' })).status, 200);
    });
  });

  it('rejects a base URL that is not http or https as bad input', () => {
    assert.throws(
      () => resolveServer({ baseUrl: 'ftp://host/' }),
      (e: unknown) => isRunnerError(e, 'bad_input'),
    );
  });
});
