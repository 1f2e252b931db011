import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openRunner, type Runner } from '../../../src/core/run/runner';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { workflowsDir } from '../../fakes/fixturePaths';
import { startTestServer, type TestServer } from '../../fakes/serveTestServer';
import { tempDir } from '../../fakes/tempDirs';

const invert = resolve(workflowsDir, '01_invert.json');
const sampler = JSON.stringify({ '1': { class_type: 'KSampler', inputs: {} } });

describe('what the runner tells a server list', function () {
  this.timeout(30_000);
  let dir: string;
  let runner: Runner | undefined;
  let server: TestServer | undefined;

  async function open(servers: string[] = ['embedded']): Promise<Runner> {
    runner = await openRunner({
      storeDir: join(dir, '.store'),
      unfinished: 'refuse',
      servers,
      out: dir,
      inputDir: resolve(__dirname, '../../../examples/input'),
      store: { pollMs: 50, heartbeatMs: 0 },
      paused: true,
    });
    return runner;
  }

  beforeEach(() => {
    dir = tempDir('comfy-runner-servers-');
  });

  afterEach(async () => {
    await runner?.close();
    await server?.close();
    runner = server = undefined;
  });

  it('gives the engine’s memory as its one device, and a server’s /system_stats', async () => {
    server = await startTestServer();
    const r = await open(['embedded', server.url]);
    const engine = await r.serverStats('embedded');
    assert.equal(engine.version, 'embedded');
    assert.deepEqual(
      engine.devices.map((d) => d.type),
      ['cpu'],
    );
    assert.ok(engine.devices[0].vramFree! > 0 && engine.devices[0].vramFree! <= engine.devices[0].vramTotal!);
    const name = r.snapshot().targets[1].name;
    const remote = await r.serverStats(name);
    assert.match(remote.version ?? '', /\S/);
    assert.equal(remote.devices[0].name, 'cpu');
    assert.ok(typeof remote.ramFree === 'number');
  });

  it('refuses the stats of a server not in the pool', async () => {
    const r = await open();
    await assert.rejects(r.serverStats('gpu-9'), (e: unknown) => isRunnerError(e, 'bad_input'));
  });

  it('says why each server cannot run a workflow, and queues nothing', async () => {
    const r = await open();
    const verdicts = await r.whyNot({ file: 'sampler.json', content: sampler });
    assert.equal(verdicts.length, 1);
    assert.equal(verdicts[0].server, 'embedded');
    assert.equal(verdicts[0].verdict, 'incapable');
    assert.ok(
      verdicts[0].reasons.some((x) => x.includes('KSampler')),
      verdicts[0].reasons.join(),
    );
    assert.deepEqual(await r.whyNot({ file: invert, content: readFileSync(invert, 'utf8') }), [
      { server: 'embedded', verdict: 'capable', reasons: [] },
    ]);
    assert.deepEqual(r.snapshot().jobs, []);
  });

  it('refuses text that is not a workflow as bad input', async () => {
    const r = await open();
    await assert.rejects(r.whyNot({ file: 'notes.json', content: '{"hello": 1}' }), (e: unknown) =>
      isRunnerError(e, 'bad_input'),
    );
  });
});
