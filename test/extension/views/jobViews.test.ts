import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OverviewNode } from '../../../src/core/run/jobsOverviewNodes';
import type { JobSource, Runner } from '../../../src/core/run/runner';
import type { StoreWatch } from '../../../src/core/run/storeWatch';
import type { RunnerHost } from '../../../src/extension/runnerHost';
import { FakeRunner } from '../../fakes/fakeRunner';
import { FakeEventEmitter, sharedFakeVscode, type FakeTreeItem } from '../../fakes/fakeVscode';
import { tempDir } from '../../fakes/tempDirs';

const record = sharedFakeVscode().record;
type Views = typeof import('../../../src/extension/views/registerJobViews');
type Tree = typeof import('../../../src/extension/views/jobsTree');

let views: Views;
let tree: Tree;

/** The views registered over a host whose runner opens when the test says. */
function setup(folder = '/work') {
  const fake = new FakeRunner();
  const opened = new FakeEventEmitter<Runner>();
  const watching = new FakeEventEmitter<JobSource>();
  const host = {
    current: undefined as Runner | undefined,
    watched: undefined as Pick<StoreWatch, 'subscribe' | 'snapshot' | 'request'> | undefined,
    onDidOpen: opened.event,
    onDidWatch: watching.event,
    folder,
  };
  const context = { subscriptions: [] as { dispose(): unknown }[] };
  const made = views.registerJobViews(context as never, host as unknown as RunnerHost);
  const open = () => {
    host.current = fake.runner;
    opened.fire(fake.runner);
  };
  /** The requests made to the process that owns a followed store, and what it answers. */
  const requests: [string, string][] = [];
  let answer = { ok: true, message: 'done' };
  /** Follows the fake runner's jobs as a store another process runs. */
  const watch = (answers = answer) => {
    answer = answers;
    const source = fake.runner;
    host.watched = {
      subscribe: (l) => source.subscribe(l),
      snapshot: () => source.snapshot(),
      request: async (op, id) => {
        requests.push([op, id]);
        return answer;
      },
    };
    watching.fire(host.watched);
  };
  const view = record.treeViews.get('comfyuiRunner.jobs')!;
  const status = record.statusBarItems.at(-1)!;
  /** The provider the view was created with, as VS Code calls it. */
  const shown = view.options.treeDataProvider as {
    getChildren(node?: unknown): unknown[];
    onDidChangeTreeData: (l: (e: unknown) => void) => unknown;
  };
  return {
    fake,
    host,
    context,
    open,
    watch,
    requests,
    view,
    status,
    shown,
    /** The Jobs tree's own provider, once the runner has opened. */
    get jobs() {
      return made.core!.jobs;
    },
  };
}

type Setup = ReturnType<typeof setup>;

/** What the tree shows under `node`: each child's item. */
function rendered(t: Setup, node?: OverviewNode): { node: OverviewNode; item: FakeTreeItem }[] {
  return t.jobs
    .getChildren(node)
    .map((n) => ({ node: n, item: t.jobs.getTreeItem(n) as unknown as FakeTreeItem }));
}

function groupNode(t: Setup, name: string): OverviewNode {
  return t.jobs.getChildren().find((n) => n.kind === 'group' && n.group === name)!;
}

function jobItem(t: Setup, id: string): FakeTreeItem {
  return t.jobs.getTreeItem(t.jobs.overview.nodeOf(id)!) as unknown as FakeTreeItem;
}

/** Everything the provider told the tree to redraw, in order (undefined: everything). */
function firedBy(provider: { onDidChangeTreeData: (l: (e: unknown) => void) => unknown }): unknown[] {
  const fired: unknown[] = [];
  provider.onDidChangeTreeData((e) => fired.push(e));
  return fired;
}

