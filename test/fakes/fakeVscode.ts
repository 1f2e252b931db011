/**
 * A small fake of the `vscode` module for unit tests of the glue in src/extension: it records what the
 * extension registers and shows. Installed for `require('vscode')` by {@link installFakeVscode}.
 */
import Module from 'node:module';

/** What the fake saw. */
export interface FakeVscodeRecord {
  commands: Map<string, (...args: unknown[]) => unknown>;
  diagnostics: Map<string, { message: string; code: unknown; range: FakeRange }[]>;
  messages: { level: 'info' | 'warning' | 'error'; text: string }[];
  opened: { language?: string; content?: string }[];
  activeDocument?: { fileName: string; text: string };
  /** Settings the extension reads, by key without the `comfyuiRunner.` section; absent means the default. */
  settings: Map<string, unknown>;
  /** Lines written to the extension's log output channel. */
  log: string[];
  /** Tree views by id, with the provider each was created with. */
  treeViews: Map<string, FakeTreeView>;
  /** Status bar items, in the order they were created. */
  statusBarItems: FakeStatusBarItem[];
  /** Commands run through `commands.executeCommand` (`setContext` among them), with their arguments. */
  executed: { id: string; args: unknown[] }[];
  /** What was written to the clipboard, last last. */
  clipboard: string[];
  /** What `window.showTextDocument` was asked to show. */
  shown: unknown[];
  /** Fires `window.onDidChangeActiveTextEditor`. */
  activeEditorChanged: FakeEventEmitter<unknown>;
  /** Fires `workspace.onDidChangeConfiguration` with the event given. */
  configurationChanged: FakeEventEmitter<{ affectsConfiguration(section: string): boolean }>;
  /** Fires `workspace.onDidSaveTextDocument`. */
  documentSaved: FakeEventEmitter<unknown>;
}

/** A tree view as `window.createTreeView` makes it; the test reads what the extension set on it. */
export interface FakeTreeView {
  readonly id: string;
  readonly options: {
    treeDataProvider: FakeTreeDataProvider;
    canSelectMany?: boolean;
    showCollapseAll?: boolean;
  };
  badge?: { value: number; tooltip: string };
  description?: string;
  message?: string;
  selection: unknown[];
  visible: boolean;
  revealed: unknown[];
  disposed: boolean;
}

/** The parts of a tree data provider the fake calls. */
export interface FakeTreeDataProvider {
  onDidChangeTreeData?: (listener: (e: unknown) => void) => { dispose(): void };
  getTreeItem(element: unknown): FakeTreeItem | Promise<FakeTreeItem>;
  getChildren(element?: unknown): unknown[] | undefined | null | Promise<unknown[] | undefined | null>;
  getParent?(element: unknown): unknown;
}

/** A status bar item as `window.createStatusBarItem` makes it. */
export interface FakeStatusBarItem {
  readonly alignment: number;
  readonly priority?: number;
  name?: string;
  text: string;
  tooltip?: string;
  command?: string;
  visible: boolean;
  disposed: boolean;
}

/** VS Code's TreeItem, as extensions fill it in. */
export class FakeTreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  iconPath?: FakeThemeIcon;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState: number = 0,
  ) {}
}

/** VS Code's ThemeIcon: a codicon id and an optional colour. */
export class FakeThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: FakeThemeColor,
  ) {}
}

/** VS Code's ThemeColor: a colour id of the theme. */
export class FakeThemeColor {
  constructor(readonly id: string) {}
}

class FakeRange {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}

class FakeDiagnostic {
  source?: string;
  code?: unknown;
  constructor(
    readonly range: FakeRange,
    readonly message: string,
    readonly severity: number,
  ) {}
}

/** VS Code's event emitter, as extensions use it. */
export class FakeEventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** A log output channel that keeps its lines. */
function fakeLogChannel(lines: string[]) {
  const put = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return {
    trace: put('trace'),
    debug: put('debug'),
    info: put('info'),
    warn: put('warn'),
    error: put('error'),
    appendLine: put('line'),
    show: () => undefined,
    dispose: () => undefined,
  };
}

