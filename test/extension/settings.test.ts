import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultDownloadLimits } from '../../src/core/comfy/downloadLimits';
import { sharedFakeVscode } from '../fakes/fakeVscode';

const { record } = sharedFakeVscode();
type Settings = typeof import('../../src/extension/settings');
let settings: Settings;

/** The manifest's setting sections. */
function sections(): { title: string; properties: Record<string, { default?: unknown }> }[] {
  const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
    contributes: { configuration: { title: string; properties: Record<string, { default?: unknown }> }[] };
  };
  return manifest.contributes.configuration;
}

describe('the extension’s settings', () => {
  before(async () => {
    settings = await import('../../src/extension/settings');
  });
  afterEach(() => record.settings.clear());

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