describe('the Jobs view', () => {
  let t: Setup;
  before(async () => {
    views = await import('../../../src/extension/views/registerJobViews');
    tree = await import('../../../src/extension/views/jobsTree');
  });
  beforeEach(() => {
    t = setup();
  });
  afterEach(() => {
    for (const d of t.context.subscriptions) d.dispose();
  });

  it('is an empty, many-select tree with no badge and no status bar item before the runner opens', () => {
    assert.deepEqual(t.shown.getChildren(), []);
    assert.equal(t.view.options.canSelectMany, true);
    assert.equal(t.view.badge, undefined);
    assert.equal(t.status.visible, false);
    assert.equal(t.status.command, 'comfyuiRunner.jobs.focus');
  });

  it('shows the runner’s jobs when it opens, with running + queued on the badge and the status bar', () => {
    const s = t.fake.stream;
    ['a', 'b', 'c'].forEach((id) => s.add({ id }));
    s.start('a');
    const fired = firedBy(t.shown);
    t.open();
    assert.ok(fired.length > 0 && fired.every((e) => e === undefined), 'everything drawn');
    assert.deepEqual(
      rendered(t).map((r) => [r.item.label, r.item.description]),
      [
        ['Running', '1'],
        ['Queued', '2'],
        ['Finished', '0'],
        ['Failed', '0'],
      ],
    );
    assert.deepEqual(t.view.badge, { value: 3, tooltip: '1 running, 2 queued' });
    assert.equal(t.status.visible, true);
    assert.equal(t.status.text, '$(sync~spin) 1 running, 2 queued');
    assert.equal(record.context.get('comfyuiRunner.runnerOpen'), true);
  });

  it('shows the jobs of a store another process runs before the runner opens', () => {
    ['a', 'b'].forEach((id) => t.fake.stream.add({ id }));
    t.fake.stream.start('a');
    t.watch();
    assert.deepEqual(
      rendered(t).map((r) => [r.item.label, r.item.description]),
      [
        ['Running', '1'],
        ['Queued', '1'],
        ['Finished', '0'],
        ['Failed', '0'],
      ],
    );
  });

  it('draws each state with its icon and the context value its actions match', () => {
    const s = t.fake.stream;
    ['q', 'd', 'r', 'ok', 'x', 'c', 'l'].forEach((id) => s.add({ id }));
    s.move('d', 'dispatch');
    s.start('r');
    s.finish('ok');
    s.finish('x', 'fail');
    s.finish('c', 'cancel');
    s.finish('l', 'lose');
    t.open();
    const icon = (id: string) => [jobItem(t, id).iconPath!.id, jobItem(t, id).contextValue];
    assert.deepEqual(icon('q'), ['clock', 'job-queued']);
    assert.deepEqual(icon('d'), ['loading~spin', 'job-dispatching']);
    assert.deepEqual(icon('r'), ['sync~spin', 'job-running prompt']);
    assert.deepEqual(icon('ok'), ['pass', 'job-succeeded prompt outputs record']);
    assert.deepEqual(icon('x'), ['error', 'job-failed prompt record']);
    assert.deepEqual(icon('c'), ['circle-slash', 'job-cancelled prompt record']);
    assert.deepEqual(icon('l'), ['question', 'job-lost prompt record']);
    assert.equal(jobItem(t, 'ok').iconPath!.color?.id, 'testing.iconPassed');
    assert.equal(jobItem(t, 'q').id, 'job:q');
    assert.match(String(jobItem(t, 'x').tooltip), /^Error: CUDA out of memory/m);
  });

  it('folds a batch into one expandable item per group', () => {
    t.fake.stream.addBatch('B', 4);
    t.open();
    const [batch] = rendered(t, groupNode(t, 'queued'));
    assert.equal(batch.item.label, 'sweep.json');
    assert.equal(batch.item.description, '4 of 4 runs');
    assert.equal(batch.item.collapsibleState, 1);
    assert.equal(batch.item.contextValue, 'batch-queued');
    assert.deepEqual(
      rendered(t, batch.node).map((r) => r.item.label),
      ['#1 seed=100', '#2 seed=101', '#3 seed=102', '#4 seed=103'],
    );
    assert.equal(t.jobs.getParent(t.jobs.overview.nodeOf('job-1')!), batch.node);
  });

  it('pages a long group through its "show more" item and command', async () => {
    for (let i = 0; i < 205; i++) t.fake.stream.add();
    t.open();
    const page = rendered(t, groupNode(t, 'queued'));
    assert.equal(page.length, 201);
    const more = page[200].item;
    assert.equal(more.label, 'Show 5 more');
    assert.equal(more.command!.command, 'comfyuiRunner.showMoreJobs');
    const fired = firedBy(t.jobs);
    await record.commands.get(more.command!.command)!(...more.command!.arguments!);
    assert.deepEqual(fired, [[groupNode(t, 'queued')]]);
    assert.equal(t.jobs.getChildren(groupNode(t, 'queued')).length, 205);
  });

  it('hides the status bar item once nothing runs or waits', () => {
    t.fake.stream.add({ id: 'a' });
    t.open();
    t.fake.emit(...t.fake.stream.finish('a'));
    t.jobs.flush();
    assert.equal(t.status.visible, false);
    assert.equal(t.view.badge, undefined);
  });

  describe('its actions', () => {
    const run = (id: string, ...args: unknown[]) => record.commands.get(id)!(...args) as Promise<void>;

    it('cancels every selected job that has not ended, and shows it cancelling', async () => {
      const s = t.fake.stream;
      ['a', 'b', 'c'].forEach((id) => s.add({ id }));
      s.start('a');
      s.finish('c');
      t.open();
      const nodes = ['a', 'b', 'c'].map((id) => t.jobs.overview.nodeOf(id)!);
      await run('comfyuiRunner.cancelJob', nodes[0], nodes);
      assert.deepEqual(t.fake.calls.cancel, ['a', 'b']);
      assert.equal(jobItem(t, 'a').iconPath!.id, 'loading~spin');
      assert.match(String(jobItem(t, 'a').description), /^cancelling…/);
    });

    it('asks the process that runs a followed store to cancel the selected jobs that have not ended', async () => {
      const s = t.fake.stream;
      ['a', 'b', 'c'].forEach((id) => s.add({ id }));
      s.finish('c');
      t.watch();
      const nodes = ['a', 'b', 'c'].map((id) => t.jobs.overview.nodeOf(id)!);
      await run('comfyuiRunner.cancelJob', nodes[0], nodes);
      assert.deepEqual(t.requests, [
        ['cancel', 'a'],
        ['cancel', 'b'],
      ]);
      assert.deepEqual(t.fake.calls.cancel, []);
    });

    it('asks the process that runs a followed store to retry a failed job, and shows its refusal', async () => {
      t.fake.stream.add({ id: 'x' });
      t.fake.stream.finish('x', 'fail');
      t.watch({ ok: false, message: 'job x cannot be retried: its workflow file is gone' });
      await run('comfyuiRunner.retryJob', t.jobs.overview.nodeOf('x')!);
      assert.deepEqual(t.requests, [['retry', 'x']]);
      assert.match(record.messages.at(-1)?.text ?? '', /its workflow file is gone/);
    });

    it('cancels the clicked item alone when it is not among the selected', async () => {
      ['a', 'b'].forEach((id) => t.fake.stream.add({ id }));
      t.open();
      const [a, b] = ['a', 'b'].map((id) => t.jobs.overview.nodeOf(id)!);
      await run('comfyuiRunner.cancelJob', b, [a]);
      assert.deepEqual(t.fake.calls.cancel, ['b']);
    });

    it('retries the failed, cancelled and lost jobs of a batch, not its others', async () => {
      const s = t.fake.stream;
      s.addBatch('B', 4);
      s.finish('job-1', 'fail');
      s.finish('job-2', 'lose');
      s.finish('job-3');
      t.open();
      const [batch] = t.jobs.getChildren(groupNode(t, 'failed'));
      await run('comfyuiRunner.retryJob', batch, [batch]);
      assert.deepEqual(t.fake.calls.retry, ['job-2', 'job-1']);
      record.trusted = false;
      try {
        await run('comfyuiRunner.retryJob', batch, [batch]);
      } finally {
        record.trusted = true;
      }
      assert.equal(t.fake.calls.retry.length, 2, 'nothing retried in an untrusted workspace');
    });

    it('retries a split run once, through one of its parts, when the run and its failed and stopped parts are chosen', async () => {
      const s = t.fake.stream;
      s.addSplit('R', 3);
      s.finish('R-1');
      s.finish('R-2', 'fail');
      s.finish('R-3', 'cancel');
      t.open();
      const run_ = t.jobs.overview.nodeOf('R')!;
      const parts = t.jobs.getChildren(run_);
      await run('comfyuiRunner.retryJob', run_, [run_, ...parts]);
      assert.deepEqual(t.fake.calls.retry, ['R-2']);
    });

    it('moves queued jobs up, down and to the front, keeping the order of several', async () => {
      ['a', 'b', 'c'].forEach((id) => t.fake.stream.add({ id }));
      t.open();
      const [a, b] = ['a', 'b'].map((id) => t.jobs.overview.nodeOf(id)!);
      await run('comfyuiRunner.moveJobUp', b);
      await run('comfyuiRunner.moveJobDown', a, [a, b]);
      await run('comfyuiRunner.moveJobToFront', 'c');
      assert.deepEqual(t.fake.calls.reorder, [
        ['b', 'up'],
        ['b', 'down'],
        ['a', 'down'],
        ['c', 'toTop'],
      ]);
    });

    it('copies prompt ids to the clipboard', async () => {
      t.fake.stream.add({ id: 'a' });
      t.fake.stream.start('a');
      t.open();
      await run('comfyuiRunner.copyPromptId', t.jobs.overview.nodeOf('a'));
      assert.equal(record.clipboard.at(-1), 'prompt-a');
    });

    it('opens a job’s run.json, or says there is none yet', async () => {
      const dir = tempDir('comfy-views-');
      t.fake.stream.add({ id: 'a' });
      t.fake.stream.finish('a');
      t.fake.stream.jobs.get('a')!.outDir = dir;
      t.open();
      await run('comfyuiRunner.openRunRecord', 'a');
      assert.match(record.messages.at(-1)!.text, /no run record/);
      writeFileSync(join(dir, 'run.json'), '{}');
      await run('comfyuiRunner.openRunRecord', 'a');
      assert.equal((record.shown.at(-1) as { fsPath: string }).fsPath, join(dir, 'run.json'));
    });
  });

  describe('its redraws', () => {
    let provider: InstanceType<Tree['JobsTreeProvider']>;
    let fake: FakeRunner;
    afterEach(() => provider.dispose());

    function attached(refreshMs: number) {
      fake = new FakeRunner();
      provider = new tree.JobsTreeProvider({ refreshMs, tickMs: 60_000 });
      fake.stream.add({ id: 'a' });
      fake.stream.add({ id: 'b' });
      fake.stream.start('a');
      provider.attach(fake.runner);
      return firedBy(provider);
    }

    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

    it('draws the first change at once and gathers the ones after it, per item', async () => {
      const fired = attached(80);
      await sleep(100);
      for (let i = 1; i <= 500; i++) fake.emit(fake.stream.progress('a', i, 500));
      await sleep(10);
      assert.deepEqual(fired, [[provider.overview.nodeOf('a')]]);
      fake.emit(fake.stream.progress('a', 1, 2));
      fake.emit({ type: 'job/warning', jobId: 'b', message: 'careful' });
      await sleep(10);
      assert.equal(fired.length, 1, 'nothing more within the interval');
      await sleep(100);
      assert.deepEqual(fired[1], [provider.overview.nodeOf('a'), provider.overview.nodeOf('b')]);
    });

    it('draws the groups a job left and joined when it ends', async () => {
      const fired = attached(0);
      fake.emit(...fake.stream.finish('a'));
      await sleep(10);
      const ids = (fired[0] as OverviewNode[]).map((n) => provider.getTreeItem(n).id).sort();
      assert.deepEqual(ids, ['group:finished', 'group:running']);
    });

    it('draws running jobs again each tick for their elapsed time', async () => {
      fake = new FakeRunner();
      provider = new tree.JobsTreeProvider({ refreshMs: 0, tickMs: 20 });
      fake.stream.add({ id: 'a' });
      fake.stream.start('a');
      provider.attach(fake.runner);
      const fired = firedBy(provider);
      await sleep(70);
      assert.ok(fired.length >= 2, `${fired.length} redraws`);
      assert.deepEqual(fired[0], [provider.overview.nodeOf('a')]);
    });
  });
});

