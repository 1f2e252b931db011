import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Job } from '../../src/core/jobs/job';
import type { JobSummary } from '../../src/cli/progressView';
import { history, tempDir } from '../core/durable/durableKit';
import { closeServed, serve } from '../core/server/serverHarness';
import { apiNode, testRecorder, testRegistry } from '../fakes/testNodes';
import { runCli } from './cliHarness';

const mainScript = resolve(__dirname, '../../src/cli/main.ts');
const VALUES = [1, 2, 3, 4, 5, 6];

/** A workflow of fixed length: TestSource(value) -> TestDelay(ms) -> TestCounter, which writes one file. */
function delayWorkflow(ms: number): string {
  const file = join(tempDir('killed-wf-'), 'delay.json');
  const prompt = {
    '1': apiNode('TestSource', { value: 0 }),
    '2': apiNode('TestDelay', { ms, input: ['1', 0] }),
    '3': apiNode('TestCounter', { tag: 'killed', input: ['2', 0] }),
  };
  writeFileSync(file, JSON.stringify(prompt));
  return file;
}

/** Resolves once the child prints a JSON line that satisfies `when`; rejects if it exits first. */
function lineFrom(child: ChildProcess, when: (line: Record<string, unknown>) => boolean): Promise<void> {
  return new Promise((done, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      if (when(JSON.parse(text) as Record<string, unknown>)) done();
    });
    child.once('exit', (code) => fail(new Error(`the run exited with ${code} before that line`)));
  });
}

/**
 * An embedded workflow that saves a small image at once and, two wide blurs of a 2048² image later
 * (some three seconds on these machines, well past the second a running record may wait before it is
 * written), a second one, so that a run stopped between the two leaves half of its outputs behind.
 */
