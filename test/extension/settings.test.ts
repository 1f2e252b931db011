import assert from 'node:assert/strict';
import { sharedFakeVscode } from '../fakes/fakeVscode';

const { record } = sharedFakeVscode();
type Settings = typeof import('../../src/extension/settings');

/** SecretStorage over a map. */
function secretsOf(entries: Record<string, string>) {
  const map = new Map(Object.entries(entries));
  return { get: (k: string) => Promise.resolve(map.get(k)) } as never;
}

describe('the settings the runner opens with', () => {
  let settings: Settings;
  before(async () => {
    settings = await import('../../src/extension/settings');
  });
  afterEach(() => record.settings.clear());

  it('default to no servers, no cap, comfy-runs/ and no automatic retry', () => {
    assert.deepEqual(settings.readRunnerConfig(), {
      servers: [],
      maxConcurrentJobs: 0,
      outputFolder: 'comfy-runs',
      retryUnaccepted: false,
    });
  });

  it('leave out server entries without a URL, and read an empty outputs folder as comfy-runs', () => {
    record.settings.set('servers', [{ url: '' }, { name: 'no url' }, { url: 'http://gpu:8188', slots: 2 }]);
    record.settings.set('outputs.folder', '');
    const config = settings.readRunnerConfig();
    assert.deepEqual(config.servers, [{ url: 'http://gpu:8188', slots: 2 }]);
    assert.equal(config.outputFolder, 'comfy-runs');
  });

  it('give each server the credentials kept in secret storage under its URL, and only those', async () => {
    const key = settings.credentialsKey('http://gpu:8188');
    record.settings.set('servers', [{ url: 'http://gpu:8188/' }, { url: 'http://other:8188' }]);
    const servers = await settings.serverSettings(
      settings.readRunnerConfig(),
      secretsOf({ [key]: JSON.stringify({ bearerToken: 'tok' }) }),
    );
    assert.deepEqual(
      servers.map((s) => s.credentials),
      [{ bearerToken: 'tok' }, undefined],
    );
  });

  it('map name, slots, tags, enabled and headers of a server onto the pool entry', async () => {
    const entry = {
      name: 'box',
      url: 'http://gpu:8188',
      slots: 3,
      tags: ['xl'],
      enabled: false,
      headers: { A: 'b' },
    };
    record.settings.set('servers', [entry]);
    const [server] = await settings.serverSettings(settings.readRunnerConfig(), secretsOf({}));
    assert.deepEqual(
      {
        name: server.name,
        url: server.url,
        slots: server.slots,
        tags: server.tags,
        enabled: server.enabled,
        headers: server.headers,
      },
      entry,
    );
  });

  it('opt every configured server into sending an unaccepted submission again, three submissions in all', async () => {
    record.settings.set('servers', [{ url: 'http://gpu:8188' }]);
    const off = await settings.serverSettings(settings.readRunnerConfig(), secretsOf({}));
    record.settings.set('scheduler.retryUnaccepted', true);
    const on = await settings.serverSettings(settings.readRunnerConfig(), secretsOf({}));
    assert.equal(off[0].autoRetry, undefined);
    assert.deepEqual(on[0].autoRetry, { maxAttempts: 3 });
  });
});
