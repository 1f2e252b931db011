/**
 * The Servers tree: the embedded engine and each server of the pool, glue between VS Code's tree view
 * and the core's servers overview (core/run/serversOverview.ts). It asks the runner for each server's
 * `/system_stats` when the runner opens, when a server's health changes, when a job ends there (at most
 * every few seconds) and on refresh; and for each server's verdict on the workflow in the active editor.
 * With no server configured it shows nothing, so that the view's welcome content shows instead.
 */
import * as vscode from 'vscode';
import type { Runner, RunnerEvent } from '../../core/run/runner';
import { ServersOverview } from '../../core/run/serversOverview';
import { serverDetails, serverItem, type ServerDetail } from '../../core/run/serversOverviewItems';
import type { ServerHealth } from '../../core/run/serversOverview';
import { isRunnerError } from '../../core/util/runnerError';

/** A server's item; `serverUrl` (a configured server's) is what the server commands take. */
export interface ServerNode {
  readonly kind: 'server';
  readonly name: string;
  readonly serverUrl?: string;
}

/** A detail line under a server. */
export interface ServerDetailNode {
  readonly kind: 'detail';
  readonly server: string;
  readonly detail: ServerDetail;
}

/** An item of the Servers tree. */
export type ServersNode = ServerNode | ServerDetailNode;

/** The workflow in the editor, as the tree needs it. */
export interface WorkflowDocument {
  readonly fileName: string;
  getText(): string;
}

/** Options of {@link ServersTreeProvider}. */
export interface ServersTreeOptions {
  /** Whether any server besides the engine is configured; when not, the tree is empty. */
  readonly configured: () => boolean;
  /** The configured URL of the server of that pool name, for the server commands. @default none */
  readonly urlOf?: (name: string) => string | undefined;
  /** The least time between two stats requests to one server after its jobs end, in ms. @default 10000 */
  readonly statsIntervalMs?: number;
  /** The least time between two redraws, in ms. @default 100 */
  readonly refreshMs?: number;
}

const healthIcons: Record<ServerHealth, [string, string?]> = {
  ok: ['vm-active', 'testing.iconPassed'],
  connecting: ['loading~spin'],
  unreachable: ['debug-disconnect', 'errorForeground'],
  auth: ['lock', 'errorForeground'],
  disabled: ['circle-slash'],
};

const detailIcons: Record<ServerDetail['kind'], string> = {
  device: 'circuit-board',
  memory: 'server',
  incapable: 'warning',
  unknown: 'question',
  error: 'error',
};

/** The Servers tree's data; see the file comment. */
export class ServersTreeProvider implements vscode.TreeDataProvider<ServersNode>, vscode.Disposable {
  readonly overview = new ServersOverview();
  private readonly changed = new vscode.EventEmitter<ServersNode | ServersNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, ServerNode>();
  private readonly asked = new Map<string, number>();
  private runner: Runner | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private workflow: WorkflowDocument | undefined;
  private verdictsAsked = 0;

  constructor(private readonly options: ServersTreeOptions) {}

  /** Shows a runner's servers from now on. */
  attach(runner: Runner): void {
    this.unsubscribe?.();
    this.runner = runner;
    this.unsubscribe = runner.subscribe((event) => this.onEvent(event));
    void this.refresh();
  }

  /** Reads the servers again, asks each for its stats and the verdicts on the workflow in the editor. */
  async refresh(): Promise<void> {
    const runner = this.runner;
    if (!runner) return this.fire(undefined);
    this.overview.reset(runner.snapshot());
    this.fire(undefined);
    await Promise.all([
      ...this.overview.servers().map((s) => this.askStats(s.view.name)),
      this.askVerdicts(),
    ]);
  }

  /** The workflow in the active editor changed (or was saved): ask each server's verdict on it. */
  setWorkflow(doc: WorkflowDocument | undefined): Promise<void> {
    this.workflow = doc && /\.json$/i.test(doc.fileName) ? doc : undefined;
    return this.askVerdicts();
  }

  /** The servers setting changed: everything is drawn again. */
  configurationChanged(): void {
    this.nodes.clear();
    this.fire(undefined);
  }

