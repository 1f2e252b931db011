import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../../../src/core/run/runner';
import type { CommandContext } from '../../../src/extension/commandContext';
import type { HostMessage } from '../../../src/shared/protocol';
import { FakeRunner } from '../../fakes/fakeRunner';
import { FakeEventEmitter, FakeUri, sharedFakeVscode, type FakeWebviewPanel } from '../../fakes/fakeVscode';
import { tempDir } from '../../fakes/tempDirs';

const { record } = sharedFakeVscode();
type Panels = typeof import('../../../src/extension/panel/runsPanels');
let panels: Panels;

/** A command context over a host whose runner is open, and the panel of `/w/poster.json` opened. */
async function setup() {
  const fake = new FakeRunner();
  const opened = new FakeEventEmitter<Runner>();
  const host = {
    current: fake.runner,
    watched: undefined,
    onDidOpen: opened.event,
    onDidWatch: new FakeEventEmitter<unknown>().event,
    folder: '/work',
    ensure: () => Promise.resolve(fake.runner),
  };
  const log = {
    warn: (m: string) => record.log.push(`warn ${m}`),
    error: (m: string) => record.log.push(`error ${m}`),
  };
  const ctx = { host, log } as unknown as CommandContext;
  const extensionUri = FakeUri.file('/ext') as never;
  await panels.showRunsPanel(ctx, extensionUri, '/w/poster.json');
  const panel = record.webviewPanels.at(-1)!;
  const posted = () => panel.posted as HostMessage[];
  return { fake, ctx, extensionUri, panel, posted };
}

