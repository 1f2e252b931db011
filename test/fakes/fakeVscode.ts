/**
 * A small fake of the `vscode` module for unit tests of the glue in src/extension: it records what the
 * extension registers and shows, and lets a test open, edit, show and close documents, which fires the
 * events VS Code would. Installed for `require('vscode')` by {@link installFakeVscode}; test files share
 * one installation through {@link sharedFakeVscode}, since the extension's modules, once loaded, keep
 * the `vscode` they were loaded with.
 */
import { readFile, stat } from 'node:fs/promises';
import Module from 'node:module';

/** What the fake saw. */
export interface FakeVscodeRecord {
  commands: Map<string, (...args: unknown[]) => unknown>;
  /** Commands the extension executed other than `setContext`, in order. */
  executed: { command: string; args: unknown[] }[];
  /** Context keys the extension set with `setContext`. */
  context: Map<string, unknown>;
  diagnostics: Map<string, { message: string; code: unknown; source?: string; range: FakeRange }[]>;
  messages: { level: 'info' | 'warning' | 'error'; text: string }[];
  opened: { language?: string; content?: string }[];
  /** The active editor's document, set by a test directly (see also {@link FakeDocuments.show}). */
  activeDocument?: { fileName: string; text: string };
  /** Settings the extension reads, by key without the `comfyuiRunner.` section; absent means the default. */
  settings: Map<string, unknown>;
  /** Lines written to the extension's log output channel. */
  log: string[];
  codeLensProviders: FakeCodeLensProvider[];
  decorationProviders: FakeDecorationProvider[];
  /**
   * What the next input boxes and quick picks answer, in order (a quick pick's answer is its label). An
   * answer the input box's `validateInput` refuses is not accepted: the box answers undefined, as if
   * the user gave up, and the refusal is kept in {@link refused}.
   */
  answers: (string | undefined)[];
  /** The quick picks and input boxes shown, in order: their items (quick picks) and options. */
  prompts: { kind: 'quickPick' | 'inputBox'; items?: unknown[]; options?: Record<string, unknown> }[];
  /** What `validateInput` said of answers it refused. */
  refused: string[];
  /** Whether the workspace is trusted. */
  trusted: boolean;
  /** Tree views by id, with the provider each was created with. */
  treeViews: Map<string, FakeTreeView>;
  /** Status bar items, in the order they were created. */
  statusBarItems: FakeStatusBarItem[];
  /** What was written to the clipboard, last last. */
  clipboard: string[];
  /** What `window.showTextDocument` was asked to show. */
  shown: unknown[];
  /** Webview panels created, in order. */
  webviewPanels: FakeWebviewPanel[];
  /** Webview panel serializers by view type. */
  serializers: Map<string, { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> }>;
}

/** A webview panel as `window.createWebviewPanel` makes it; the test plays the webview's side. */
export class FakeWebviewPanel {
  title: string;
  html = '';
  options: Record<string, unknown>;
  /** Messages the extension posted to the webview, in order. */
  readonly posted: unknown[] = [];
  revealed = 0;
  disposed = false;
  private readonly received = new FakeEventEmitter<unknown>();
  private readonly closed = new FakeEventEmitter<void>();
  readonly webview: {
    html: string;
    options: Record<string, unknown>;
    cspSource: string;
    asWebviewUri(uri: FakeUri): { toString(): string };
    postMessage(message: unknown): Promise<boolean>;
    onDidReceiveMessage: FakeEventEmitter<unknown>['event'];
  };

  constructor(
    readonly viewType: string,
    title: string,
    options: Record<string, unknown> = {},
  ) {
    this.title = title;
    this.options = options;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the webview's accessors write the panel's fields
    const panel = this;
    this.webview = {
      get html() {
        return panel.html;
      },
      set html(v: string) {
        panel.html = v;
      },
      get options() {
        return panel.options;
      },
      set options(v: Record<string, unknown>) {
        panel.options = v;
      },
      cspSource: 'https://webview.test',
      asWebviewUri: (uri: FakeUri) => ({ toString: () => `https://webview.test${uri.fsPath}` }),
      postMessage: (message: unknown) => {
        panel.posted.push(message);
        return Promise.resolve(true);
      },
      onDidReceiveMessage: this.received.event,
    };
  }

  readonly onDidDispose = (listener: () => void) => this.closed.event(listener);

  reveal(): void {
    this.revealed++;
  }