  getTreeItem(node: ServersNode): vscode.TreeItem {
    if (node.kind === 'detail') {
      const { detail } = node;
      const item = new vscode.TreeItem(detail.label, vscode.TreeItemCollapsibleState.None);
      item.id = `detail:${detail.id}`;
      item.description = detail.description;
      item.tooltip = [detail.label, detail.description].filter(Boolean).join(': ');
      item.iconPath = new vscode.ThemeIcon(detailIcons[detail.kind]);
      item.contextValue = `detail-${detail.kind}`;
      return item;
    }
    const entry = this.overview.server(node.name)!;
    const s = serverItem(entry, this.overview.workflowFile);
    const item = new vscode.TreeItem(s.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = s.id;
    item.description = s.description;
    item.tooltip = s.tooltip;
    item.contextValue = s.contextValue;
    const [icon, color] = node.name === 'embedded' && s.health === 'ok' ? ['chip'] : healthIcons[s.health];
    item.iconPath = new vscode.ThemeIcon(
      icon,
      color === undefined ? undefined : new vscode.ThemeColor(color),
    );
    return item;
  }

  getChildren(node?: ServersNode): ServersNode[] {
    if (node === undefined) {
      if (!this.runner || !this.options.configured()) return [];
      return this.overview.servers().map((s) => this.nodeOf(s.view.name));
    }
    if (node.kind === 'detail') return [];
    const entry = this.overview.server(node.name);
    if (!entry) return [];
    return serverDetails(entry, this.overview.workflowFile).map((detail) => ({
      kind: 'detail',
      server: node.name,
      detail,
    }));
  }

  getParent(node: ServersNode): ServersNode | undefined {
    return node.kind === 'detail' ? this.nodeOf(node.server) : undefined;
  }

  dispose(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.changed.dispose();
  }

  private onEvent(event: RunnerEvent): void {
    this.overview.apply(event);
    if (event.type === 'target/health') void this.askStats(event.target.name);
    if (event.type === 'job/state' && event.job.server && isEnd(event.to))
      void this.askStatsSoon(event.job.server);
    this.schedule();
  }

  /** Asks a server for its stats now. */
  private async askStats(name: string): Promise<void> {
    const runner = this.runner;
    if (!runner) return;
    this.asked.set(name, performance.now());
    try {
      this.overview.setStats(name, { ok: true, stats: await runner.serverStats(name) });
    } catch (e) {
      const reason = isRunnerError(e) ? e.reason : 'internal';
      this.overview.setStats(name, {
        ok: false,
        reason,
        message: e instanceof Error ? e.message : String(e),
      });
    }
    this.schedule();
  }

  /** Asks a server for its stats unless it was asked a short while ago. */
  private askStatsSoon(name: string): Promise<void> {
    const last = this.asked.get(name) ?? -Infinity;
    if (performance.now() - last < (this.options.statsIntervalMs ?? 10_000)) return Promise.resolve();
    return this.askStats(name);
  }

  /** Asks each server's verdict on the workflow in the editor; the last request asked wins. */
  private async askVerdicts(): Promise<void> {
    const runner = this.runner;
    const doc = this.workflow;
    const asked = ++this.verdictsAsked;
    if (!runner || !doc) {
      this.overview.setVerdicts(undefined);
      return this.schedule();
    }
    try {
      const verdicts = await runner.whyNot({ file: doc.fileName, content: doc.getText() });
      if (asked === this.verdictsAsked) this.overview.setVerdicts(doc.fileName, verdicts);
    } catch {
      // Not a workflow (or not one that converts): nothing to say about it.
      if (asked === this.verdictsAsked) this.overview.setVerdicts(undefined);
    }
    this.schedule();
  }

  private nodeOf(name: string): ServerNode {
    let node = this.nodes.get(name);
    if (!node) {
      const serverUrl = this.options.urlOf?.(name);
      node = serverUrl === undefined ? { kind: 'server', name } : { kind: 'server', name, serverUrl };
      this.nodes.set(name, node);
    }
    return node;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.options.refreshMs ?? 100);
  }

  /** Tells the tree which servers changed. @internal exposed for tests */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const changes = this.overview.takeChanges();
    if (changes.root) this.fire(undefined);
    else if (changes.names.length > 0) this.fire(changes.names.map((n) => this.nodeOf(n)));
  }

  private fire(nodes: ServersNode[] | undefined): void {
    this.changed.fire(nodes);
  }
}

function isEnd(state: string): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled' || state === 'lost';
}
