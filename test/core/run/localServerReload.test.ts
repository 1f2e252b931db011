/**
 * A front end reloading mid-run, as a VS Code window does: its runner closes while a job runs on the local
 * server (a `comfy-runner serve` child, which stays up), and a new runner on the same store takes the job
 * back by prompt id and collects its outputs. The slow job is built-in nodes only (a spawned `serve` has
 * no test nodes): a blur over a 1024 x 1024 image, seconds of work.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from '../../../src/core/jobs/job';
import { ensureLocalServer, localServerSettings, type LocalServer } from '../../../src/core/run/localServer';
import { processExists } from '../../../src/core/store/ownerLock';
import { openRunner, type Runner } from '../../../src/core/run/runner';
import { localServerRig } from './localServerKit';

/** EmptyImage -> ImageBlur (radius 8, tap by tap) -> SaveImage. */
const slowPrompt = JSON.stringify({
  '1': { class_type: 'EmptyImage', inputs: { width: 1024, height: 1024, batch_size: 1, color: 1234567 } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 8, sigma: 1 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'slow' } },
});

/** The text of every file under `dir`, run together. */
function textUnder(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

/** Resolves with the job once it is running on its server. */
function runningJob(runner: Runner, id: string): Promise<Job> {
  return new Promise((done) => {
    const off = runner.subscribe((e) => {
      if (e.type === 'job/state' && e.jobId === id && e.to === 'running') {
        off();
        done(e.job);
      }
    });
  });
}

/** The prompt ids the server runs now, asked with its token. */
async function runningOn(server: LocalServer): Promise<string[]> {
  const res = await fetch(`${server.url}/queue`, { headers: { Authorization: `Bearer ${server.token}` } });
  const queue = (await res.json()) as { queue_running: [number, string][] };
  return queue.queue_running.map((item) => item[1]);
}

describe('a front end reloading while a job runs on its local server', function () {
  this.timeout(120_000);
  let rig: ReturnType<typeof localServerRig>;
  const open: Runner[] = [];

  beforeEach(() => {
    rig = localServerRig();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    await rig.cleanUp();
  });

  async function runner(server: LocalServer, unfinished: 'refuse' | 'resume'): Promise<Runner> {
    const r = await openRunner({
      storeDir: join(rig.root, 'runs', '.store'),
      unfinished,
      servers: [localServerSettings(server)],
      out: join(rig.root, 'runs'),
      inputDir: join(rig.root, 'input'),
      store: { pollMs: 50, heartbeatMs: 0 },
      onNoTarget: 'fail',
    });
    open.push(r);
    return r;
  }

  /** Submits the slow job and closes the runner once it runs; the job's id and prompt id. */
  async function startAndReload(server: LocalServer): Promise<Job> {
    const first = await runner(server, 'refuse');
    const [job] = await first.submit({ workflows: [{ file: 'slow.json', content: slowPrompt }] });
    const running = await runningJob(first, job.id);
    await first.close();
    open.splice(open.indexOf(first), 1);
    return running;
  }

  it('takes the job back by prompt id after the reload and collects its outputs into its run folder', async () => {
    const server = await ensureLocalServer(rig.options);
    rig.track(server.pid);
    const job = await startAndReload(server);
    assert.ok(job.promptId);
    assert.deepEqual(await runningOn(server), [job.promptId], 'still running with no runner attached');

    const again = await ensureLocalServer(rig.options);
    assert.deepEqual([again.started, again.url, again.pid], [false, server.url, server.pid]);
    const second = await runner(again, 'resume');
    assert.deepEqual(second.restored.reattached, [job.id]);
    await second.idle();

    const done = second.job(job.id)!;
    assert.equal(done.state, 'succeeded', done.error?.message);
    assert.equal(done.server, server.url);
    assert.equal(done.outputs.length, 1);
    const bytes = readFileSync(join(done.outDir, done.outputs[0].path));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), done.outputs[0].sha256);
    assert.ok(existsSync(join(done.outDir, 'run.json')));
    assert.ok(!textUnder(join(rig.root, 'runs')).includes(server.token), 'the token is nowhere in the store');
  });

  it('ends the job lost when the server died meanwhile and a new one took its place', async () => {
    const server = await ensureLocalServer(rig.options);
    rig.track(server.pid);
    const job = await startAndReload(server);
    process.kill(server.pid, 'SIGKILL');
    while (processExists(server.pid)) await new Promise((r) => setTimeout(r, 20));
    const replaced = await ensureLocalServer(rig.options);
    rig.track(replaced.pid);
    assert.equal(replaced.started, true);
    const second = await runner(replaced, 'resume');
    assert.deepEqual(second.restored.lost, [job.id]);
    assert.equal(second.job(job.id)!.state, 'lost');
  });

  it('finishes a job it was left with and only then exits by itself', async () => {
    // Long enough for the runner to attach after the server answered the launcher.
    const server = await ensureLocalServer({ ...rig.options, idleExitSeconds: 2 });
    rig.track(server.pid);
    const job = await startAndReload(server);
    while (processExists(server.pid)) await new Promise((r) => setTimeout(r, 50));
    const saved = readdirSync(rig.options.outputDir);
    assert.deepEqual(saved, ['slow_00001_.png'], `job ${job.id} ran to its end before the server exited`);
  });
});
