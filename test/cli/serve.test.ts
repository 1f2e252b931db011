import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { serveCommand } from '../../src/cli/serveCommand';
import { holePng } from '../core/server/serverHarness';
import { runCli } from './cliHarness';
import { workflowsDir } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';

const workflows = workflowsDir;
const mainScript = resolve(__dirname, '../../src/cli/main.ts');

interface Summary {
  jobs: { state: string; server: string; outputs: string[]; error: null | { reason: string } }[];
}

/** Starts `serveCommand` in-process on a free port; `stop()` ends it and resolves with its exit code. */
async function serving(root: string): Promise<{ url: string; stop: () => Promise<number>; out: string[] }> {
  const out: string[] = [];
  let release!: () => void;
  const stopped = new Promise<void>((done) => (release = done));
  let listening!: (url: string) => void;
  const url = new Promise<string>((done) => (listening = done));
  const io = {
    isTty: false,
    err: () => undefined,
    out: (line: string) => {
      out.push(line);
      const parsed = JSON.parse(line) as { type: string; url?: string };
      if (parsed.type === 'listening') listening(parsed.url!);
    },
  };
  const dirs = { inputDir: join(root, 'in'), outputDir: join(root, 'out'), tempDir: join(root, 'tmp') };
  const code = serveCommand(
    { host: '127.0.0.1', port: 0, parallel: 1, json: true, stop: stopped, ...dirs },
    io,
  );
  return { url: await url, out, stop: () => (release(), code) };
}

describe('comfy-runner serve', function () {
  this.timeout(60_000);
  const tmp = () => tempDir('serve-cli-');

  it('listens on loopback, answers ComfyUI requests, and stops cleanly with exit code 0', async () => {
    const server = await serving(tmp());
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const stats = (await (await fetch(`${server.url}/system_stats`)).json()) as {
      system: { comfyui_version: string };
    };
    assert.match(stats.system.comfyui_version, /embedded engine/);
    assert.equal(await server.stop(), 0);
    assert.deepEqual(JSON.parse(server.out.at(-1)!), { type: 'stopped' });
    await assert.rejects(fetch(`${server.url}/system_stats`));
  });

  it('runs a workflow with run --server against it and collects the outputs', async () => {
    const root = tmp();
    const server = await serving(root);
    try {
      const out = join(root, 'runs');
      const run = await runCli([
        'run',
        join(workflows, '01_invert.json'),
        '--server',
        server.url,
        '--out',
        out,
        '--json',
      ]);
      assert.equal(run.code, 0, run.err.join('\n'));
      const summary = JSON.parse(run.out.at(-1)!) as Summary;
      const [job] = summary.jobs;
      assert.equal(job.state, 'succeeded');
      assert.equal(job.server, server.url);
      assert.equal(job.outputs.length, 1);
      assert.ok(existsSync(job.outputs[0]));
    } finally {
      await server.stop();
    }
  });

  it('uploads a LoadImage file from the local input folder before running on the server', async () => {
    const root = tmp();
    const server = await serving(root);
    try {
      const input = join(root, 'local-input');
      mkdirSync(input);
      writeFileSync(join(input, 'comfy_real_upload.png'), holePng());
      const run = await runCli([
        'run',
        join(workflows, '07_loadimage_upload.json'),
        '--server',
        server.url,
        '--input-dir',
        input,
        '--out',
        join(root, 'runs'),
        '--json',
      ]);
      assert.equal(run.code, 0, run.err.join('\n'));
      const [job] = (JSON.parse(run.out.at(-1)!) as Summary).jobs;
      assert.equal(job.outputs.length, 3);
      assert.deepEqual(readFileSync(join(root, 'in', 'comfy_real_upload.png')), Buffer.from(holePng()));
    } finally {
      await server.stop();
    }
  });

  it('reports a server that cannot be reached with exit code 3', async () => {
    const run = await runCli([
      'run',
      join(workflows, '01_invert.json'),
      '--server',
      'http://127.0.0.1:9',
      '--out',
      tmp(),
    ]);
    assert.equal(run.code, 3);
  });

  it('refuses an --allow-host that carries a port with exit code 2, naming it', async () => {
    const run = await runCli(['serve', '--port', '0', '--allow-host', 'box.example:8188']);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /"box\.example:8188"/);
  });

  it('stops on SIGTERM when run as a program, with exit code 0', async () => {
    const root = tmp();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        mainScript,
        'serve',
        '--port',
        '0',
        '--json',
        '--input-dir',
        join(root, 'in'),
        '--output-dir',
        join(root, 'out'),
        '--temp-dir',
        join(root, 'tmp'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout });
    const seen: string[] = [];
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    for await (const line of lines) {
      seen.push(line);
      if (seen.length === 1) {
        const { url } = JSON.parse(line) as { url: string };
        assert.equal((await fetch(`${url}/prompt`)).status, 200);
        child.kill('SIGTERM');
      }
    }
    assert.equal(await exited, 0);
    assert.deepEqual(JSON.parse(seen.at(-1)!), { type: 'stopped' });
  });
});