/** Builds the fake module and a record of what it saw. */
export function createFakeVscode(): { module: unknown; record: FakeVscodeRecord } {
  const record: FakeVscodeRecord = {
    commands: new Map(),
    diagnostics: new Map(),
    messages: [],
    opened: [],
    settings: new Map(),
    log: [],
    treeViews: new Map(),
    statusBarItems: [],
    executed: [],
    clipboard: [],
    shown: [],
    activeEditorChanged: new FakeEventEmitter(),
    configurationChanged: new FakeEventEmitter(),
    documentSaved: new FakeEventEmitter(),
  };
  const message = (level: 'info' | 'warning' | 'error') => (text: string) => {
    record.messages.push({ level, text });
    return Promise.resolve(undefined);
  };
  const doc = () =>
    record.activeDocument && {
      fileName: record.activeDocument.fileName,
      uri: { fsPath: record.activeDocument.fileName, toString: () => record.activeDocument!.fileName },
      getText: () => record.activeDocument!.text,
    };
  const module = {
    Range: FakeRange,
    EventEmitter: FakeEventEmitter,
    Diagnostic: FakeDiagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    Uri: { file: (p: string) => ({ fsPath: p, scheme: 'file', toString: () => `file://${p}` }) },
    TreeItem: FakeTreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: FakeThemeIcon,
    ThemeColor: FakeThemeColor,
    StatusBarAlignment: { Left: 1, Right: 2 },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        record.commands.set(id, fn);
        return { dispose: () => record.commands.delete(id) };
      },
      executeCommand: (id: string, ...args: unknown[]) => {
        record.executed.push({ id, args });
        return Promise.resolve(undefined);
      },
    },
    env: {
      clipboard: {
        writeText: (text: string) => {
          record.clipboard.push(text);
          return Promise.resolve();
        },
      },
    },
    languages: {
      createDiagnosticCollection: () => ({
        set: (uri: { fsPath: string }, items: FakeDiagnostic[]) =>
          record.diagnostics.set(
            uri.fsPath,
            items.map((d) => ({ message: d.message, code: d.code, range: d.range })),
          ),
        dispose: () => undefined,
      }),
    },
    window: {
      get activeTextEditor() {
        const d = doc();
        return d ? { document: d } : undefined;
      },
      showInformationMessage: message('info'),
      showWarningMessage: message('warning'),
      showErrorMessage: message('error'),
      showTextDocument: (what: unknown) => {
        record.shown.push(what);
        return Promise.resolve(undefined);
      },
      createOutputChannel: () => fakeLogChannel(record.log),
      onDidChangeActiveTextEditor: record.activeEditorChanged.event,
      createTreeView: (id: string, options: FakeTreeView['options']) => {
        const view: FakeTreeView = {
          id,
          options,
          selection: [],
          visible: true,
          revealed: [],
          disposed: false,
        };
        record.treeViews.set(id, view);
        return Object.assign(view, {
          reveal: (element: unknown) => {
            view.revealed.push(element);
            return Promise.resolve();
          },
          dispose: () => {
            view.disposed = true;
          },
        });
      },
      createStatusBarItem: (alignment: number, priority?: number) => {
        const item: FakeStatusBarItem = { alignment, priority, text: '', visible: false, disposed: false };
        record.statusBarItems.push(item);
        return Object.assign(item, {
          show: () => {
            item.visible = true;
          },
          hide: () => {
            item.visible = false;
          },
          dispose: () => {
            item.disposed = true;
          },
        });
      },
    },
    workspace: {
      workspaceFolders: undefined,
      getConfiguration: () => ({
        get: <T>(key: string, fallback: T) =>
          record.settings.has(key) ? (record.settings.get(key) as T) : fallback,
      }),
      asRelativePath: (uri: { fsPath: string }) => uri.fsPath,
      onDidChangeConfiguration: record.configurationChanged.event,
      onDidSaveTextDocument: record.documentSaved.event,
      openTextDocument: (opts: { language?: string; content?: string }) => {
        record.opened.push(opts);
        return Promise.resolve(opts);
      },
      fs: { readFile: () => Promise.reject(new Error('not used')) },
    },
  };
  return { module, record };
}

/** Makes `require('vscode')` return `fake` from now on. */
export function installFakeVscode(fake: unknown): void {
  const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return fake;
    return original.call(this, request, ...rest);
  };
}

let shared: { module: unknown; record: FakeVscodeRecord } | undefined;

/**
 * The one fake every test file of the glue uses, installed on first call. Modules of src/extension bind
 * `vscode` once, when first loaded, so two files installing fakes of their own would see each other's.
 */
export function sharedFakeVscode(): { module: unknown; record: FakeVscodeRecord } {
  if (!shared) {
    shared = createFakeVscode();
    installFakeVscode(shared.module);
  }
  return shared;
}
