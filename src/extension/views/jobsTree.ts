/**
 * The Jobs tree: glue between VS Code's tree view and the core's jobs overview (core/run/jobsOverview.ts).
 * The runner's events go into the overview as they come; the tree is told what changed at most once per
 * refresh interval (the first change at once, the ones after it gathered), and only the items that
 * changed, so thousands of progress steps or finished jobs cost a few redraws a second.
 */
import * as vscode from 'vscode';
import type { JobSource } from '../../core/run/runner';
import { JobsOverview, type JobsOverviewOptions } from '../../core/run/jobsOverview';
import { overviewItem, type OverviewIcon } from '../../core/run/jobsOverviewItems';
import type { JobGroup, OverviewNode } from '../../core/run/jobsOverviewNodes';

/** Options of {@link JobsTreeProvider}. */
export interface JobsTreeOptions extends JobsOverviewOptions {
  /** The least time between two redraws, in ms: an event shows within this and one redraw. @default 40 */
  readonly refreshMs?: number;
  /** How often the elapsed times of running jobs are drawn again, in ms. @default 1000 */
  readonly tickMs?: number;
  /** The clock of the times shown. @default Date.now */
  readonly now?: () => number;
}

/** The codicon and colour of each icon key of the overview. */
const icons: Record<OverviewIcon, [string, string?]> = {
  queued: ['clock'],
  blocked: ['warning', 'problemsWarningIcon.foreground'],
  dispatching: ['loading~spin'],
  running: ['sync~spin'],
  cancelling: ['loading~spin'],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash'],
  lost: ['question', 'problemsWarningIcon.foreground'],
  'group-running': ['run-all'],
  'group-queued': ['list-ordered'],
  'group-finished': ['check-all'],
  'group-failed': ['error'],
  'batch-running': ['layers-active'],
  'batch-queued': ['layers'],
  'batch-finished': ['layers'],
  'batch-failed': ['layers'],
  more: ['ellipsis'],
};

const collapsible = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

/** The command the "show more" items run. */
export const SHOW_MORE_COMMAND = 'comfyuiRunner.showMoreJobs';

/** The Jobs tree's data; see the file comment. */
export class JobsTreeProvider implements vscode.TreeDataProvider<OverviewNode>, vscode.Disposable {
  readonly overview: JobsOverview;
  private readonly changed = new vscode.EventEmitter<OverviewNode | OverviewNode[] | undefined>();
  private readonly counted = new vscode.EventEmitter<Record<JobGroup, number>>();
  /** Fired with the nodes to draw again (undefined: everything). */
  readonly onDidChangeTreeData = this.changed.event;
  /** Fired after every redraw with each group's count (badge, status bar). */
  readonly onDidChangeCounts = this.counted.event;
  private readonly refreshMs: number;
  private readonly tickMs: number;
  private readonly now: () => number;
  private source: JobSource | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private lastFlush = -Infinity;

  constructor(options: JobsTreeOptions = {}) {
    this.overview = new JobsOverview(options);
    this.refreshMs = options.refreshMs ?? 40;
    this.tickMs = options.tickMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Shows the jobs of a runner (or of a store another process runs) from now on: its snapshot, then its events. */
  attach(source: JobSource): void {
    this.unsubscribe?.();
    this.source = source;
    // Subscribing and taking the snapshot in one tick: no event falls between them.
    this.unsubscribe = source.subscribe((event) => {
      this.overview.apply(event);
      this.schedule();
    });
    this.reload();
  }

  /** Starts again from the source's snapshot. */
  reload(): void {
    if (!this.source) return;
    this.overview.reset(this.source.snapshot());
    this.flush();
  }

  /** Draws the changes soon: at once if the last redraw is older than the interval, else when it is. */
  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.refreshMs - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Tells the tree what changed since the last redraw, now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlush = performance.now();
    const changes = this.overview.takeChanges();
    if (changes.root) this.changed.fire(undefined);
    else if (changes.nodes.length > 0) this.changed.fire(changes.nodes);
    const counts = this.overview.counts();
    this.keepTicking(counts.running > 0);
    if (changes.root || changes.nodes.length > 0) this.counted.fire(counts);
  }

  getTreeItem(node: OverviewNode): vscode.TreeItem {
    const item = overviewItem(this.overview, node, this.now());
    const tree = new vscode.TreeItem(item.label, collapsible[item.collapsible]);
    tree.id = item.id;
    tree.description = item.description;
    tree.tooltip = item.tooltip;
    tree.contextValue = item.contextValue;
    const [icon, color] = icons[item.icon];
    tree.iconPath = new vscode.ThemeIcon(
      icon,
      color === undefined ? undefined : new vscode.ThemeColor(color),
    );
    if (node.kind === 'more')
      tree.command = { command: SHOW_MORE_COMMAND, title: item.label, arguments: [node] };
    return tree;
  }

  getChildren(node?: OverviewNode): OverviewNode[] {
    return this.overview.children(node);
  }

  getParent(node: OverviewNode): OverviewNode | undefined {
    return this.overview.parent(node);
  }

  dispose(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.keepTicking(false);
    this.changed.dispose();
    this.counted.dispose();
  }

  /** Redraws running jobs every tick while any runs, for their elapsed times. */
  private keepTicking(on: boolean): void {
    if (on && !this.ticker) {
      this.ticker = setInterval(() => {
        this.overview.touchRunning();
        this.schedule();
      }, this.tickMs);
      this.ticker.unref?.();
    } else if (!on && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }
}
