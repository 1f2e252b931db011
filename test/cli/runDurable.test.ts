import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Override } from '../../src/core/workflow/overrides';
import { leaveBehind, storedJob, tempDir, testStore } from '../core/durable/durableKit';
import { quickPrompt } from '../core/server/gateNodes';
import { closeServed, serve } from '../core/server/serverHarness';
import { runCli } from './cliHarness';
import { workflowsDir } from '../fakes/fixturePaths';

const invert = resolve(workflowsDir, '01_invert.json');

interface Listing {
  jobs: { id: string; state: string; server: string; outputs: string[]; overrides: Override[] }[];
}

async function listing(store: string): Promise<Listing> {
  const run = await runCli(['jobs', 'list', '--store', store, '--json']);
  assert.equal(run.code, 0, run.err.join('\n'));
  return JSON.parse(run.out[0]) as Listing;
}

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, text: readFileSync(path, 'utf8') }];
  });
}

describe('comfy-runner run with a job store', function () {
  this.timeout(30_000);
  afterEach(() => closeServed());

  it('makes one job per sweep combination, each recording its overrides', async () => {
    const out = tempDir('run-sweep-');
    const run = await runCli([
      'run',
      invert,
      '--set',
      '1.height=8',
      '--sweep',
      '1.width=8,16,32',
      '--sweep',
      '"Save Image".filename_prefix=a,b',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    const { jobs } = await listing(join(out, '.store'));
    assert.equal(jobs.length, 6);
    const combos = jobs.map((j) =>
      j.overrides.map((o) => `${o.node}.${o.input}=${String(o.value)}`).join(' '),
    );
    assert.deepEqual(combos.sort(), [
      '1.height=8 1.width=16 Save Image.filename_prefix=a',
      '1.height=8 1.width=16 Save Image.filename_prefix=b',
      '1.height=8 1.width=32 Save Image.filename_prefix=a',
      '1.height=8 1.width=32 Save Image.filename_prefix=b',
      '1.height=8 1.width=8 Save Image.filename_prefix=a',
      '1.height=8 1.width=8 Save Image.filename_prefix=b',
    ]);
    for (const j of jobs) {
      assert.equal(j.state, 'succeeded');
      const prefix = j.overrides.find((o) => o.input === 'filename_prefix')!.value as string;
      assert.match(j.outputs[0], new RegExp(`/${prefix}_\\d{5}_\\.png$`));
    }
  });

  it('exits 3 naming each server that cannot be reached, and why', async () => {
    const run = await runCli([
      'run',
      invert,
      '--server',
      'embedded',
      '--server',
      'http://127.0.0.1:9',
      '--out',
      tempDir('run-3-'),
    ]);
    assert.equal(run.code, 3);
    assert.match(run.err.join('\n'), /http:\/\/127\.0\.0\.1:9: Cannot reach .*ECONNREFUSED/);
  });

  it('exits 3 with the reasons of every server when none can run a workflow', async () => {
    const { url } = await serve();
    const flow = join(tempDir('run-wf-'), 'delay.json');
    writeFileSync(flow, JSON.stringify(quickPrompt('x')));
    const run = await runCli([
      'run',
      flow,
      '--server',
      'embedded',
      '--server',
      url,
      '--out',
      tempDir('run-3-'),
    ]);
    assert.equal(run.code, 3);
    const text = run.err.join('\n');
    assert.match(text, /embedded: no node class TestCounter, no node class TestSource/);
    assert.match(text, new RegExp(`${url}: no node class TestCounter, no node class TestSource`));
  });

  it('keeps its jobs in --store, naming servers without their credentials', async () => {
    const { url } = await serve();
    const store = join(tempDir('run-store-'), 'jobs');
    const withSecret = url.replace('http://', 'http://someone:s3cret-word@');
    const run = await runCli([
      'run',
      invert,
      '--server',
      withSecret,
      '--store',
      store,
      '--out',
      tempDir('run-out-'),
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    const [job] = (await listing(store)).jobs;
    assert.deepEqual([job.state, job.server], ['succeeded', url]);
    const settings = JSON.parse(readFileSync(join(store, 'runner.json'), 'utf8')) as { servers: string[] };
    assert.deepEqual(settings.servers, [url]);
    assert.deepEqual(
      filesUnder(store).filter((f) => f.text.includes('s3cret')),
      [],
    );
  });

  it('refuses a store that has unfinished jobs of a run that stopped, or that another process runs', async () => {
    const out = tempDir('run-left-');
    await leaveBehind(join(out, '.store'), [storedJob(quickPrompt('left'))]);
    const run = await runCli(['run', invert, '--out', out]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /1 unfinished job\(s\).*jobs resume --store/);

    const busy = tempDir('run-busy-');
    const owner = await testStore(join(busy, '.store'));
    await owner.acquire();
    try {
      const refused = await runCli(['run', invert, '--out', busy]);
      assert.equal(refused.code, 2);
      assert.match(refused.err.join('\n'), new RegExp(`in use by process ${process.pid}`));
      assert.equal(existsSync(join(busy, '.store', 'runner.json')), false);
    } finally {
      await owner.close();
    }
  });
});