function twoSavesWorkflow(): string {
  const file = join(tempDir('killed-wf-'), 'two-saves.json');
  const prompt = {
    '1': apiNode('EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0 }),
    '2': apiNode('SaveImage', { images: ['1', 0], filename_prefix: 'first' }),
    '3': apiNode('EmptyImage', { width: 2048, height: 2048, batch_size: 1, color: 0 }),
    // Radius 8 is the widest blur computed tap by tap (17 x 17 per pixel): some seconds for four.
    '4': apiNode('ImageBlur', { image: ['3', 0], blur_radius: 8, sigma: 10 }),
    '5': apiNode('ImageBlur', { image: ['4', 0], blur_radius: 8, sigma: 10 }),
    '8': apiNode('ImageBlur', { image: ['5', 0], blur_radius: 8, sigma: 10 }),
    '9': apiNode('ImageBlur', { image: ['8', 0], blur_radius: 8, sigma: 10 }),
    '6': apiNode('ImageScale', {
      image: ['9', 0],
      upscale_method: 'nearest-exact',
      width: 64,
      height: 64,
      crop: 'disabled',
    }),
    '7': apiNode('SaveImage', { images: ['6', 0], filename_prefix: 'last' }),
  };
  writeFileSync(file, JSON.stringify(prompt));
  return file;
}

/** A `--json` line saying a job started running. */
const startedRunning = (l: Record<string, unknown>) =>
  l.type === 'job_state' && (l.data as { to?: string }).to === 'running';

/** Starts `comfy-runner run` as a child process; resolves once it prints a line `until` accepts. */
async function runningChild(
  args: string[],
  until = startedRunning,
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await lineFrom(child, until);
  return { child, exited };
}

/** The jobs of the store in `store`, as `jobs list --json` prints them. */
async function listed(store: string): Promise<JobSummary[]> {
  const list = await runCli(['jobs', 'list', '--store', store, '--json']);
  return (JSON.parse(list.out[0]) as { jobs: JobSummary[] }).jobs;
}

describe('comfy-runner run stopped mid-run', function () {
  this.timeout(60_000);
  afterEach(() => closeServed());

  it('killed, is finished by jobs resume: every job with every output, none run twice', async () => {
    testRecorder.reset();
    const servers = [await serve({ nodes: testRegistry }), await serve({ nodes: testRegistry })];
    const out = tempDir('killed-out-');
    const store = join(out, 'jobs');
    const args = ['run', delayWorkflow(400), '--sweep', `1.value=${VALUES.join(',')}`];
    for (const s of servers) args.push('--server', s.url);
    args.push('--out', out, '--store', store, '--json');
    const { child, exited } = await runningChild(args);
    child.kill('SIGKILL');
    await exited;

    const left = JSON.parse((await runCli(['jobs', 'list', '--store', store, '--json'])).out[0]) as {
      jobs: Pick<Job, 'state'>[];
    };
    // The record of the job that started may not have been written yet: it can still say dispatching.
    const onServers = left.jobs.filter((j) => j.state === 'running' || j.state === 'dispatching');
    assert.ok(onServers.length > 0, 'killed while jobs were on the servers');
    assert.ok(
      left.jobs.some((j) => j.state === 'queued'),
      'killed while jobs were queued',
    );

    const resumed = await runCli(['jobs', 'resume', '--store', store, '--json']);
    assert.equal(resumed.code, 0, resumed.err.join('\n'));

    const list = await runCli(['jobs', 'list', '--store', store, '--json']);
    const { jobs } = JSON.parse(list.out[0]) as {
      jobs: (Pick<Job, 'id' | 'state' | 'overrides'> & { outputs: string[] })[];
    };
    assert.equal(jobs.length, VALUES.length);
    for (const job of jobs) {
      assert.equal(job.state, 'succeeded', JSON.stringify(job));
      assert.equal(job.outputs.length, 1);
      assert.ok(existsSync(job.outputs[0]), job.outputs[0]);
    }
    const ran = (await Promise.all(servers.map((s) => history(s.url)))).flat();
    const values = ran.map((r) => r.prompt['1'].inputs.value as number).sort((a, b) => a - b);
    assert.deepEqual(values, VALUES, 'each job ran exactly once over both servers');
    assert.equal(testRecorder.counts.get('killed'), VALUES.length);
  });

  it('killed on the embedded engine, runs the job cut short again in a clean folder and says so', async () => {
    const out = tempDir('killed-embedded-');
    const store = join(out, 'jobs');
    const args = ['run', twoSavesWorkflow(), '--sweep', '1.color=1,2,3', '--out', out, '--store', store];
    // Stopped once the first job saved its first image, while it blurs the second.
    const savedFirst = (l: Record<string, unknown>) =>
      l.type === 'executed' && (l.data as { node?: string }).node === '2';
    const { child, exited } = await runningChild([...args, '--json'], savedFirst);
    // Its record says running once the store has it; the blurs take some seconds more.
    let running: JobSummary | undefined;
    let ended = false;
    void exited.then(() => (ended = true));
    while (!(running = (await listed(store)).find((j) => j.state === 'running'))) {
      assert.ok(!ended, 'the run ended before its store said a job was running');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const cutFolder = readdirSync(out).find((f) => f.endsWith(running!.id.slice(0, 8)))!;
    assert.deepEqual(readdirSync(join(out, cutFolder)), ['first_00001_.png'], 'a half set was left');

    const resumed = await runCli(['jobs', 'resume', '--store', store]);
    assert.equal(resumed.code, 0, resumed.err.join('\n'));
    assert.match(resumed.out[0], /, 1 run again \(the runner stopped during their run\), 0 lost$/);
    assert.ok(resumed.out[1].includes(running.id.slice(0, 8)), resumed.out[1]);

    const jobs = await listed(store);
    assert.equal(jobs.length, 3);
    for (const job of jobs) {
      assert.equal(job.state, 'succeeded', JSON.stringify(job));
      const folder = dirname(job.outputs[0]);
      const names = job.outputs.map((o) => basename(o)).sort();
      assert.deepEqual(names, ['first_00001_.png', 'last_00001_.png']);
      assert.deepEqual(
        readdirSync(folder).sort(),
        [...names, 'run.json'],
        'one set of outputs, nothing else',
      );
    }
    const rerun = jobs.find((j) => j.id === running!.id)!;
    assert.equal(rerun.restarts.length, 1);
    assert.equal(rerun.restarts[0].message, 'the runner stopped during the run');
    assert.ok(jobs.filter((j) => j.id !== rerun.id).every((j) => j.restarts.length === 0));
  });

  it('on Ctrl-C, cancels its jobs on the server and leaves nothing unfinished in its store', async () => {
    const server = await serve({ nodes: testRegistry });
    const out = tempDir('stopped-out-');
    const args = ['run', delayWorkflow(5_000), '--sweep', '1.value=1,2,3', '--server', server.url];
    const { child, exited } = await runningChild([...args, '--out', out, '--json']);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const list = await runCli(['jobs', 'list', '--store', join(out, '.store'), '--json']);
    const { jobs } = JSON.parse(list.out[0]) as { jobs: Pick<Job, 'state'>[] };
    assert.deepEqual(
      jobs.map((j) => j.state),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    const queue = (await (await fetch(`${server.url}/queue`)).json()) as Record<string, unknown[]>;
    assert.deepEqual(queue, { queue_running: [], queue_pending: [] });
  });
});
