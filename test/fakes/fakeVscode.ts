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
  /** What the next input boxes and quick picks answer, in order (a quick pick's answer is its label). */
  answers: (string | undefined)[];
  /** Commands the extension executed, with their arguments. */
  executed: { id: string; args: unknown[] }[];
  /** Whether the workspace is trusted. */
  trusted: boolean;
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
class FakeEventEmitter<T> {
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
    answers: [],
    executed: [],
    trusted: true,
  };
  const answer = () => Promise.resolve(record.answers.shift());
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
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    Diagnostic: FakeDiagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    Uri: {
      file: (p: string) => ({ fsPath: p }),
      joinPath: (base: { fsPath: string }, ...parts: string[]) => ({
        fsPath: [base.fsPath, ...parts].join('/'),
      }),
    },
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
      showTextDocument: () => Promise.resolve(undefined),
      showInputBox: answer,
      showQuickPick: async (items: { label: string }[] | Promise<{ label: string }[]>) => {
        const label = await answer();
        return (await items).find((i) => i.label === label);
      },
      createOutputChannel: () => fakeLogChannel(record.log),
    },
    workspace: {
      workspaceFolders: undefined,
      getConfiguration: () => ({
        get: <T>(key: string, fallback: T) =>
          record.settings.has(key) ? (record.settings.get(key) as T) : fallback,
        inspect: (key: string) => ({ workspaceValue: record.settings.get(key) }),
        update: (key: string, value: unknown) => Promise.resolve(void record.settings.set(key, value)),
      }),
      asRelativePath: (uri: { fsPath: string }) => uri.fsPath,
      onDidChangeConfiguration: () => ({ dispose: () => undefined }),
      onDidGrantWorkspaceTrust: () => ({ dispose: () => undefined }),
      get isTrusted() {
        return record.trusted;
      },
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

/** An extension context with secret storage in memory and private storage under `storage`. */
export function fakeExtensionContext(storage: string) {
  const secrets = new Map<string, string>();
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: { fsPath: storage },
    storageUri: { fsPath: storage },
    globalStorageUri: { fsPath: storage },
    secrets: {
      get: (key: string) => Promise.resolve(secrets.get(key)),
      store: (key: string, value: string) => Promise.resolve(void secrets.set(key, value)),
      delete: (key: string) => Promise.resolve(void secrets.delete(key)),
      onDidChange: () => ({ dispose: () => undefined }),
    },
  };
}

let shared: { module: unknown; record: FakeVscodeRecord } | undefined;

/**
 * The one fake every test file of the glue uses, installed on first use: the extension's modules bind
 * `vscode` once, when they are first loaded, so two fakes in one run would not both be seen.
 */
export function sharedFakeVscode(): FakeVscodeRecord {
  if (!shared) {
    shared = createFakeVscode();
    installFakeVscode(shared.module);
  }
  return shared.record;
}