  /** Plays the webview: sends `message` to the extension. */
  send(message: unknown): void {
    this.received.fire(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.closed.fire();
  }
}

/** What the fake's `window.showInputBox` reads of its options. */
interface FakeInputBoxOptions {
  validateInput?: (value: string) => string | undefined | null | Promise<string | undefined | null>;
  [key: string]: unknown;
}

/** A tree view as `window.createTreeView` makes it; the test reads what the extension set on it. */
export interface FakeTreeView {
  readonly id: string;
  readonly options: { treeDataProvider: unknown; canSelectMany?: boolean; showCollapseAll?: boolean };
  badge?: { value: number; tooltip: string };
  description?: string;
  message?: string;
  selection: unknown[];
  visible: boolean;
  revealed: unknown[];
  disposed: boolean;
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

/** What a code lens provider offers, as the extension registers it. */
export interface FakeCodeLensProvider {
  provideCodeLenses(doc: FakeTextDocument): FakeCodeLens[];
  onDidChangeCodeLenses?: (listener: () => void) => { dispose(): void };
}

/** What a file decoration provider offers, as the extension registers it. */
export interface FakeDecorationProvider {
  provideFileDecoration(uri: FakeUri): FakeFileDecoration | undefined;
  onDidChangeFileDecorations?: (listener: (uris: FakeUri[] | undefined) => void) => { dispose(): void };
}

/** Lets a test act as the user on documents; each call fires the event VS Code would. */
export interface FakeDocuments {
  open(fileName: string, text: string, languageId?: string): FakeTextDocument;
  /** Replaces the whole text: a new version, one content change. */
  edit(doc: FakeTextDocument, text: string): void;
  /** Makes `doc` the active text editor's, or leaves no text editor active (with `tabUri`, a tab shows it). */
  show(doc: FakeTextDocument | undefined, tabUri?: FakeUri): void;
  close(doc: FakeTextDocument): void;
  /** Changes a setting and tells the extension, as the Settings editor does. */
  setSetting(key: string, value: unknown): void;
  /** Saves a document: fires `onDidSaveTextDocument`. */
  save(doc: FakeTextDocument): void;
}

export class FakeUri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  get path(): string {
    return this.fsPath;
  }
  static file(path: string): FakeUri {
    return new FakeUri('file', path);
  }

