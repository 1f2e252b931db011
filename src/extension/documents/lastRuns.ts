/**
 * The latest run of each workflow file, as the lenses and the Explorer decorations show it. The
 * documents glue only reads {@link LastRuns}; the runner host supplies it ({@link runnerLastRuns} over
 * the host's runner), so nothing here opens a runner.
 */
import * as vscode from 'vscode';
import type { Job } from '../../core/jobs/job';
import { LatestRuns } from '../../core/run/lastRun';
import type { JobSource, Runner } from '../../core/run/runner';

/** Where the latest run of a workflow file comes from. */
export interface LastRuns {
  /** The latest job of the workflow file at `file` (a file system path), if it ran. */
  lastRunOf(file: string): Job | undefined;
  /** Fires with the paths whose latest run changed, or undefined when any may have. */
  readonly onDidChange: vscode.Event<readonly string[] | undefined>;
}

/** Nothing has run: for a window without a runner, and for tests. */
export const noLastRuns: LastRuns = {
  lastRunOf: () => undefined,
  onDidChange: () => ({ dispose: () => undefined }),
};

/** What {@link runnerLastRuns} needs of the runner host: the runner once it is open, or a store it follows. */
export interface RunnerSource {
  readonly current: Runner | undefined;
  readonly onDidOpen: vscode.Event<Runner>;
  readonly onDidWatch: vscode.Event<JobSource>;
}

/**
 * The latest runs of the host's runner: empty until the runner opens (this never opens it), then its
 * jobs from its snapshot and every job it adds or moves after that; meanwhile those of a store another
 * process runs, when the host follows one.
 */
export function runnerLastRuns(host: RunnerSource): LastRuns & vscode.Disposable {
  const latest = new LatestRuns();
  const changed = new vscode.EventEmitter<readonly string[] | undefined>();
  let unsubscribe: (() => void) | undefined;
  const follow = (source: JobSource) => {
    unsubscribe?.();
    latest.clear();
    for (const view of source.snapshot().jobs) latest.note(view.job);
    unsubscribe = source.subscribe((event) => {
      if ((event.type === 'job/added' || event.type === 'job/state') && latest.note(event.job))
        changed.fire([event.job.workflow.file]);
    });
    changed.fire(undefined);
  };
  if (host.current) follow(host.current);
  const opened = vscode.Disposable.from(host.onDidOpen(follow), host.onDidWatch(follow));
  return {
    lastRunOf: (file) => latest.of(file),
    onDidChange: changed.event,
    dispose: () => {
      unsubscribe?.();
      opened.dispose();
      changed.dispose();
    },
  };
}
