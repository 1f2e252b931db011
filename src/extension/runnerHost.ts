/**
 * The workspace's runner in the extension host: opened on first use (never at activation), over the
 * store in the workspace's `comfy-runs/` folder, the same the command line uses, so both see the same
 * jobs. Opening takes the store back: queued jobs stay queued and jobs on servers are reattached by
 * prompt id. The host owns the runner's lifetime and closes it when the extension deactivates.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { openRunner, type Runner } from '../core/run/runner';
import type { ServerSpec } from '../core/run/serverSettings';
import { readRunnerConfig, serverSettings } from './settings';

/** The runner's owner; views and commands reach the runner through it. */
export interface RunnerHost extends vscode.Disposable {
  /** The runner when it is open; undefined before first use. */
  readonly current: Runner | undefined;
  /** Opens the runner if it is not open yet; rejects with a RunnerError when it cannot. */
  ensure(): Promise<Runner>;
  /** Fires once the runner is open (views subscribe to its events then). */
  readonly onDidOpen: vscode.Event<Runner>;
  /** The workspace folder the runner works in. */
  readonly folder: string | undefined;
  /** Closes the runner (jobs on servers go on, to be taken back next time). */
  close(): Promise<void>;
}

/** Options of {@link createRunnerHost}. */
export interface RunnerHostOptions {
  readonly secrets: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
}

/** Creates the host; nothing is opened until {@link RunnerHost.ensure}. */
export function createRunnerHost(options: RunnerHostOptions): RunnerHost {
  const opened = new vscode.EventEmitter<Runner>();
  let current: Runner | undefined;
  let opening: Promise<Runner> | undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const open = async (): Promise<Runner> => {
    if (!folder) throw new Error('Open a folder first: runs and their outputs are kept in it.');
    const config = readRunnerConfig();
    const out = join(folder, config.outputFolder);
    const servers: ServerSpec[] = ['embedded', ...(await serverSettings(config, options.secrets))];
    const runner = await openRunner({
      storeDir: join(out, '.store'),
      unfinished: 'resume',
      servers,
      out,
      inputDir: join(folder, 'input'),
      concurrency: config.maxConcurrentJobs > 0 ? config.maxConcurrentJobs : undefined,
      onNoTarget: 'wait',
      onProblem: (e) => options.log.warn(e.message),
    });
    runner.subscribe((event) => options.log.trace(JSON.stringify(logged(event))));
    current = runner;
    opened.fire(runner);
    return runner;
  };
  return {
    get current() {
      return current;
    },
    folder,
    onDidOpen: opened.event,
    ensure: () => {
      opening ??= open().catch((e: unknown) => {
        opening = undefined;
        throw e;
      });
      return opening;
    },
    close: async () => {
      const runner = current;
      current = undefined;
      opening = undefined;
      await runner?.close();
    },
    dispose: () => opened.dispose(),
  };
}

/** An event as the log shows it: progress and ComfyUI messages without their bulk. */
function logged(event: Parameters<Parameters<Runner['subscribe']>[0]>[0]): unknown {
  if (event.type === 'job/added' || event.type === 'job/state') {
    const { job, ...rest } = event;
    return { ...rest, job: { id: job.id, state: job.state, server: job.server } };
  }
  if (event.type === 'job/comfy') return { type: event.type, jobId: event.jobId, message: event.event.type };
  return event;
}
