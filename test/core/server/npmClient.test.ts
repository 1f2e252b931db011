/**
 * "Any ComfyUI client library from npm works against serve unchanged": @stable-canvas/comfyui-client, a
 * small (one dependency), maintained client for Node and browsers, used as its README shows, against the
 * server. It is a devDependency.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { loadWorkflow } from '../../fakes/replayTranscript';
import { closeServed, serve } from './serverHarness';

/** The part of the library this test uses (its classes are `Client`, formerly `ComfyUIApiClient`). */
interface LibraryClient {
  connect?(): unknown;
  init?(): unknown;
  on(type: string, listener: (data: Record<string, unknown>) => void): unknown;
  queuePrompt(index: number, body: { prompt: unknown; workflow: unknown }): Promise<{ prompt_id: string }>;
  getSystemStats(): Promise<{ system: { comfyui_version: string } }>;
  close(): void;
}
type LibraryClientClass = new (config: Record<string, unknown>) => LibraryClient;

const packageName = '@stable-canvas/comfyui-client';

async function loadLibrary(): Promise<LibraryClientClass> {
  const mod = (await import(packageName)) as Record<string, unknown>;
  return (mod.Client ?? mod.ComfyUIApiClient) as LibraryClientClass;
}

describe(`${packageName} against the server`, function () {
  this.timeout(30_000);
  let Library: LibraryClientClass;
  before(async () => {
    Library = await loadLibrary();
  });
  afterEach(closeServed);

  it('queues a workflow, receives its events on the socket and reads the server’s stats', async () => {
    const { server } = await serve();
    const client = new Library({
      api_host: `127.0.0.1:${server.port}`,
      clientId: randomUUID(),
      WebSocket,
      fetch: globalThis.fetch.bind(globalThis),
    });
    try {
      const executed: Record<string, unknown>[] = [];
      client.on('executed', (data) => executed.push(data));
      const succeeded = new Promise<Record<string, unknown>>((done) => client.on('execution_success', done));
      (client.connect ?? client.init)!.call(client);
      await new Promise<void>((done) => client.on('status', () => done()));
      const { prompt_id } = await client.queuePrompt(0, { prompt: loadWorkflow('01_invert'), workflow: {} });
      assert.equal((await succeeded).prompt_id, prompt_id);
      assert.deepEqual(
        executed.map((e) => e.node),
        ['3'],
      );
      assert.match((await client.getSystemStats()).system.comfyui_version, /embedded engine/);
    } finally {
      client.close();
    }
  });
});