  static joinPath(base: FakeUri, ...parts: string[]): FakeUri {
    return new FakeUri(base.scheme, [base.fsPath, ...parts].join('/'));
  }
  toString(): string {
    return `${this.scheme}:${this.fsPath}`;
  }
}

export class FakeTextDocument {
  version = 1;
  isClosed = false;
  constructor(
    readonly uri: FakeUri,
    public text: string,
    readonly languageId: string,
  ) {}
  get fileName(): string {
    return this.uri.fsPath;
  }
  getText(): string {
    return this.text;
  }
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

export class FakeCodeLens {
  constructor(
    readonly range: FakeRange,
    readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string },
  ) {}
}

export class FakeThemeColor {
  constructor(readonly id: string) {}
}

export class FakeFileDecoration {
  constructor(
    readonly badge?: string,
    readonly tooltip?: string,
    readonly color?: FakeThemeColor,
  ) {}
}

class FakeDisposable {
  constructor(private readonly callOnDispose: () => void) {}
  static from(...items: { dispose(): unknown }[]): FakeDisposable {
    return new FakeDisposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
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

/** Registers `item` in `list` until the returned disposable is disposed. */
function listed<T>(list: T[], item: T) {
  list.push(item);
  return { dispose: () => list.splice(list.indexOf(item) >>> 0, 1) };
}

/** Builds the fake module, a record of what it saw and the documents a test acts on. */
export function createFakeVscode(): { module: unknown; record: FakeVscodeRecord; documents: FakeDocuments } {
  const record: FakeVscodeRecord = {
    commands: new Map(),
    executed: [],
    context: new Map(),
    diagnostics: new Map(),
    messages: [],
    opened: [],
    settings: new Map(),
    log: [],
    codeLensProviders: [],
    decorationProviders: [],
    answers: [],
    prompts: [],
    refused: [],
    trusted: true,
    treeViews: new Map(),
    statusBarItems: [],
    clipboard: [],
    shown: [],
    webviewPanels: [],
    serializers: new Map(),
  };
  const answer = () => Promise.resolve(record.answers.shift());
  const message = (level: 'info' | 'warning' | 'error') => (text: string) => {
    record.messages.push({ level, text });
    return Promise.resolve(undefined);
  };
  const textDocuments: FakeTextDocument[] = [];
  let activeEditorDocument: FakeTextDocument | undefined;
  let activeTab: { input: { uri: FakeUri } } | undefined;
  const events = {
    open: new FakeEventEmitter<FakeTextDocument>(),
    change: new FakeEventEmitter<{ document: FakeTextDocument; contentChanges: unknown[] }>(),
    close: new FakeEventEmitter<FakeTextDocument>(),
    activeEditor: new FakeEventEmitter<unknown>(),
    tabs: new FakeEventEmitter<unknown>(),
    configuration: new FakeEventEmitter<{ affectsConfiguration(section: string): boolean }>(),
    save: new FakeEventEmitter<FakeTextDocument>(),
  };
  const activeTextEditor = () => {
    const legacy = record.activeDocument;
    if (legacy) return { document: new FakeTextDocument(FakeUri.file(legacy.fileName), legacy.text, 'json') };
    return activeEditorDocument && { document: activeEditorDocument };
  };
  const module = {
    Range: FakeRange,
    EventEmitter: FakeEventEmitter,
    Disposable: FakeDisposable,
    Diagnostic: FakeDiagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    CodeLens: FakeCodeLens,
    FileDecoration: FakeFileDecoration,
    ThemeColor: FakeThemeColor,
    ThemeIcon: FakeThemeIcon,
    TreeItem: FakeTreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    Uri: FakeUri,
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        record.commands.set(id, fn);
        return { dispose: () => record.commands.delete(id) };
      },
      executeCommand: (command: string, ...args: unknown[]) => {
        if (command === 'setContext') record.context.set(args[0] as string, args[1]);
        else record.executed.push({ command, args });
        return Promise.resolve(undefined);
      },
    },
    env: {
      clipboard: {
        writeText: (text: string) => Promise.resolve(void record.clipboard.push(text)),
      },
    },
    languages: {
      createDiagnosticCollection: () => ({
        set: (uri: FakeUri, items: FakeDiagnostic[]) =>
          record.diagnostics.set(
            uri.fsPath,
            items.map((d) => ({ message: d.message, code: d.code, source: d.source, range: d.range })),
          ),
        delete: (uri: FakeUri) => record.diagnostics.delete(uri.fsPath),
        dispose: () => undefined,
      }),
      registerCodeLensProvider: (_selector: unknown, provider: FakeCodeLensProvider) =>
        listed(record.codeLensProviders, provider),
    },
    window: {
      get activeTextEditor() {
        return activeTextEditor();
      },
      onDidChangeActiveTextEditor: events.activeEditor.event,
      tabGroups: {
        get activeTabGroup() {
          return { activeTab };
        },
        onDidChangeTabs: events.tabs.event,
      },
      showInformationMessage: message('info'),
      showWarningMessage: message('warning'),
      showErrorMessage: message('error'),
      showTextDocument: (what: unknown) => Promise.resolve(void record.shown.push(what)),
      createTreeView: (id: string, options: FakeTreeView['options']) => fakeTreeView(record, id, options),
      createStatusBarItem: (alignment: number, priority?: number) =>
        fakeStatusBarItem(record, alignment, priority),
      showInputBox: async (options: FakeInputBoxOptions = {}) => {
        record.prompts.push({ kind: 'inputBox', options: { ...options } });
        const text = await answer();
        const refusal = text === undefined ? undefined : await options.validateInput?.(text);
        if (!refusal) return text;
        record.refused.push(refusal);
        return undefined;
      },
      showQuickPick: async (
        items: { label: string }[] | Promise<{ label: string }[]>,
        options?: Record<string, unknown>,
      ) => {
        const list = await items;
        record.prompts.push({ kind: 'quickPick', items: list, options });
        const label = await answer();
        return list.find((i) => i.label === label);
      },
      createOutputChannel: () => fakeLogChannel(record.log),
      registerFileDecorationProvider: (provider: FakeDecorationProvider) =>
        listed(record.decorationProviders, provider),
      createWebviewPanel: (
        viewType: string,
        title: string,
        _show: unknown,
        options: Record<string, unknown>,
      ) => {
        const panel = new FakeWebviewPanel(viewType, title, options);
        record.webviewPanels.push(panel);
        return panel;
      },
      registerWebviewPanelSerializer: (
        viewType: string,
        serializer: { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> },
      ) => {
        record.serializers.set(viewType, serializer);
        return { dispose: () => record.serializers.delete(viewType) };
      },
    },
    workspace: {
      workspaceFolders: undefined,
      get isTrusted() {
        return record.trusted;
      },
      textDocuments,
      onDidOpenTextDocument: events.open.event,
      onDidChangeTextDocument: events.change.event,
      onDidCloseTextDocument: events.close.event,
      onDidChangeConfiguration: events.configuration.event,
      onDidSaveTextDocument: events.save.event,
      onDidGrantWorkspaceTrust: new FakeEventEmitter<void>().event,
      getConfiguration: () => ({
        get: <T>(key: string, fallback: T) =>
          record.settings.has(key) ? (record.settings.get(key) as T) : fallback,
        inspect: (key: string) => ({ workspaceValue: record.settings.get(key) }),
        update: (key: string, value: unknown) => Promise.resolve(void record.settings.set(key, value)),
      }),
      asRelativePath: (uri: { fsPath: string }) => uri.fsPath,
      openTextDocument: async (opts: FakeUri | { language?: string; content?: string }) => {
        if (!(opts instanceof FakeUri)) {
          record.opened.push(opts);
          return opts;
        }
        const known = textDocuments.find((d) => d.uri.toString() === opts.toString());
        return known ?? documents.open(opts.fsPath, await readFile(opts.fsPath, 'utf8'));
      },
      fs: {
        readFile: (uri: FakeUri) => readFile(uri.fsPath).then((b) => new Uint8Array(b)),
        stat: (uri: FakeUri) => stat(uri.fsPath).then((s) => ({ size: s.size, mtime: s.mtimeMs })),
      },
    },
  };
  const documents: FakeDocuments = {
    open: (fileName, text, languageId = 'json') => {
      const doc = new FakeTextDocument(FakeUri.file(fileName), text, languageId);
      textDocuments.push(doc);
      events.open.fire(doc);
      return doc;
    },
    edit: (doc, text) => {
      doc.text = text;
      doc.version++;
      events.change.fire({ document: doc, contentChanges: [{ text }] });
    },
    show: (doc, tabUri) => {
      record.activeDocument = undefined;
      activeEditorDocument = doc;
      activeTab = doc ? { input: { uri: doc.uri } } : tabUri && { input: { uri: tabUri } };
      events.activeEditor.fire(activeTextEditor());
      events.tabs.fire({});
    },
    close: (doc) => {
      textDocuments.splice(textDocuments.indexOf(doc) >>> 0, 1);
      doc.isClosed = true;
      if (activeEditorDocument === doc) documents.show(undefined);
      events.close.fire(doc);
    },
    save: (doc) => events.save.fire(doc),
    setSetting: (key, value) => {
      record.settings.set(key, value);
      events.configuration.fire({
        affectsConfiguration: (section) => `comfyuiRunner.${key}`.startsWith(section),
      });
    },
  };
  return { module, record, documents };
}

/** A tree view that keeps what the extension sets on it. */
function fakeTreeView(record: FakeVscodeRecord, id: string, options: FakeTreeView['options']) {
  const view: FakeTreeView = { id, options, selection: [], visible: true, revealed: [], disposed: false };
  record.treeViews.set(id, view);
  return Object.assign(view, {
    reveal: (element: unknown) => Promise.resolve(void view.revealed.push(element)),
    dispose: () => void (view.disposed = true),
  });
}

/** A status bar item that keeps its text and whether it shows. */
function fakeStatusBarItem(record: FakeVscodeRecord, alignment: number, priority?: number) {
  const item: FakeStatusBarItem = { alignment, priority, text: '', visible: false, disposed: false };
  record.statusBarItems.push(item);
  return Object.assign(item, {
    show: () => void (item.visible = true),
    hide: () => void (item.visible = false),
    dispose: () => void (item.disposed = true),
  });
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

let shared: ReturnType<typeof createFakeVscode> | undefined;

/** The one fake every test file of the glue uses, installed on first call. */
export function sharedFakeVscode(): ReturnType<typeof createFakeVscode> {
  if (!shared) {
    shared = createFakeVscode();
    installFakeVscode(shared.module);
  }
  return shared;
}

/** An extension context with secret storage in memory and private storage under `storage`. */
export function fakeExtensionContext(storage: string) {
  const secrets = new Map<string, string>();
  const uri = FakeUri.file(storage);
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: uri,
    storageUri: uri,
    globalStorageUri: uri,
    secrets: {
      get: (key: string) => Promise.resolve(secrets.get(key)),
      store: (key: string, value: string) => Promise.resolve(void secrets.set(key, value)),
      delete: (key: string) => Promise.resolve(void secrets.delete(key)),
      onDidChange: () => ({ dispose: () => undefined }),
    },
  };
}
