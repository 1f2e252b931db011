/**
 * The client's public calls beyond submit and follow: how it names its server, its node definitions,
 * watching one prompt's messages, idempotent submission and taking prompts back, against our own server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ComfyClient, type ComfyClientOptions } from '../../../src/core/comfy/client';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { type FaultProxy, startFaultProxy } from '../../fakes/faultProxy';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from '../server/gateNodes';
import { closeServed, serve } from '../server/serverHarness';
import { type Loopback, startLoopback } from './loopback';
import { fastTimings } from './replayHarness';
import { tempDir } from '../../fakes/tempDirs';

const clients: ComfyClient[] = [];
const proxies: FaultProxy[] = [];
let loopback: Loopback | undefined;

function clientFor(baseUrl: string, options: Partial<ComfyClientOptions> = {}): ComfyClient {
  const client = new ComfyClient({ baseUrl, ...fastTimings, ...options });
  clients.push(client);
  return client;
}

describe('the ComfyClient', function () {
  this.timeout(20_000);
  afterEach(async () => {
    gates.reset();
    for (const c of clients.splice(0)) await c.dispose();
    for (const p of proxies.splice(0)) await p.close();
    await loopback?.close();
    loopback = undefined;
    await closeServed();
  });

  it('names its server by the base URL, without credentials, query token or trailing slash', () => {
    const client = clientFor('http://ann:secret@127.0.0.1:8188/comfy/?x=1', { queryToken: 'tok' });
    assert.equal(client.displayName, 'http://127.0.0.1:8188/comfy');
  });

  describe('nodeDefinitions', () => {
    /** A loopback server whose `/object_info` fails `failures` times (a proxy whose server is down). */
    async function objectInfo(failures: number): Promise<ComfyClient> {
      let left = failures;
      loopback = await startLoopback(() =>
        left-- > 0 ? { status: 503, text: '' } : { status: 200, json: { Node: { input: {} } } },
      );
      return clientFor(loopback.origin);
    }

    it('asks the server once and remembers the answer', async () => {
      const client = await objectInfo(0);
      const [a, b] = await Promise.all([client.nodeDefinitions(), client.nodeDefinitions()]);
      assert.equal(a, b);
      assert.deepEqual(Object.keys(await client.nodeDefinitions()), ['Node']);
      assert.equal(loopback!.seen.length, 1);
    });

    it('asks again after a failure', async () => {
      const client = await objectInfo(1);
      await assert.rejects(client.nodeDefinitions(), (e: unknown) => isRunnerError(e, 'server_unreachable'));
      assert.deepEqual(Object.keys(await client.nodeDefinitions()), ['Node']);
      assert.equal(loopback!.seen.length, 2);
    });
  });

  it('tells a watcher every message of a prompt, from the first, when it watches before submitting', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const client = clientFor(url);
    const promptId = randomUUID();
    const seen: string[] = [];
    const watching = client.messagesOf(promptId, (m) => seen.push(m.type));
    const run = await client.submit(quickPrompt('watched'), { promptId });
    await run.result;
    watching.dispose();
    assert.equal(seen[0], 'execution_start');
    assert.ok(seen.includes('executed'));
    assert.equal(seen.at(-1), 'executing');
  });

  it('follows a prompt whose submission reply was lost, without submitting it again', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const proxy = await startFaultProxy(url);
    proxies.push(proxy);
    proxy.dropSubmitReplies(1);
    const outputDir = tempDir('client-out-');
    const promptId = randomUUID();
    const opened = await clientFor(proxy.url).submitIdempotent(quickPrompt('once'), { promptId, outputDir });
    assert.equal(opened.confirmed, true);
    assert.equal(opened.run.promptId, promptId);
    const result = await opened.run.result;
    assert.deepEqual(
      result.files.map((f) => f.filename),
      ['once_00001_.txt'],
    );
    assert.equal(readFileSync(result.files[0]!.path, 'utf8'), '1');
    assert.equal(proxy.posts.length, 1);
  });

  describe('resume', () => {
    it('follows a prompt another client submitted under the same client id to its end', async () => {
      const { url } = await serve({ nodes: gatedRegistry });
      const clientId = randomUUID();
      const first = await clientFor(url, { clientId }).submit(gatedPrompt('taken-back'));
      const resumed = await clientFor(url, { clientId }).resume(first.promptId, gatedPrompt('taken-back'));
      assert.equal(resumed.kind, 'following');
      assert.ok(resumed.kind === 'following' && resumed.confirmed);
      gates.open('taken-back');
      await resumed.run.result;
    });

    it('follows nothing when the server does not know the prompt', async () => {
      const { url } = await serve({ nodes: gatedRegistry });
      assert.deepEqual(await clientFor(url).resume(randomUUID(), quickPrompt('never')), { kind: 'unknown' });
    });
  });
});
