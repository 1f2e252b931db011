import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { historyEntry, PromptHistory } from '../../../src/core/server/promptHistory';
import { queueRoutes } from '../../../src/core/server/queueRoutes';
import type { QueueItem } from '../../../src/core/server/queueItem';
import { hostPolicy } from '../../../src/core/server/originCheck';
import { routeRequests } from '../../../src/core/server/router';
import type { ServerState } from '../../../src/core/server/serverState';
import { gatedRegistry, quickPrompt } from './gateNodes';
import { call, closeServed, serve } from './serverHarness';

/** JSON text of arrays nested `depth` levels deep around a 1 (JSON.stringify cannot write 10,000). */
function nestedText(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** The value of {@link nestedText}. */
const nested = (depth: number): unknown => JSON.parse(nestedText(depth));

/** A request body as JSON text with `extra_data.deep` nested so that the whole body is `depth` deep. */
function bodyWithDepth(depth: number): string {
  // The body object and extra_data are two levels, so the value under them nests depth - 2.
  const prompt = JSON.stringify(quickPrompt('deep'));
  return `{"prompt": ${prompt}, "extra_data": {"deep": ${nestedText(depth - 2)}}}`;
}

/** The message of a 400 answer, in either of the server's shapes. */
function messageOf(json: unknown): string {
  const error = (json as { error?: unknown } | undefined)?.error;
  return typeof error === 'string' ? error : String((error as { message?: unknown } | undefined)?.message);
}

describe('malformed and oversized requests', () => {
  afterEach(closeServed);

  it('refuses a prompt whose extra_data nests 10,000 levels deep, naming the limit', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const reply = await call(url, 'POST', '/prompt', bodyWithDepth(10_000));
    assert.equal(reply.status, 400);
    assert.match(messageOf(reply.json), /256 levels/);
  });

  it('refuses a prompt nested 10,000 levels deep inside a node input before validating it', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const prompt = `{"1": {"class_type": "TestSource", "inputs": {"value": ${nestedText(10_000)}}}}`;
    const reply = await call(url, 'POST', '/prompt', `{"prompt": ${prompt}}`);
    assert.equal(reply.status, 400);
    assert.match(messageOf(reply.json), /256 levels/);
  });

  it('accepts a body nested exactly 256 levels deep and refuses one of 257', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    assert.equal((await call(url, 'POST', '/prompt', bodyWithDepth(256))).status, 200);
    assert.equal((await call(url, 'POST', '/prompt', bodyWithDepth(257))).status, 400);
  });

  it('keeps answering GET /history after a deeply nested prompt was refused', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await call(url, 'POST', '/prompt', bodyWithDepth(10_000));
    assert.equal((await call(url, 'GET', '/history')).status, 200);
  });

  it('answers a POST /prompt body that is not JSON with 400 in ComfyUI’s error shape', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const reply = await call(url, 'POST', '/prompt', '{not json');
    assert.equal(reply.status, 400);
    assert.match(messageOf(reply.json), /not valid JSON/);
    assert.deepEqual((reply.json as { node_errors: unknown }).node_errors, {});
  });

  it('answers a prompt that is not an object, and a body that is a number, with 400', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    for (const body of ['{"prompt": 5}', '{"prompt": [1]}', '{"prompt": null}', '7', 'null']) {
      const reply = await call(url, 'POST', '/prompt', body);
      assert.equal(reply.status, 400, body);
      assert.match(messageOf(reply.json), /object/, body);
    }
  });

  it('answers a malformed number, extra_data or partial_execution_targets with 400 naming the field', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const prompt = quickPrompt('fields');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ prompt, number: 'x' }, /number/],
      [{ prompt, extra_data: [1] }, /extra_data/],
      [{ prompt, partial_execution_targets: 'a' }, /partial_execution_targets/],
    ];
    for (const [body, field] of cases) {
      const reply = await call(url, 'POST', '/prompt', body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(messageOf(reply.json), field);
    }
  });

  it('answers a body that is not JSON on every JSON route with 400 and a message', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    for (const path of ['/queue', '/interrupt', '/history', '/free', '/api/queue', '/api/jobs/cancel']) {
      const reply = await call(url, 'POST', path, '{not json');
      assert.equal(reply.status, 400, path);
      assert.match(messageOf(reply.json), /not valid JSON/, path);
    }
  });

  it('answers a JSON body that is not an object on /queue, /history and /free with 400', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    for (const path of ['/queue', '/history', '/free', '/interrupt']) {
      const reply = await call(url, 'POST', path, '[1]');
      assert.equal(reply.status, 400, path);
      assert.match(messageOf(reply.json), /object/, path);
    }
  });

  it('refuses a deeply nested body on the other JSON routes too', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const deep = `{"delete": ${nestedText(10_000)}}`;
    for (const path of ['/queue', '/history', '/interrupt', '/api/jobs/cancel']) {
      assert.equal((await call(url, 'POST', path, deep)).status, 400, path);
    }
  });

  it('answers a GET /history max_items or offset that is not a number with 400', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    for (const query of ['max_items=x', 'offset=y']) {
      const reply = await call(url, 'GET', `/history?${query}`);
      assert.equal(reply.status, 400, query);
      assert.match(messageOf(reply.json), /whole numbers/, query);
    }
  });

  it('refuses a body over the upload limit with 413', async () => {
    const { url } = await serve({ nodes: gatedRegistry, maxUploadSize: 1024 });
    assert.equal((await call(url, 'POST', '/prompt', `"${'x'.repeat(2048)}"`)).status, 413);
    assert.equal((await call(url, 'POST', '/prompt', { prompt: quickPrompt('small') })).status, 200);
  });

  it('still takes an empty POST /interrupt as a global interrupt', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    assert.equal((await call(url, 'POST', '/interrupt')).status, 200);
    assert.equal((await call(url, 'POST', '/interrupt', '')).status, 200);
  });
});

/** An item as the server keeps it, with `extraData` as given. */
function item(promptId: string, extraData: Record<string, unknown>): QueueItem {
  return { number: 0, promptId, prompt: quickPrompt(promptId), extraData, outputs: ['2'], sensitive: {} };
}

describe('GET /history with an entry that cannot be written as JSON', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  /** Serves the queue routes over `history`; resolves with the URL and what was logged. */
  async function serveHistory(history: PromptHistory): Promise<{ url: string; logged: string[] }> {
    const logged: string[] = [];
    const state = { history, log: (line: string) => logged.push(line) } as unknown as ServerState;
    const listener = routeRequests(queueRoutes(state), { maxBody: 1024, hosts: hostPolicy('127.0.0.1') });
    server = http.createServer(listener);
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logged };
  }

  it('answers the other entries, leaves that one out and logs it', async () => {
    const history = new PromptHistory();
    const outcome = { status: 'success' as const, outputs: {} };
    history.add('good-1', historyEntry(item('good-1', {}), outcome, []));
    history.add('bad', historyEntry(item('bad', { deep: nested(10_000) }), outcome, []));
    history.add('good-2', historyEntry(item('good-2', {}), outcome, []));
    const { url, logged } = await serveHistory(history);
    const reply = await call(url, 'GET', '/history');
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.json as object), ['good-1', 'good-2']);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /bad/);
  });
});
