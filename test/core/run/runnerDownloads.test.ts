import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openRunner, type Runner, type RunnerOptions } from '../../../src/core/run/runner';
import { startFaultProxy, type FaultProxy } from '../../fakes/faultProxy';
import { workflowsDir } from '../../fakes/fixturePaths';
import { flood } from '../../fakes/hostileServer';
import { startTestServer, type TestServer } from '../../fakes/serveTestServer';
import { tempDir } from '../../fakes/tempDirs';

const examples = resolve(__dirname, '../../../examples');
const invert = resolve(workflowsDir, '01_invert.json');

describe('the runner’s limits on downloads from a server', function () {
  this.timeout(30_000);
  let dir: string;
  let runner: Runner | undefined;
  let server: TestServer | undefined;
  let proxy: FaultProxy | undefined;

  beforeEach(() => {
    dir = tempDir('comfy-runner-downloads-');
  });

  afterEach(async () => {
    await runner?.close();
    await proxy?.close();
    await server?.close();
    runner = server = proxy = undefined;
  });

  /** A runner over a server whose `/view` sends 3 MiB for every file. */
  async function overFloodingServer(options: Partial<RunnerOptions>): Promise<Runner> {
    server = await startTestServer();
    proxy = await startFaultProxy(server.url);
    proxy.answer('/view', (_req, res) => flood(res, 3));
    runner = await openRunner({
      storeDir: join(dir, '.store'),
      unfinished: 'refuse',
      servers: [proxy.url],
      out: dir,
      inputDir: join(examples, 'input'),
      store: { pollMs: 50, heartbeatMs: 0 },
      ...options,
    });
    return runner;
  }

  it('fails a job whose output is over the size cap with too_large and keeps no output in its folder', async () => {
    const r = await overFloodingServer({ downloads: { maxBytes: 1 << 20 } });
    const [job] = await r.submit({ workflows: [{ file: invert }] });
    await r.idle();
    const ended = r.snapshot().jobs.find((j) => j.job.id === job!.id)!.job;
    assert.equal(ended.state, 'failed');
    assert.equal(ended.error?.reason, 'too_large');
    assert.deepEqual(readdirSync(ended.outDir), ['run.json']);
  });

  it('keeps the limits it was given in runner.json, for a resumed run', async () => {
    await overFloodingServer({ downloads: { maxBytes: 1 << 20, stallTimeoutMs: 5_000 } });
    const kept = JSON.parse(readFileSync(join(dir, '.store', 'runner.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(kept.downloads, { maxBytes: 1 << 20, stallTimeoutMs: 5_000 });
  });

  it('on resume keeps the limits of the run it resumes, each one not given again', async () => {
    await (await overFloodingServer({ downloads: { maxBytes: 1 << 20 } })).close();
    runner = await openRunner({
      storeDir: join(dir, '.store'),
      unfinished: 'resume',
      downloads: { stallTimeoutMs: 5_000 },
      store: { pollMs: 50, heartbeatMs: 0 },
    });
    const kept = JSON.parse(readFileSync(join(dir, '.store', 'runner.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(kept.downloads, { maxBytes: 1 << 20, stallTimeoutMs: 5_000 });
  });
});
