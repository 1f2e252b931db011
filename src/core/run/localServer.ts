/**
 * The embedded engine as a server of its own, for a front end that must survive its own restart (a VS
 * Code window reloading mid-run): `comfy-runner serve` runs as a detached child process on a loopback
 * port, asks every request for a per-launch token, outlives the front end, and exits by itself once no
 * client was attached for a while and nothing is queued or running (`--exit-when-idle`). The front end
 * puts it in its pool as a ComfyUI server ({@link localServerSettings}), so jobs on it are remote jobs:
 * the durable runner follows them again by prompt id after the reload, and their outputs are downloaded
 * into their run folders. The server's own output and temp folders are its scratch space.
 *
 * `ensureLocalServer` reuses the server of the state file while it answers with the token, and starts
 * one otherwise. The same child keeps its port, so the pool's name for it (its URL) stays the same across
 * reloads. A child that died takes its prompts with it; a new one gets another port, and unfinished jobs
 * on the old one end `lost` when the runner resumes, as for any server that went away.
 *
 * Two processes ensuring the same state file at the same moment may each start a server; the last one
 * written wins the file, and the other exits once unused. In one process, concurrent calls share one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { tokenEnvVariable } from '../server/accessToken';
import { processExists } from '../store/ownerLock';
import { RunnerError } from '../util/runnerError';
import {
  answersWithToken,
  hasPrompts,
  readLocalServerState,
  writeLocalServerState,
  type LocalServerState,
} from './localServerState';
import type { ServerSettings } from './serverSettings';

/** Options of {@link ensureLocalServer}. */
export interface LocalServerOptions {
  /** The state file (URL, process id, the token unless given); keep it in private storage. */
  readonly stateFile: string;
  /** The `comfy-runner` program to run: `dist/cli.js`, or `src/cli/main.ts` with `nodeArgs`. */
  readonly cliPath: string;
  /** Arguments for Node before `cliPath` (`['--import', 'tsx']` to run the source). @default [] */
  readonly nodeArgs?: readonly string[];
  /**
   * The Node to run it with. In VS Code's extension host this is Electron, which the child runs as
   * plain Node (`ELECTRON_RUN_AS_NODE` is set for it).
   * @default process.execPath
   */
  readonly nodePath?: string;
  /** The server's input folder (`LoadImage` files are uploaded there before each prompt). */
  readonly inputDir: string;
  /** The server's own output folder; jobs' outputs are downloaded from it into their run folders. */
  readonly outputDir: string;
  /** The server's temp folder. */
  readonly tempDir: string;
  /**
   * The server exits after this many seconds with no client attached and nothing queued or running;
   * long enough for a window reload to attach again.
   * @default 300
   */
  readonly idleExitSeconds?: number;
  /** Prompts the server runs at once (`serve --parallel`). @default 1 */
  readonly parallel?: number;
  /**
   * The token, when the caller keeps it (VS Code's SecretStorage); it is then not written to the state
   * file. @default a new random token for each server started, kept in the state file
   */
  readonly token?: string;
  /** Where the server's output goes. @default the state file's name with `.log` */
  readonly logFile?: string;
  /** Starting fails with `timeout` when the server does not listen within this. @default 60 000 ms */
  readonly startTimeoutMs?: number;
}

/** A local server that answers. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What every request must carry; pass it as credentials, never store it elsewhere. */
  readonly token: string;
  readonly pid: number;
  /** True when this call started it, false when it reused a running one. */
  readonly started: boolean;
  /**
   * Prompts it runs at once: the number asked for, or a reused server's own while it is busy (it is
   * replaced by one with the number asked for once it is idle, at a later call).
   */
  readonly parallel: number;
}

const ensuring = new Map<string, Promise<LocalServer>>();

/**
 * The server of the state file while it is alive and answers with the token; otherwise starts one
 * (detached, in its own process group, output to the log file), waits for it to listen and writes the
 * state file. Fails with `server_unreachable` (the log's last lines in the message) when the program
 * exits before listening, `timeout` when it does not listen in time.
 */
export function ensureLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const key = resolve(options.stateFile);
  let pending = ensuring.get(key);
  if (!pending) {
    pending = reuseOrStart(options).finally(() => ensuring.delete(key));
    ensuring.set(key, pending);
  }
  return pending;
}

async function reuseOrStart(options: LocalServerOptions): Promise<LocalServer> {
  const state = await readLocalServerState(options.stateFile);
  const token = options.token ?? state?.token;
  if (state && token && processExists(state.pid) && (await answersWithToken(state.url, token))) {
    const parallel = state.parallel ?? 1;
    // One with another number of engines is replaced, but only while it runs nothing.
    if (parallel === (options.parallel ?? 1) || (await hasPrompts(state.url, token)))
      return { url: state.url, token, pid: state.pid, started: false, parallel };
    await terminate(state.pid, options.stateFile, 10_000);
  }
  return start(options);
}

async function start(options: LocalServerOptions): Promise<LocalServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const logFile = options.logFile ?? options.stateFile.replace(/(\.json)?$/, '.log');
  const { child, from } = launch(options, token, logFile);
  const url = await listening(child, logFile, from, options.startTimeoutMs ?? 60_000);
  child.unref();
  const state: LocalServerState = {
    url,
    pid: child.pid!,
    ...(options.token === undefined && { token }),
    startedAt: new Date().toISOString(),
    parallel: options.parallel ?? 1,
  };
  await writeLocalServerState(options.stateFile, state);
  return { url, token, pid: child.pid!, started: true, parallel: state.parallel! };
}

