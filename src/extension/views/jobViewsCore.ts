/**
 * The heavy half of the Jobs and Servers views (loaded with extensionCore.ts when the runner opens):
 * their tree providers over the core's overviews, and the handlers of their commands.
 */
import type { Runner } from '../../core/run/runner';
import type { RunnerHost } from '../runnerHost';
import { jobCommands, type JobActionContext } from './jobActions';
import { JobsTreeProvider } from './jobsTree';
import { ServersTreeProvider, type ServersTreeOptions } from './serversTree';

/** The views' providers and command handlers, over one host. */
export interface JobViewsCore {
  readonly jobs: JobsTreeProvider;
  readonly servers: ServersTreeProvider;
  /** Shows a runner's jobs and servers (again, after the runner reopened). */
  attach(runner: Runner): void;
  /** Runs one of {@link viewCommandTable}'s commands. */
  run(id: string, args: unknown[]): Promise<void>;
  dispose(): void;
}

/** A view command's handler. */
type ViewCommand = (core: JobViewsCore, ctx: JobActionContext, ...args: unknown[]) => Promise<void>;

/** The views' command ids and their handlers; each is contributed in package.json. */
export const viewCommandTable: Record<string, ViewCommand> = {
  ...Object.fromEntries(
    Object.entries(jobCommands).map(([id, action]) => [
      id,
      ((_core, ctx, ...args) => action(ctx, ...args)) as ViewCommand,
    ]),
  ),
  'comfyuiRunner.refreshServers': (core) => core.servers.refresh(),
};

/** The providers and handlers; see {@link JobViewsCore}. */
export function openJobViews(host: RunnerHost, servers: ServersTreeOptions): JobViewsCore {
  const jobs = new JobsTreeProvider();
  const serversTree = new ServersTreeProvider(servers);
  const ctx: JobActionContext = { host, tree: jobs };
  const core: JobViewsCore = {
    jobs,
    servers: serversTree,
    attach: (runner) => {
      jobs.attach(runner);
      serversTree.attach(runner);
    },
    run: (id, args) => viewCommandTable[id](core, ctx, ...args),
    dispose: () => {
      jobs.dispose();
      serversTree.dispose();
    },
  };
  return core;
}
