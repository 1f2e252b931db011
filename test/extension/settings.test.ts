import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultDownloadLimits } from '../../src/core/comfy/downloadLimits';
import { sharedFakeVscode } from '../fakes/fakeVscode';

const { record } = sharedFakeVscode();
type Settings = typeof import('../../src/extension/settings');

/** SecretStorage over a map. */
function secretsOf(entries: Record<string, string>) {
  const map = new Map(Object.entries(entries));
  return { get: (k: string) => Promise.resolve(map.get(k)) } as never;
}
let settings: Settings;

/** The manifest's setting sections. */
function sections(): {
  title: string;
  properties: Record<string, { default?: unknown; maximum?: number }>;
}[] {
  const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
    contributes: {
      configuration: { title: string; properties: Record<string, { default?: unknown; maximum?: number }> }[];
    };
  };
  return manifest.contributes.configuration;
}

describe('the extension’s settings', () => {
  before(async () => {
    settings = await import('../../src/extension/settings');
  });
  afterEach(() => record.settings.clear());

  it('default to no servers, no cap, comfy-runs/, no automatic retry and one prompt at a time on the engine', () => {
    assert.deepEqual(settings.readRunnerConfig(), {
      servers: [],
      maxConcurrentJobs: 0,
      outputFolder: 'comfy-runs',
      retryUnaccepted: false,
      downloads: {},
      engineSlots: 1,
    });
  });

  it('read engine slots above the most the engine is started with as that most, which the manifest shows', () => {
    record.settings.set('engine.slots', 999);
    assert.equal(settings.readRunnerConfig().engineSlots, settings.MAX_ENGINE_SLOTS);
    const servers = sections().find((sec) => `${settings.SECTION}.engine.slots` in sec.properties)!;
    assert.equal(servers.properties[`${settings.SECTION}.engine.slots`]!.maximum, settings.MAX_ENGINE_SLOTS);
  });

  it('read the engine’s slots as set, and as 1 when the value is not a whole number from 1', () => {
    record.settings.set('engine.slots', 3);
    assert.equal(settings.readRunnerConfig().engineSlots, 3);
    for (const bad of [0, -2, 1.5, 'two']) {
      record.settings.set('engine.slots', bad);
      assert.equal(settings.readRunnerConfig().engineSlots, 1, String(bad));
    }
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

  it('maps the download settings onto the runner’s limits in milliseconds and bytes', () => {
    record.settings.set('outputs.downloadStallTimeoutSeconds', 12.5);
    record.settings.set('outputs.downloadDeadlineSeconds', 900);
    record.settings.set('outputs.maxFileMegabytes', 4096);
    assert.deepEqual(settings.readRunnerConfig().downloads, {
      stallTimeoutMs: 12_500,
      deadlineMs: 900_000,
      maxBytes: 4096 * 1024 * 1024,
    });
  });

  it('leaves a download limit that is unset, zero or not a number to its default', () => {
    record.settings.set('outputs.downloadStallTimeoutSeconds', 0);
    record.settings.set('outputs.downloadDeadlineSeconds', 'soon');
    assert.deepEqual(settings.readRunnerConfig().downloads, {});
  });

  it('contributes every download setting it reads, in the Outputs section', () => {
    const outputs = sections().find((s) => s.title === 'Outputs')!;
    for (const key of settings.DOWNLOAD_SETTINGS)
      assert.ok(`${settings.SECTION}.${key}` in outputs.properties, key);
  });

  it('shows as defaults the limits the runner has when nothing is set', () => {
    const defaults = Object.fromEntries(
      settings.DOWNLOAD_SETTINGS.map((key) => {
        const property = sections().find((s) => `${settings.SECTION}.${key}` in s.properties)!;
        return [key, property.properties[`${settings.SECTION}.${key}`]!.default];
      }),
    );
    assert.deepEqual(defaults, {
      'outputs.downloadStallTimeoutSeconds': defaultDownloadLimits.stallTimeoutMs / 1000,
      'outputs.downloadDeadlineSeconds': defaultDownloadLimits.deadlineMs / 1000,
      'outputs.maxFileMegabytes': defaultDownloadLimits.maxBytes / (1024 * 1024),
    });
  });
});