/** The serve command line. */
function serveArgs(options: LocalServerOptions): string[] {
  return [
    ...(options.nodeArgs ?? []),
    options.cliPath,
    'serve',
    ...['--host', '127.0.0.1', '--port', '0', '--json', '--token-from-env'],
    ...['--exit-when-idle', String(options.idleExitSeconds ?? 300)],
    ...['--parallel', String(options.parallel ?? 1)],
    ...['--input-dir', resolve(options.inputDir)],
    ...['--output-dir', resolve(options.outputDir)],
    ...['--temp-dir', resolve(options.tempDir)],
  ];
}

/** Logs above this size are moved to `<log>.1` before a start. */
const MAX_LOG = 1024 * 1024;

/**
 * Spawns the server with the token in its environment (never on its command line), appending its output
 * to the log; `from` is where this launch's output starts in the log.
 */
function launch(
  options: LocalServerOptions,
  token: string,
  logFile: string,
): { child: ChildProcess; from: number } {
  mkdirSync(dirname(resolve(logFile)), { recursive: true });
  mkdirSync(dirname(resolve(options.stateFile)), { recursive: true });
  if (sizeOf(logFile) > MAX_LOG) renameSync(logFile, `${logFile}.1`);
  const from = sizeOf(logFile);
  const log = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(options.nodePath ?? process.execPath, serveArgs(options), {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: dirname(resolve(options.stateFile)),
      env: { ...process.env, [tokenEnvVariable]: token, ELECTRON_RUN_AS_NODE: '1' },
      windowsHide: true,
    });
    return { child, from };
  } finally {
    closeSync(log);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** This launch's lines of the log. */
function linesFrom(logFile: string, from: number): string[] {
  try {
    return readFileSync(logFile).subarray(from).toString('utf8').split('\n');
  } catch {
    return [];
  }
}

/** The URL of the `listening` line among `lines`, if it came. */
function listeningUrl(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line) as { type?: unknown; url?: unknown };
      if (parsed.type === 'listening' && typeof parsed.url === 'string') return parsed.url;
    } catch {
      // Not a JSON line: Node's own warnings, say.
    }
  }
  return undefined;
}

/** Waits for the child's `listening` line in the log; see {@link ensureLocalServer} for the failures. */
function listening(child: ChildProcess, logFile: string, from: number, timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    const finish = (error?: RunnerError, url?: string) => {
      clearInterval(poll);
      clearTimeout(limit);
      child.off('exit', onExit);
      child.off('error', onError);
      if (error) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        fail(error);
      } else done(url!);
    };
    const tail = () => linesFrom(logFile, from).filter(Boolean).slice(-10).join('\n');
    const onExit = (code: number | null) =>
      finish(
        new RunnerError(
          'server_unreachable',
          `the local server exited (${code}) before listening:\n${tail()}`,
        ),
      );
    const onError = (e: Error) =>
      finish(new RunnerError('server_unreachable', `cannot start the local server: ${e.message}`));
    const poll = setInterval(() => {
      const url = listeningUrl(linesFrom(logFile, from));
      if (url) finish(undefined, url);
    }, 50);
    const limit = setTimeout(
      () =>
        finish(
          new RunnerError('timeout', `the local server did not listen within ${timeoutMs} ms:\n${tail()}`),
        ),
      timeoutMs,
    );
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Options of {@link stopLocalServer}. */
export interface StopLocalServerOptions {
  /** The state file of {@link ensureLocalServer}. */
  readonly stateFile: string;
  /** The token, when the caller keeps it. @default the state file's */
  readonly token?: string;
  /** After SIGTERM, how long to wait for a clean stop before SIGKILL. @default 10 000 ms */
  readonly timeoutMs?: number;
}

/**
 * Stops the server of the state file (SIGTERM: running prompts are interrupted and recorded) and removes
 * the file. Only a process that answers with the token is signalled, so a process id the system gave to
 * another program since is left alone. Resolves with whether a server was stopped.
 */
export async function stopLocalServer(options: StopLocalServerOptions): Promise<boolean> {
  const state = await readLocalServerState(options.stateFile);
  const token = options.token ?? state?.token;
  const ours = state && token && processExists(state.pid) && (await answersWithToken(state.url, token));
  if (ours) await terminate(state.pid, options.stateFile, options.timeoutMs ?? 10_000);
  else await rm(options.stateFile, { force: true });
  return Boolean(ours);
}

/**
 * Stops the server process `pid`, known to be ours: SIGTERM, then SIGKILL when it is still there after
 * `timeoutMs`; then removes its state file.
 */
async function terminate(pid: number, stateFile: string, timeoutMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (!(await gone(pid, timeoutMs))) signal(pid, 'SIGKILL');
  await rm(stateFile, { force: true });
}

/** Sends a signal; a process that ended meanwhile is fine. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Resolves true once the process is gone, false when it is still there after `ms`. */
async function gone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (processExists(pid)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * The local server as one server of a pool: its URL, with the token as bearer credentials (used, never
 * stored), and any other settings given.
 */
export function localServerSettings(
  server: Pick<LocalServer, 'url' | 'token'>,
  settings: Omit<ServerSettings, 'url' | 'credentials'> = {},
): ServerSettings {
  return { ...settings, url: server.url, credentials: { bearerToken: server.token } };
}
