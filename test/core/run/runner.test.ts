import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openRunner, type Runner, type RunnerOptions } from '../../../src/core/run/runner';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { startTestServer, type TestServer } from '../../fakes/serveTestServer';
import { workflowsDir } from '../../fakes/fixturePaths';
import { tempDir } from '../../fakes/tempDirs';

const examples = resolve(__dirname, '../../../examples');
const invert = resolve(workflowsDir, '01_invert.json');

/** The names and text of every file under `dir`, run together. */
function textUnder(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${e.name}\n${readFileSync(join(e.parentPath, e.name), 'latin1')}`)
    .join('\n');
}

/** The example editor workflow with a stray link, which the conversion warns about and ignores. */
function posterWithStrayLink(): string {
  const w = JSON.parse(readFileSync(join(examples, 'editor/poster.json'), 'utf8')) as { links: unknown[] };
  w.links.push([99, 1, 0, 7, 0, 'INT']);
  return JSON.stringify(w);
}

describe('the runner every front end stands on', function () {
  this.timeout(30_000);
  let dir: string;
  const open: Runner[] = [];
  const servers: TestServer[] = [];

  async function runner(options: Partial<RunnerOptions> = {}): Promise<Runner> {
    const r = await openRunner({
      storeDir: join(dir, '.store'),
      unfinished: 'refuse',
      out: dir,
      inputDir: join(examples, 'input'),
      store: { pollMs: 50, heartbeatMs: 0 },
      ...options,
    });
    open.push(r);
    return r;
  }

  beforeEach(() => {
    dir = tempDir('comfy-runner-');
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('runs the content it is given instead of the file on disk', async () => {
    const r = await runner();
    const missing = join(dir, 'unsaved.json');
    const [job] = await r.submit({ workflows: [{ file: missing, content: readFileSync(invert, 'utf8') }] });
    await r.idle();
    const done = r.job(job.id)!;
    assert.equal(done.state, 'succeeded', done.error?.message);
    const bytes = readFileSync(join(done.outDir, done.outputs[0].path));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), done.outputs[0].sha256);
  });

  it('carries the conversion warnings on the job and into its run.json', async () => {
    const r = await runner();
    const [job] = await r.submit({ workflows: [{ file: 'poster.json', content: posterWithStrayLink() }] });
    await r.idle();
    const expected = 'Link 99 to node 7 is not listed on any of its inputs and is ignored.';
    assert.deepEqual(r.job(job.id)!.warnings, [expected]);
    const record = JSON.parse(readFileSync(join(job.outDir, 'run.json'), 'utf8')) as { warnings: string[] };
    assert.deepEqual(record.warnings, [expected]);
  });

  it('refuses a workflow no server can run, with each server’s reason, and queues nothing', async () => {
    const r = await runner();
    const prompt = { '1': { class_type: 'KSampler', inputs: {} } };
    await assert.rejects(
      r.submit({ workflows: [{ file: 'sampler.json', content: JSON.stringify(prompt) }] }),
      (e: unknown) => isRunnerError(e, 'no_capable_server') && /embedded: .*KSampler/.test(e.message),
    );
    assert.deepEqual(r.snapshot().jobs, []);
  });

  it('refuses an invalid workflow naming the node and input at fault, and queues nothing', async () => {
    const r = await runner();
    const prompt = JSON.parse(readFileSync(invert, 'utf8')) as Record<string, { inputs: object }>;
    prompt['1'].inputs = { ...prompt['1'].inputs, width: -5 };
    await assert.rejects(
      r.submit({ workflows: [{ file: 'bad.json', content: JSON.stringify(prompt) }] }),
      (e: unknown) => isRunnerError(e, 'bad_input') && /bad\.json.*node 1.*width/s.test(e.message),
    );
    assert.deepEqual(r.snapshot().jobs, []);
  });

  it('refuses a store with unfinished jobs when asked to, saying how to resume them', async () => {
    const first = await runner({ paused: true });
    await first.submit({ workflows: [{ file: invert }] });
    await first.close();
    await assert.rejects(
      runner(),
      (e: unknown) => isRunnerError(e, 'bad_input') && /jobs resume/.test(e.message),
    );
  });

  it('takes a store’s queued jobs back when resuming and runs them', async () => {
    const first = await runner({ paused: true });
    const [job] = await first.submit({ workflows: [{ file: invert }] });
    await first.close();
    const second = await runner({ unfinished: 'resume', out: undefined, inputDir: undefined });
    assert.deepEqual(second.restored.queued, [job.id]);
    await second.idle();
    assert.equal(second.job(job.id)!.state, 'succeeded');
  });

  it('gives the embedded engine the slots it was opened with, and the same ones again on resume', async () => {
    const slotsOfEngine = (r: Runner) => r.snapshot().targets.find((t) => t.name === 'embedded')?.slots;
    const first = await runner({ engineSlots: 3 });
    assert.equal(slotsOfEngine(first), 3);
    await first.close();
    open.splice(open.indexOf(first), 1);
    const resumed = await runner({ unfinished: 'resume' });
    assert.equal(slotsOfEngine(resumed), 3);
  });

  it('gives a snapshot that is plain JSON', async () => {
    const r = await runner();
    // The fixture has no seed, so its two runs are identical and have to be allowed.
    await r.submit({ workflows: [{ file: invert }], runs: 2, allowIdentical: true });
    await r.idle();
    const snapshot = r.snapshot();
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
    assert.deepEqual(
      snapshot.jobs.map((j) => j.job.state),
      ['succeeded', 'succeeded'],
    );
  });

  it('never writes a server’s credentials into the store', async () => {
    const server = await startTestServer();
    servers.push(server);
    const url = new URL(server.url);
    url.username = 'alice';
    url.password = 's3cret-pw';
    const r = await runner({
      servers: [{ url: url.href, credentials: { bearerToken: 'tok-123456' } }],
    });
    await r.submit({ workflows: [{ file: invert }] });
    await r.idle();
    await r.close();
    // Every file the run left: the store's job files and runner.json, the run folders and their run.json.
    const written = textUnder(dir);
    assert.ok(written.includes('runner.json') && written.includes('run.json'));
    for (const secret of ['alice', 's3cret-pw', 'tok-123456'])
      assert.equal(written.includes(secret), false, secret);
  });
});
