import assert from 'node:assert/strict';
import type { Runner } from '../../../src/core/run/runner';
import { RunnerError } from '../../../src/core/util/runnerError';
import type { RunnerHost } from '../../../src/extension/runnerHost';
import type { JobViews } from '../../../src/extension/views/registerJobViews';
import type { ServersNode } from '../../../src/extension/views/serversTree';
import { FakeRunner, targetView } from '../../fakes/fakeRunner';
import { FakeEventEmitter, sharedFakeVscode, type FakeTreeItem } from '../../fakes/fakeVscode';

const { record, documents } = sharedFakeVscode();
type Views = typeof import('../../../src/extension/views/registerJobViews');
let views: Views;

const GB = 1024 ** 3;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('the Servers view', () => {
  let fake: FakeRunner;
  let made: JobViews;
  /** The Servers tree's own provider, once the runner has opened. */
  const tree = () => made.core!.servers;
  let open: () => void;
  let context: { subscriptions: { dispose(): unknown }[] };

  before(async () => {
    views = await import('../../../src/extension/views/registerJobViews');
  });

  beforeEach(() => {
    record.settings.set('servers', [{ name: 'gpu-1', url: 'http://gpu-1:8188' }]);
    record.activeDocument = undefined;
    documents.show(undefined);
    fake = new FakeRunner();
    fake.stats.set('gpu-1', {
      version: '0.8.0',
      devices: [{ name: 'cuda:0 RTX 4090', type: 'cuda', vramTotal: 24 * GB, vramFree: 20 * GB }],
    });
    const opened = new FakeEventEmitter<Runner>();
    const host = {
      current: undefined as Runner | undefined,
      onDidOpen: opened.event,
      onDidWatch: () => ({ dispose: () => undefined }),
      folder: '/work',
    };
    context = { subscriptions: [] };
    made = views.registerJobViews(context as never, host as unknown as RunnerHost);
    open = () => {
      host.current = fake.runner;
      opened.fire(fake.runner);
    };
  });

  afterEach(() => {
    for (const d of context.subscriptions) d.dispose();
    record.settings.delete('servers');
  });

  function items(node?: ServersNode): FakeTreeItem[] {
    return tree()
      .getChildren(node)
      .map((n) => tree().getTreeItem(n) as unknown as FakeTreeItem);
  }

  /** Lets the stats and verdict requests answer and the tree redraw. */
  async function settle(): Promise<void> {
    await sleep(5);
    tree().flush();
  }

  it('is empty when no server is configured, so its welcome shows, and says so in a context key', () => {
    record.settings.delete('servers');
    for (const d of context.subscriptions) d.dispose();
    context = { subscriptions: [] };
    const opened = new FakeEventEmitter<Runner>();
    const host = {
      current: fake.runner,
      onDidOpen: opened.event,
      onDidWatch: () => ({ dispose: () => undefined }),
      folder: '/work',
    };
    made = views.registerJobViews(context as never, host as unknown as RunnerHost);
    assert.deepEqual(tree().getChildren(), []);
    assert.equal(record.context.get('comfyuiRunner.serversConfigured'), false);
  });

  it('is empty before the runner opens, then lists the engine and each server with health, version and VRAM', async () => {
    const shown = record.treeViews.get('comfyuiRunner.servers')!.options.treeDataProvider as {
      getChildren(): unknown[];
    };
    assert.deepEqual(shown.getChildren(), []);
    assert.equal(made.core, undefined, 'nothing of the heavy half loaded for the views yet');
    open();
    await settle();
    const [engine, gpu] = items();
    assert.equal(engine.label, 'embedded');
    assert.equal(engine.iconPath!.id, 'chip');
    assert.equal(gpu.label, 'gpu-1');
    assert.equal(gpu.description, 'ok · ComfyUI 0.8.0 · 20.0 GB free');
    assert.equal(gpu.iconPath!.id, 'vm-active');
    assert.equal(gpu.contextValue, 'server-ok remote');
    assert.equal(engine.contextValue, 'server-ok engine');
    // The server commands (enable, disable, remove, credentials, test) take a configured server's URL.
    assert.equal((tree().getChildren()[1] as { serverUrl?: string }).serverUrl, 'http://gpu-1:8188');
    const [device] = items(tree().getChildren()[1]);
    assert.deepEqual([device.label, device.description], ['cuda:0 RTX 4090', '20.0 of 24.0 GB free']);
  });

  it('says a server refused our credentials, and one that cannot be reached', async () => {
    fake.stats.set('gpu-1', new RunnerError('auth', 'http://gpu-1:8188 refused the credentials (HTTP 401)'));
    open();
    await settle();
    assert.equal(items()[1].iconPath!.id, 'lock');
    assert.match(String(items()[1].description), /^authentication refused/);
    fake.stats.set('gpu-1', new RunnerError('server_unreachable', 'connect ECONNREFUSED'));
    const down = targetView('gpu-1', { health: 'down', healthReason: 'connect ECONNREFUSED' });
    fake.emit({ type: 'target/health', target: down, from: 'up' });
    await settle();
    assert.equal(items()[1].iconPath!.id, 'debug-disconnect');
    assert.match(String(items()[1].description), /^connect ECONNREFUSED/);
  });

  it('counts the jobs running and queued on each server', async () => {
    open();
    await settle();
    const s = fake.stream;
    ['a', 'b'].forEach((id) => fake.emit(s.add({ id })));
    fake.emit(...s.start('a'), s.move('b', 'dispatch'));
    await settle();
    assert.match(String(items()[1].description), /1 running, 1 queued/);
  });

  it('says why a server cannot run the workflow in the active editor', async () => {
    fake.verdicts = [
      { server: 'embedded', verdict: 'incapable', reasons: ['node class KSampler'] },
      { server: 'gpu-1', verdict: 'capable', reasons: [] },
    ];
    open();
    await settle();
    documents.show(documents.open('/w/poster.json', '{}'));
    await settle();
    assert.deepEqual(fake.whyNotAsked.at(-1), { file: '/w/poster.json', content: '{}' });
    assert.match(String(items()[0].description), /cannot run poster\.json$/);
    assert.deepEqual(
      items(tree().getChildren()[0]).map((d) => [d.label, d.description]),
      [['Cannot run poster.json', 'node class KSampler']],
    );
    fake.verdicts = new RunnerError('bad_input', 'not a workflow');
    const notes = documents.open('/w/notes.json', '{}');
    documents.show(notes);
    await settle();
    assert.doesNotMatch(String(items()[0].description), /cannot run/);
    documents.show(documents.open('/w/readme.md', '', 'markdown'));
    await settle();
    assert.equal(fake.whyNotAsked.length, 2, 'a file that is not JSON is not asked about');
    documents.show(notes);
    await settle();
    fake.verdicts = [{ server: 'embedded', verdict: 'incapable', reasons: ['node class Upscale'] }];
    documents.edit(notes, '{"1": {}}');
    documents.save(notes);
    await settle();
    assert.deepEqual(fake.whyNotAsked.at(-1), { file: '/w/notes.json', content: '{"1": {}}' });
  });

  it('asks every server again on refresh', async () => {
    open();
    await settle();
    fake.stats.set('gpu-1', { version: '0.9.0', devices: [] });
    await record.commands.get('comfyuiRunner.refreshServers')!();
    await settle();
    assert.match(String(items()[1].description), /ComfyUI 0\.9\.0/);
  });
});
