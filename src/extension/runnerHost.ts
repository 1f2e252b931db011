/**
 * The workspace's runner in the extension host: opened on first use (never at activation), over the
 * store in the workspace's `comfy-runs/` folder, the same the command line uses, so both see the same
 * jobs. Opening takes the store back: queued jobs stay queued and jobs on servers are reattached by
 * prompt id. The host owns the runner's lifetime and closes it when the extension deactivates.
 *
 * The embedded engine does not run in the extension host: it runs as `comfy-runner serve`, a child
 * process on a loopback port that answers only requests carrying a per-workspace token (kept in
 * SecretStorage), outlives a window reload, and exits by itself once no client has been attached for a
 * while and it is idle. Jobs on it are remote jobs, so a reload reattaches them by prompt id like jobs on
 * any server; an engine inside the extension host would die with every reload and lose its runs.
 *
 * When another process owns the store (a `comfy-runner run` in a terminal), the runner cannot open: the
 * host follows that store instead ({@link RunnerHost.watched}), so its jobs show live, and opens the
 * runner once that process has given the store up.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Runner } from '../core/run/runner';
import type { StoreWatch } from '../core/run/storeWatch';
import type { ServerSpec } from '../core/run/serverSettings';
import { loadCore } from './loadCore';
import { readRunnerConfig, serverSettings } from './settings';

/** The runner's owner; views and commands reach the runner through it. */
export interface RunnerHost extends vscode.Disposable {
  /** The runner when it is open; undefined before first use. */
  readonly current: Runner | undefined;
  /** Opens the runner if it is not open yet; rejects with a RunnerError when it cannot. */
  ensure(): Promise<Runner>;
  /** Fires once the runner is open (views subscribe to its events then). */
  readonly onDidOpen: vscode.Event<Runner>;
  /**
   * The store another process owns, followed while the runner cannot open because of it; undefined
   * otherwise. Cancel and retry of its jobs are requests to that process.
   */
  readonly watched: StoreWatch | undefined;
  /** Fires when the host starts following a store another process owns. */
  readonly onDidWatch: vscode.Event<StoreWatch>;
  /** The workspace folder the runner works in. */
  readonly folder: string | undefined;
  /** Closes the runner (jobs on servers go on, to be taken back next time). */
  close(): Promise<void>;
  /**
   * Opens the runner again with the current settings, if it is open: jobs on servers are taken back
   * by prompt id, queued jobs stay queued. How a changed pool or cap applies without a window reload.
   */
  reopen(): Promise<void>;
}

/** Options of {@link createRunnerHost}. */
export interface RunnerHostOptions {
  readonly secrets: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
  /** The bundled command line (`dist/cli.js`), which serves the embedded engine. */
  readonly cliPath: string;
  /** The extension's private storage for this workspace: the engine server's state file and log. */
  readonly stateDir: string;
}

/** The SecretStorage key of the embedded engine server's token. */
const TOKEN_KEY = 'comfyuiRunner.engineToken';

/** How often the owner of a followed store is checked, to take the store once it is free. */
const OWNER_POLL_MS = 2_000;

/** How long the engine server waits, idle and with no client, before it exits: a reload is far quicker. */
const ENGINE_IDLE_EXIT_SECONDS = 600;

