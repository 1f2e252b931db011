/**
 * The private folder one end-to-end session keeps every bit of its state in: code-server's config, user
 * data and extensions, Chromium's profile, the workspace, and the XDG and temp folders both programs
 * would otherwise fill in the home folder and /tmp. Removing it, once every process that was started with
 * its environment has ended, leaves nothing behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folders of one session, all inside `root`. */
export interface Sandbox {
  root: string;
  /** code-server's `--config` file (`auth: none`). */
  configFile: string;
  /** code-server's `--user-data-dir`; `User/settings.json` lives here. */
  userDataDir: string;
  /** code-server's `--extensions-dir`, where the `.vsix` is installed. */
  extensionsDir: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** Chromium's profile. */
  browserProfile: string;
  /** Where Playwright would otherwise make its own temp folder. */
  artifactsDir: string;
  /** The environment for code-server and Chromium: the caller's, with XDG_* and TMPDIR pointed inside. */
  env: NodeJS.ProcessEnv;
}

/** Sandboxes not yet removed, for the last-resort cleanup when this process is interrupted. */
const live = new Set<Sandbox>();

let cleaningUpOnExit = false;

/** Kills every process of every live sandbox and removes their folders, synchronously. */
function killAndRemoveLive(): void {
  for (const sandbox of live) {
    for (const pid of sandboxProcesses(sandbox)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    rmSync(sandbox.root, { recursive: true, force: true });
  }
  live.clear();
}

/**
 * code-server and Chromium run in process groups of their own, so Ctrl-C in a terminal (or CI's SIGTERM)
 * does not reach them, and mocha runs no `after` hook then. These listeners clean up instead and then end
 * the process by the same signal, as it would have ended without them.
 */
function cleanUpOnExit(): void {
  if (cleaningUpOnExit) return;
  cleaningUpOnExit = true;
  process.on('exit', killAndRemoveLive);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAndRemoveLive();
      process.kill(process.pid, signal);
    });
  }
}

/** Makes a new sandbox under the system temp folder. */
export function createSandbox(): Sandbox {
  cleanUpOnExit();
  const root = mkdtempSync(join(tmpdir(), 'comfyui-runner-e2e-'));
  const dir = (name: string, mode?: number): string => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true, mode });
    return path;
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: dir('xdg/config'),
    XDG_DATA_HOME: dir('xdg/data'),
    XDG_CACHE_HOME: dir('xdg/cache'),
    // Programs refuse a runtime folder others can read.
    XDG_RUNTIME_DIR: dir('xdg/runtime', 0o700),
    TMPDIR: dir('tmp'),
  };
  const sandbox: Sandbox = {
    root,
    configFile: join(root, 'config.yaml'),
    userDataDir: dir('user-data'),
    extensionsDir: dir('extensions'),
    workspace: dir('workspace'),
    browserProfile: dir('browser-profile'),
    artifactsDir: dir('playwright'),
    env,
  };
  live.add(sandbox);
  return sandbox;
}

/**
 * The ids of running processes that were started with this sandbox's environment: code-server, its
 * extension host and helpers, Chromium and its renderers. Found by their environment rather than by their
 * process group, so a process that left the group is found too.
 */
export function sandboxProcesses(sandbox: Sandbox): number[] {
  const marker = `\0TMPDIR=${sandbox.env.TMPDIR}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // ended meanwhile, or not ours to read
    }
    if (`\0${environ}`.includes(marker)) found.push(Number(entry));
  }
  return found;
}

/** True for the extension's embedded engine server: `comfy-runner serve` from the installed bundle. */
function isEngineServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('cli.js\0serve\0');
  } catch {
    return false;
  }
}

/**
 * Waits for the sandbox's processes to end (killing those still there after `graceMs`), then removes the
 * folder. Throws when a process survived or the folder could not be removed, so a leak fails the suite.
 */
export async function removeSandbox(sandbox: Sandbox, graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  // The extension's engine server outlives its window by design (it waits for a reload, then exits
  // when idle): it is stopped here as a user's machine would stop it, and is no leak.
  for (const pid of sandboxProcesses(sandbox).filter(isEngineServer)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // ended meanwhile
    }
  }
  let left = sandboxProcesses(sandbox);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = sandboxProcesses(sandbox);
  }
  const leaked = left.filter((pid) => !isEngineServer(pid));
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  rmSync(sandbox.root, { recursive: true, force: true, maxRetries: 5 });
  live.delete(sandbox);
  if (leaked.length > 0)
    throw new Error(
      `end-to-end sandbox: processes ${leaked.join(', ')} outlived the session and were killed`,
    );
}
