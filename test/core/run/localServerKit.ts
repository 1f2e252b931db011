/**
 * Launching `comfy-runner serve` from source as a front end would launch the built program, in a fresh
 * folder, and making sure no server outlives the test that started it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalServerOptions } from '../../../src/core/run/localServer';
import { processExists } from '../../../src/core/store/ownerLock';

/** The command line's source, run with tsx. */
const cli = {
  cliPath: resolve(__dirname, '../../../src/cli/main.ts'),
  // By file URL: the server starts in the state file's folder, where a bare `tsx` would not resolve.
  nodeArgs: ['--import', pathToFileURL(require.resolve('tsx')).href],
};

/** A folder for one test and the options of a local server in it; `cleanUp` kills what it started. */
export function localServerRig(overrides: Partial<LocalServerOptions> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'local-server-'));
  const pids = new Set<number>();
  const options: LocalServerOptions = {
    ...cli,
    stateFile: join(root, 'private', 'engine-server.json'),
    inputDir: join(root, 'engine', 'input'),
    outputDir: join(root, 'engine', 'output'),
    tempDir: join(root, 'engine', 'temp'),
    idleExitSeconds: 120,
    ...overrides,
  };
  return {
    root,
    options,
    /** Remembers a server's process so that `cleanUp` ends it. */
    track(pid: number): number {
      pids.add(pid);
      return pid;
    },
    async cleanUp(): Promise<void> {
      for (const pid of pids) if (processExists(pid)) process.kill(pid, 'SIGKILL');
      for (const pid of pids) while (processExists(pid)) await new Promise((r) => setTimeout(r, 20));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
