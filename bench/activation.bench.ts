/**
 * How long the extension takes to load and activate: the bundle VS Code loads (`dist/extension.js`,
 * built by `npm run build`) is required and `activate` called against the test fake of the `vscode`
 * module, in a fresh process each time, beside a baseline: requiring a tiny module in the same way. The
 * goal is under 50 ms; nothing heavy may run before a command does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const bundle = join(root, 'dist', 'extension.js');

/**
 * The script each fresh process runs, in plain Node (a TypeScript loader would transform the bundle and
 * be what is measured): a stand-in for `vscode` whose every member is a callable stub, then require and
 * activate, timed.
 */
function probeScript(target: string, storage: string): string {
  return `
const Module = require('node:module');
const stub = () => new Proxy(function () {}, {
  get: (t, k) => (k === Symbol.iterator ? function* () {} : k === 'then' || typeof k === 'symbol' ? undefined : (k in t ? t[k] : (t[k] = stub()))),
  // A function's own name and length are read-only; the extension sets such names on what it made
  // (a status bar item's name), so every assignment defines the property afresh.
  set: (t, k, v) => Object.defineProperty(t, k, { value: v, writable: true, configurable: true }) && true,
  apply: () => stub(),
  construct: () => stub(),
});
const names = ${JSON.stringify(vscodeNames)};
const vscode = Object.fromEntries(names.map((n) => [n, stub()]));
// A window with no folder open, as VS Code starts: nothing to take back.
vscode.workspace.workspaceFolders = undefined;
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const t0 = process.hrtime.bigint();
const ext = require(${JSON.stringify(target)});
const t1 = process.hrtime.bigint();
const uri = { fsPath: ${JSON.stringify(storage)} };
if (ext.activate) ext.activate({ subscriptions: [], extensionUri: uri, storageUri: uri, globalStorageUri: uri, secrets: stub() });
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ load: Number(t1 - t0) / 1e6, activate: Number(t2 - t1) / 1e6 }));
`;
}

/** The members of the `vscode` module an extension may touch while it activates. */
const vscodeNames = [
  'commands',
  'window',
  'workspace',
  'languages',
  'env',
  'extensions',
  'Uri',
  'EventEmitter',
  'ThemeIcon',
  'ThemeColor',
  'TreeItem',
  'TreeItemCollapsibleState',
  'StatusBarAlignment',
  'ConfigurationTarget',
  'Range',
  'Position',
  'Diagnostic',
  'DiagnosticSeverity',
  'CodeLens',
  'FileDecoration',
  'MarkdownString',
  'Disposable',
  'ProgressLocation',
  'ViewColumn',
  'RelativePattern',
  'l10n',
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Prints load and activate times of the bundle and of the baseline, medians of fresh processes. */
export async function runActivationBench(): Promise<void> {
  if (!existsSync(bundle)) {
    console.log('dist/extension.js is missing: run `npm run build` first');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'comfy-activation-'));
  try {
    const tiny = join(dir, 'tiny.js');
    writeFileSync(tiny, 'exports.activate = () => undefined;\n');
    const measure = (target: string) => {
      const script = join(dir, 'probe.js');
      writeFileSync(script, probeScript(target, dir));
      const runs = Array.from(
        { length: 7 },
        () =>
          JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8' })) as {
            load: number;
            activate: number;
          },
      );
      return { load: median(runs.map((r) => r.load)), activate: median(runs.map((r) => r.activate)) };
    };
    const base = measure(tiny);
    const ext = measure(bundle);
    const total = ext.load + ext.activate;
    console.log(
      `extension bundle: require ${ext.load.toFixed(1)} ms + activate ${ext.activate.toFixed(1)} ms = ${total.toFixed(1)} ms (goal < 50 ms)`,
    );
    console.log(
      `baseline (a one-line module): require ${base.load.toFixed(1)} ms + activate ${base.activate.toFixed(1)} ms`,
    );
    console.log(
      `ratio to baseline: ${(total / (base.load + base.activate)).toFixed(1)}x; median of 7 fresh processes each`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