describe('the manifest’s menus for the Jobs view', () => {
  /** The `viewItem =~ /.../` of each command's context menu entries. */
  function patterns(): Map<string, RegExp[]> {
    const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as {
      contributes: { menus: Record<string, { command: string; when?: string }[]> };
    };
    const found = new Map<string, RegExp[]>();
    for (const e of manifest.contributes.menus['view/item/context']) {
      const m = /viewItem =~ \/(.*)\//.exec(e.when ?? '');
      if (m) found.set(e.command, [...(found.get(e.command) ?? []), new RegExp(m[1])]);
    }
    return found;
  }

  it('offers each action on the items it applies to, and on no others', () => {
    const p = patterns();
    const matches = (command: string, value: string) => p.get(command)!.every((r) => r.test(value));
    const cases: [string, string, boolean][] = [
      ['comfyuiRunner.cancelJob', 'job-running prompt', true],
      ['comfyuiRunner.cancelJob', 'batch-queued', true],
      ['comfyuiRunner.cancelJob', 'job-succeeded prompt outputs record', false],
      ['comfyuiRunner.retryJob', 'job-cancelled', true],
      ['comfyuiRunner.retryJob', 'batch-failed', true],
      ['comfyuiRunner.retryJob', 'job-queued', false],
      ['comfyuiRunner.moveJobUp', 'job-queued', true],
      ['comfyuiRunner.moveJobUp', 'batch-queued', false],
      ['comfyuiRunner.revealOutputs', 'job-succeeded prompt outputs record', true],
      ['comfyuiRunner.retryJobOnAnotherServer', 'job-lost prompt record', true],
      ['comfyuiRunner.retryJobOnAnotherServer', 'batch-failed', false],
      ['comfyuiRunner.revealOutputs', 'job-failed prompt record', false],
      ['comfyuiRunner.openRunRecord', 'job-failed prompt record', true],
      ['comfyuiRunner.openRunRecord', 'job-cancelled', false],
      ['comfyuiRunner.copyPromptId', 'job-running prompt', true],
      ['comfyuiRunner.copyPromptId', 'job-queued', false],
    ];
    for (const [command, value, expected] of cases)
      assert.equal(matches(command, value), expected, `${command} on ${value}`);
  });
});