/** Creates the host; nothing is opened until {@link RunnerHost.ensure}. */
export function createRunnerHost(options: RunnerHostOptions): RunnerHost {
  const opened = new vscode.EventEmitter<Runner>();
  const watching = new vscode.EventEmitter<StoreWatch>();
  const stopWatching = new AbortController();
  let current: Runner | undefined;
  let opening: Promise<Runner> | undefined;
  let watched: StoreWatch | undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const open = async (): Promise<Runner> => {
    if (!folder) throw new Error('Open a folder first: runs and their outputs are kept in it.');
    const config = readRunnerConfig();
    const out = join(folder, config.outputFolder);
    const engine = await startEngine(options, folder, out, config.engineSlots);
    const servers: ServerSpec[] = [engine, ...(await serverSettings(config, options.secrets))];
    const runner = await loadCore().openRunner({
      storeDir: join(out, '.store'),
      unfinished: 'resume',
      servers,
      out,
      inputDir: join(folder, 'input'),
      concurrency: config.maxConcurrentJobs > 0 ? config.maxConcurrentJobs : undefined,
      downloads: config.downloads,
      onNoTarget: 'wait',
      onProblem: (e) => options.log.warn(e.message),
      engineLog: (entry) => options.log.error(entry),
    });
    runner.subscribe((event) => options.log.trace(JSON.stringify(logged(event))));
    current = runner;
    opened.fire(runner);
    return runner;
  };
  /** Follows the store another process owns until it is free, then opens the runner over it. */
  const follow = async (storeDir: string): Promise<void> => {
    if (watched || stopWatching.signal.aborted) return;
    const watch = await loadCore().watchStore(storeDir);
    watched = watch;
    options.log.info(`following the job store ${storeDir}, which another process owns`);
    watching.fire(watch);
    try {
      await watch.whenFree(OWNER_POLL_MS, stopWatching.signal);
    } finally {
      watched = undefined;
      await watch.close();
    }
    options.log.info(`the job store ${storeDir} is free: taking it`);
    await ensure();
  };
  const ensure = (): Promise<Runner> => {
    opening ??= open().catch((e: unknown) => {
      opening = undefined;
      if (loadCore().isStoreInUse(e) && folder) {
        const storeDir = join(folder, readRunnerConfig().outputFolder, '.store');
        follow(storeDir).catch((err: unknown) => {
          if (!stopWatching.signal.aborted) options.log.warn(`following ${storeDir}: ${String(err)}`);
        });
      }
      throw e;
    });
    return opening;
  };
  const close = async () => {
    const runner = current ?? (await opening?.catch(() => undefined));
    current = undefined;
    opening = undefined;
    await runner?.close();
  };
  return {
    get current() {
      return current;
    },
    get watched() {
      return watched;
    },
    folder,
    onDidOpen: opened.event,
    onDidWatch: watching.event,
    ensure,
    close,
    reopen: async () => {
      if (!current && !opening) return;
      await close();
      await ensure();
    },
    dispose: () => {
      stopWatching.abort();
      opened.dispose();
      watching.dispose();
    },
  };
}

/**
 * The embedded engine's server (started, or the one still running from before a reload) as a pool entry
 * with as many slots as it runs prompts at once.
 */
async function startEngine(
  options: RunnerHostOptions,
  folder: string,
  out: string,
  slots: number,
): Promise<ServerSpec> {
  let token = await options.secrets.get(TOKEN_KEY);
  if (!token) {
    token = randomBytes(24).toString('base64url');
    await options.secrets.store(TOKEN_KEY, token);
  }
  const { ensureLocalServer, localServerSettings } = loadCore();
  const server = await ensureLocalServer({
    stateFile: join(options.stateDir, 'engine-server.json'),
    logFile: join(options.stateDir, 'engine-server.log'),
    cliPath: options.cliPath,
    inputDir: join(folder, 'input'),
    outputDir: join(out, '.engine', 'output'),
    tempDir: join(out, '.engine', 'temp'),
    idleExitSeconds: ENGINE_IDLE_EXIT_SECONDS,
    parallel: slots,
    token,
  });
  options.log.info(
    `embedded engine ${server.started ? 'started' : 'still running'} at ${server.url}, ${server.parallel} prompt(s) at once`,
  );
  if (server.parallel !== slots)
    options.log.warn(
      `embedded engine: it runs prompts, so it keeps ${server.parallel} slot(s) until it is idle; the ${slots} of comfyuiRunner.engine.slots apply when the runner next opens`,
    );
  return localServerSettings(server, { name: 'embedded', slots: server.parallel });
}

/** An event as the log shows it: progress and ComfyUI messages without their bulk. */
function logged(event: Parameters<Parameters<Runner['subscribe']>[0]>[0]): unknown {
  if (event.type === 'job/added' || event.type === 'job/state') {
    const { job, ...rest } = event;
    return { ...rest, job: { id: job.id, state: job.state, server: job.server } };
  }
  if (event.type === 'job/comfy') return { type: event.type, jobId: event.jobId, message: event.event.type };
  if (event.type === 'job/preview')
    return { type: event.type, jobId: event.jobId, bytes: event.image.length };
  return event;
}
