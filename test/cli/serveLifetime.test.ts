/**
 * `comfy-runner serve` as a front end starts it: a real program with a per-launch token and
 * `--exit-when-idle`. Timeouts are short; the tests tell "exited" from "still answering", never how fast.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { runCli } from './cliHarness';

const mainScript = resolve(__dirname, '../../src/cli/main.ts');

/** A `serve` program, its printed lines, and its end. */
interface Serving {
  child: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts `comfy-runner serve --port 0 --json <args>` from source in `root`; resolves once it listens. */
async function serveProgram(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Serving> {
  const dirs = [
    '--input-dir',
    join(root, 'in'),
    '--output-dir',
    join(root, 'out'),
    '--temp-dir',
    join(root, 'tmp'),
  ];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', mainScript, 'serve', '--port', '0', '--json', ...dirs, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const lineReader = createInterface({ input: child.stdout! });
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const url = await new Promise<string>((done, fail) => {
    lineReader.on('line', (line) => {
      lines.push(line);
      const parsed = JSON.parse(line) as { type: string; url?: string };
      if (parsed.type === 'listening') done(parsed.url!);
    });
    void exited.then((code) => fail(new Error(`serve exited with ${code}: ${lines.join('\n')}`)));
  });
  return { child, url, lines, exited };
}

/** Resolves with the exit code, or `'running'` when the program is still up after `ms`. */
async function exitWithin(s: Serving, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<'running'>((done) => (timer = setTimeout(() => done('running'), ms)));
  const result = await Promise.race([s.exited, later]);
  clearTimeout(timer);
  return result;
}

describe('comfy-runner serve started for a front end', function () {
  this.timeout(60_000);
  let root: string;
  const started: Serving[] = [];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'serve-lifetime-'));
  });

  afterEach(async () => {
    for (const s of started.splice(0)) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await s.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  async function serveIt(args: string[], env?: NodeJS.ProcessEnv): Promise<Serving> {
    const s = await serveProgram(root, args, env);
    started.push(s);
    return s;
  }

  it('exits by itself with exit code 0 once nobody used it for --exit-when-idle seconds', async () => {
    const s = await serveIt(['--exit-when-idle', '0.3']);
    assert.equal(await exitWithin(s, 30_000), 0);
    assert.deepEqual(JSON.parse(s.lines.at(-1)!), { type: 'stopped', reason: 'idle' });
  });

  it('keeps answering while a WebSocket client stays connected past the idle time, and exits after it left', async () => {
    const s = await serveIt(['--exit-when-idle', '1.5']);
    const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}/ws?clientId=front-end`);
    await new Promise((done, fail) => (ws.once('open', done), ws.once('error', fail)));
    assert.equal(await exitWithin(s, 3_500), 'running');
    assert.equal((await fetch(`${s.url}/system_stats`)).status, 200);
    ws.close();
    assert.equal(await exitWithin(s, 30_000), 0);
  });

  it('asks for the --token, never prints it and blanks it out of /system_stats', async () => {
    const token = 'token-on-the-command-line';
    const s = await serveIt(['--token', token]);
    assert.equal((await fetch(`${s.url}/system_stats`)).status, 401);
    const stats = await fetch(`${s.url}/system_stats`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(stats.status, 200);
    const text = await stats.text();
    assert.ok(!text.includes(token));
    assert.match(text, /<token>/);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    assert.ok(!s.lines.join('\n').includes(token));
  });

  it('takes the token from COMFY_RUNNER_TOKEN with --token-from-env', async () => {
    const token = 'token-in-the-environment';
    const s = await serveIt(['--token-from-env'], { COMFY_RUNNER_TOKEN: token });
    assert.equal((await fetch(`${s.url}/queue?token=wrong`)).status, 401);
    assert.equal((await fetch(`${s.url}/queue?token=${token}`)).status, 200);
  });

  it('answers a Host named by --allow-host and refuses another name', async () => {
    const s = await serveIt(['--allow-host', 'box.example']);
    const statusFor = (host: string) =>
      new Promise<number>((done, fail) => {
        const headers = { Host: `${host}:${new URL(s.url).port}` };
        http
          .get(`${s.url}/prompt`, { headers }, (res) => (res.resume(), done(res.statusCode ?? 0)))
          .on('error', fail);
      });
    assert.equal(await statusFor('box.example'), 200);
    assert.equal(await statusFor('other.example'), 403);
  });

  it('refuses --token-from-env without the variable with exit code 2 rather than serve unprotected', async () => {
    const saved = process.env.COMFY_RUNNER_TOKEN;
    delete process.env.COMFY_RUNNER_TOKEN;
    try {
      const run = await runCli(['serve', '--port', '0', '--token-from-env']);
      assert.equal(run.code, 2);
      assert.match(run.err.join('\n'), /COMFY_RUNNER_TOKEN/);
    } finally {
      if (saved !== undefined) process.env.COMFY_RUNNER_TOKEN = saved;
    }
  });
});
