/**
 * code-server, the real VS Code workbench and extension host served to a browser, run inside a sandbox:
 * where scripts/e2e-setup.sh installed it, how the extension gets in, and starting and stopping one
 * instance with its whole process group.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from './sandbox';

/** The pinned version: the newest whose install accepts Node 20 (shared/docs/vscode-testing.md). */
export const codeServerVersion = '4.100.3';

/** The binary scripts/e2e-setup.sh installs, in `$E2E_CACHE` (default `~/.cache/comfyui-runner-e2e`). */
export function codeServerBinary(): string {
  const cache = process.env.E2E_CACHE || join(homedir(), '.cache', 'comfyui-runner-e2e');
  const binary = join(cache, `code-server-${codeServerVersion}`, 'node_modules', '.bin', 'code-server');
  if (!existsSync(binary))
    throw new Error(
      `code-server ${codeServerVersion} is not installed at ${binary}: run scripts/e2e-setup.sh`,
    );
  return binary;
}

function stateArgs(sandbox: Sandbox): string[] {
  return [
    '--config',
    sandbox.configFile,
    '--user-data-dir',
    sandbox.userDataDir,
    '--extensions-dir',
    sandbox.extensionsDir,
  ];
}

/** Writes code-server's config and the user settings, then installs the `.vsix` into the sandbox. */
export function prepareCodeServer(sandbox: Sandbox, vsix: string, settings: Record<string, unknown>): void {
  writeFileSync(sandbox.configFile, 'auth: none\n');
  const user = join(sandbox.userDataDir, 'User');
  mkdirSync(user, { recursive: true });
  writeFileSync(join(user, 'settings.json'), JSON.stringify(settings, null, 2));
  execFileSync(codeServerBinary(), [...stateArgs(sandbox), '--install-extension', vsix], {
    env: sandbox.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** One running code-server. */
export interface CodeServer {
  /** `http://127.0.0.1:<port>/`. */
  url: string;
  /** What it printed so far, for a failing test's report. */
  output(): string;
  /** Ends its process group: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startCodeServer}. */
export interface CodeServerOptions {
  /** Whether the workspace opens trusted (`--disable-workspace-trust`) or in Restricted Mode. */
  trusted: boolean;
  /** How long to wait for it to listen. @default 30000 */
  startTimeoutMs?: number;
}

/**
 * Starts code-server on 127.0.0.1 and a port the system picks (port 0, so two suites on one machine never
 * race for a port), in a process group of its own, and resolves once it listens.
 */
export async function startCodeServer(sandbox: Sandbox, options: CodeServerOptions): Promise<CodeServer> {
  const args = [
    ...stateArgs(sandbox),
    '--bind-addr',
    '127.0.0.1:0',
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(options.trusted ? ['--disable-workspace-trust'] : []),
    sandbox.workspace,
  ];
  const child = spawn(codeServerBinary(), args, {
    env: sandbox.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: CodeServer = {
    url: '',
    output: () => output,
    stop: (graceMs = 5000) => stopGroup(child, exited, graceMs),
  };
  try {
    server.url = await listeningUrl(child, () => output, options.startTimeoutMs ?? 30000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

function listeningUrl(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output());
      if (m) done(() => resolve(m[1]));
    };
    const fail = (why: string) => () =>
      done(() => reject(new Error(`code-server ${why}; it printed:\n${output()}`)));
    const timer = setTimeout(fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    const onExit = fail('exited before listening');
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

async function stopGroup(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is already gone
    }
  };
  signalGroup('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
  ]);
  clearTimeout(timer);
  // Helpers of the group may outlive its leader; SIGKILL reaches whatever is left either way.
  signalGroup('SIGKILL');
  if (timedOut) await exited;
}