describe('the runs panel host', () => {
  before(async () => {
    panels = await import('../../../src/extension/panel/runsPanels');
  });
  afterEach(() => {
    for (const p of record.webviewPanels) p.dispose();
    record.webviewPanels.length = 0;
    record.executed.length = 0;
  });

  it('serves a page with a nonce-only script policy from the extension and outputs folders only', async () => {
    const { panel } = await setup();
    const csp = /Content-Security-Policy" content="([^"]*)"/.exec(panel.html)![1];
    assert.match(csp, /script-src 'nonce-[0-9a-f]{48}'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const nonce = /nonce-([0-9a-f]+)/.exec(csp)![1];
    assert.ok(
      panel.html.includes(
        `<script nonce="${nonce}" src="https://webview.test/ext/dist/webview/runsPanel.js">`,
      ),
    );
    const roots = (panel.options.localResourceRoots as FakeUri[]).map((u) => u.fsPath);
    assert.deepEqual(roots, ['/ext/dist/webview', '/ext/media', '/work/comfy-runs']);
  });

  it('answers webview/ready with a snapshot of the workflow’s runs', async () => {
    const { fake, panel, posted } = await setup();
    fake.emit(fake.stream.add({ id: 'a' }));
    panel.send({ type: 'webview/ready' });
    const snapshot = posted().at(-1);
    assert.ok(snapshot?.type === 'runs/snapshot');
    assert.deepEqual(
      snapshot.runs.map((r) => r.id),
      ['a'],
    );
  });

  it('logs a malformed message from the webview and does nothing with it', async () => {
    const { panel } = await setup();
    panel.send({ type: 'run/cancel', id: 42 });
    assert.ok(
      record.log.some((l) => l.includes('run/cancel is malformed')),
      record.log.join('\n'),
    );
    assert.deepEqual(record.executed, []);
  });

  it('cancels through the Cancel Job command, with the run’s id', async () => {
    const { fake, panel } = await setup();
    fake.emit(fake.stream.add({ id: 'a' }));
    panel.send({ type: 'run/cancel', id: 'a' });
    assert.deepEqual(record.executed, [{ command: 'comfyuiRunner.cancelJob', args: ['a'] }]);
  });

  it('re-runs with changes through Run Sweep, for the workflow, from the inputs that run set', async () => {
    const { fake, panel } = await setup();
    fake.emit(fake.stream.add({ id: 'a', seed: 7 }));
    panel.send({ type: 'run/rerun', id: 'a' });
    await new Promise((r) => setImmediate(r));
    const [call] = record.executed as { command: string; args: unknown[] }[];
    assert.equal(call?.command, 'comfyuiRunner.runSweep');
    assert.equal((call.args[0] as FakeUri).fsPath, '/w/poster.json');
    assert.deepEqual(call.args[1], { overrides: [{ node: '2', input: 'seed', value: 7 }] });
  });

  it('refuses to open a file that is not an output of the run the webview names', async () => {
    const { fake, panel } = await setup();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.finish('a'));
    panel.send({ type: 'output/open', id: 'a', path: '/etc/passwd' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(record.executed, []);
    panel.send({ type: 'output/open', id: 'a', path: '/out/a/a.png' });
    await new Promise((r) => setImmediate(r));
    // Read afresh: the assertion above narrowed `record.executed` to an empty array's type.
    const commands = (record.executed as { command: string }[]).map((e) => e.command);
    assert.deepEqual(commands, ['vscode.open']);
  });

  it('keeps a star in the run record and shows it in the panel', async () => {
    const { fake, panel, posted } = await setup();
    const out = join(tempDir('panel-host-'), 'a');
    mkdirSync(out);
    fake.emit(fake.stream.add({ id: 'a' }));
    fake.stream.jobs.get('a')!.outDir = out;
    fake.emit(...fake.stream.finish('a'));
    const outputs = fake.stream.jobs.get('a')!.outputs;
    writeFileSync(join(out, 'run.json'), JSON.stringify({ outputs }));
    panel.send({ type: 'webview/ready' });
    panel.send({ type: 'output/star', id: 'a', path: join(out, 'a.png'), starred: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).starred, ['a.png']);
    const starred = posted().some((m) => m.type === 'run/delta' && m.changes.outputs?.some((o) => o.starred));
    assert.ok(starred, JSON.stringify(posted()));
  });

  it('opens a workflow’s panel when a run of it starts, only when the setting asks for it', async () => {
    const { fake, ctx, extensionUri } = await setup();
    const stop = panels.openPanelsOnRun(ctx, extensionUri, fake.runner);
    try {
      fake.emit(fake.stream.add({ id: 'x', file: '/w/other.json' }));
      assert.equal(panels.runsPanelOf('/w/other.json'), undefined);
      record.settings.set('outputs.openPanelOnRun', true);
      fake.emit(fake.stream.add({ id: 'y', file: '/w/other.json' }));
      await new Promise((r) => setImmediate(r));
      assert.ok(panels.runsPanelOf('/w/other.json'));
    } finally {
      stop();
      record.settings.delete('outputs.openPanelOnRun');
    }
  });

  it('compares the runs selected in the Jobs tree in their workflow’s panel once its page is ready', async () => {
    const { fake, ctx, panel } = await setup();
    const { compareRuns } = await import('../../../src/extension/panel/panelCommands');
    for (const id of ['a', 'b', 'c']) fake.emit(fake.stream.add({ id }), ...fake.stream.finish(id));
    const items = ['a', 'c'].map((jobId) => ({ kind: 'job', jobId }));
    await compareRuns({ ...ctx, extensionUri: FakeUri.file('/ext') } as never, items[0], items);
    assert.equal(panel.revealed, 1, 'the open panel is shown, not a second one made');
    assert.deepEqual(panel.posted, [], 'nothing is sent before the page is ready');
    panel.send({ type: 'webview/ready' });
    assert.deepEqual(
      panel.posted.map((m) => (m as HostMessage).type),
      ['runs/snapshot', 'view/compare'],
    );
    assert.deepEqual(panel.posted.at(-1), { type: 'view/compare', ids: ['a', 'c'] });
  });

  it('comes back after a reload with the state its webview kept, and drops a panel without one', async () => {
    const { ctx, extensionUri } = await setup();
    const { FakeWebviewPanel } = await import('../../fakes/fakeVscode');
    const kept = new FakeWebviewPanel('comfyuiRunner.runsPanel', 'Runs');
    const state = {
      file: '/w/b.json',
      view: 'gallery',
      selected: [],
      filter: 'all',
      zoom: { scale: 1, x: 0, y: 0, fit: true },
    };
    await panels.restoreRunsPanel(ctx, extensionUri, kept as never, state);
    assert.ok(panels.runsPanelOf('/w/b.json'));
    assert.match(kept.html, /runsPanel\.js/);
    const stray: FakeWebviewPanel = new FakeWebviewPanel('comfyuiRunner.runsPanel', 'Runs');
    await panels.restoreRunsPanel(ctx, extensionUri, stray as never, { nonsense: true });
    assert.equal(stray.disposed, true);
    kept.dispose();
  });
});
