import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobSummary } from '../../src/cli/progressView';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { tempDir } from '../fakes/tempDirs';
import { apiNode } from '../fakes/testNodes';
import { runCli } from './cliHarness';

/** Two independent branches, each a short wait before an output node saving `<tag>_00001_.txt`. */
const twoBranches = {
  '1': apiNode('TestSource', { value: 1 }),
  '2': apiNode('TestDelay', { ms: 200, input: ['1', 0] }),
  '3': apiNode('TestCounter', { tag: 'a', input: ['2', 0] }),
  '4': apiNode('TestSource', { value: 2 }),
  '5': apiNode('TestDelay', { ms: 200, input: ['4', 0] }),
  '6': apiNode('TestCounter', { tag: 'b', input: ['5', 0] }),
};

describe('comfy-runner run --split', function () {
  this.timeout(30_000);
  const servers: TestServer[] = [];
  let dir: string;
  let file: string;

  before(async () => {
    for (let i = 0; i < 2; i++) servers.push(await startTestServer());
  });

  after(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  beforeEach(() => {
    dir = tempDir('run-split-');
    file = join(dir, 'branches.json');
    writeFileSync(file, JSON.stringify(twoBranches));
  });

  /** Runs the file over both servers with `flags`. */
  function run(...flags: string[]) {
    const pool = servers.flatMap((s) => ['--server', s.url]);
    return runCli(['run', file, ...pool, '--out', join(dir, 'runs'), '--json', ...flags]);
  }

  it('runs each branch on a server of its own and says which part each job is', async () => {
    const { code, out } = await run('--split');
    assert.equal(code, 0);
    const summary = JSON.parse(out.at(-1)!) as { jobs: JobSummary[] };
    const [a, b] = summary.jobs;
    assert.deepEqual(
      summary.jobs.map((j) => [j.state, j.split?.part, j.split?.of, j.split?.outputs]),
      [
        ['succeeded', 1, 2, ['3']],
        ['succeeded', 2, 2, ['6']],
      ],
    );
    assert.equal(a.split!.run, b.split!.run);
    assert.notEqual(a.server, b.server);
    const folder = readdirSync(join(dir, 'runs')).filter((f) => f !== '.store');
    assert.equal(folder.length, 1);
    assert.deepEqual(readdirSync(join(dir, 'runs', folder[0])).sort(), [
      'a_00001_.txt',
      'b_00001_.txt',
      'run.json',
    ]);
  });

  it('runs the workflow whole without --split', async () => {
    const { code, out } = await run();
    assert.equal(code, 0);
    const summary = JSON.parse(out.at(-1)!) as { jobs: JobSummary[] };
    assert.deepEqual(
      summary.jobs.map((j) => [j.state, j.split]),
      [['succeeded', null]],
    );
  });

  it('caps the parts at --split-servers', async () => {
    const { out } = await run('--split-servers', '1');
    const summary = JSON.parse(out.at(-1)!) as { jobs: JobSummary[] };
    assert.deepEqual(
      summary.jobs.map((j) => j.split),
      [null],
    );
  });

  it('refuses --no-split beside --split, running nothing', async () => {
    const { code, err } = await run('--split', '--no-split');
    assert.equal(code, 2);
    assert.match(err.join('\n'), /--no-split cannot go with --split/);
  });

  describe('on the embedded engine', () => {
    const masks = join(__dirname, '../../examples/api/masks.json');
    const engineRun = (...flags: string[]) =>
      runCli([
        'run',
        masks,
        '--out',
        join(dir, 'runs'),
        '--input-dir',
        join(__dirname, '../../examples/input'),
        '--json',
        ...flags,
      ]);

    it('spreads the branches over the engine given --engine-slots, as over that many servers', async () => {
      const { code, out, err } = await engineRun('--split', '--engine-slots', '2');
      assert.equal(code, 0, err.join('\n'));
      const summary = JSON.parse(out.at(-1)!) as { jobs: JobSummary[] };
      assert.deepEqual(
        summary.jobs.map((j) => [j.state, j.server, j.split?.part, j.split?.of]),
        [
          ['succeeded', 'embedded', 1, 2],
          ['succeeded', 'embedded', 2, 2],
        ],
      );
    });

    it('refuses --engine-slots for a pool without the embedded engine, running nothing', async () => {
      const ran = async () =>
        Promise.all(
          servers.map(
            async (s) => Object.keys((await (await fetch(`${s.url}/history`)).json()) as object).length,
          ),
        );
      const before = await ran();
      const { code, err } = await run('--engine-slots', '2');
      assert.equal(code, 2);
      assert.match(err.join('\n'), /--engine-slots is for the embedded engine/);
      assert.deepEqual(await ran(), before, 'no server was given a prompt');
      assert.equal(existsSync(join(dir, 'runs')), false, 'no run folder was made');
    });
  });
});
