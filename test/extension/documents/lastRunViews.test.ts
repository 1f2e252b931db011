import assert from 'node:assert/strict';
import { FakeUri, type FakeFileDecoration } from '../../fakes/fakeVscode';
import { jobOf, testLastRuns } from './documentsKit';

type Lenses = typeof import('../../../src/extension/documents/workflowLenses');
type Decorations = typeof import('../../../src/extension/documents/runDecorations');

const file = '/work/flows/flow.json';
const output = { path: 'a.png', nodeId: '9', kind: 'images', index: 0, size: 1, sha256: 'x' };
const succeeded = jobOf(file, {
  state: 'succeeded',
  outputs: [output, output, output],
  times: { queued: 1000, started: 2000, finished: 3200, nodes: {} },
});
const failed = jobOf(file, {
  state: 'failed',
  error: { message: 'Error while running node 2 (ImageScale)', reason: 'execution_failed' },
  times: { queued: 1000, started: 2000, finished: 2400, nodes: {} },
});
const running = jobOf(file, {
  state: 'running',
  server: 'embedded',
  times: { queued: 1000, started: 2000, nodes: {} },
});
const queued = jobOf(file, { state: 'queued' });

describe('the last run of a workflow', () => {
  let lenses: Lenses;
  let decorations: Decorations;
  before(async () => {
    lenses = await import('../../../src/extension/documents/workflowLenses');
    decorations = await import('../../../src/extension/documents/runDecorations');
  });

  const doc = { uri: FakeUri.file(file) } as never;
  const lensOf = (job: typeof succeeded) => {
    const lastRuns = testLastRuns();
    lastRuns.set(job);
    return lenses.lastRunLens(doc, lastRuns, 10_000)?.command;
  };

  it('says how long a successful run took and how many outputs it made, and opens its folder', () => {
    assert.deepEqual(lensOf(succeeded), {
      title: 'last run: succeeded in 1.2 s, 3 outputs · open',
      command: 'comfyuiRunner.revealOutputs',
      arguments: [succeeded.id],
      tooltip: 'Reveal the run folder /runs/r1',
    });
  });

  it('says why a run failed', () => {
    assert.equal(
      lensOf(failed)?.title,
      'last run: failed after 0.4 s: Error while running node 2 (ImageScale) · open',
    );
  });

  it('says a run is running, and where', () => {
    assert.equal(lensOf(running)?.title, 'last run: running on embedded · open');
  });

  it('shows a queued run as text that opens nothing, since its folder is not made yet', () => {
    assert.deepEqual(lensOf(queued), { title: 'last run: queued', command: '' });
  });

  it('shows no last-run lens for a workflow that never ran', () => {
    assert.equal(lenses.lastRunLens(doc, testLastRuns()), undefined);
  });

  it('marks a file by the state of its latest run, with the state in the tooltip', () => {
    const looks = [running, queued, failed, succeeded].map((job) => {
      const d = decorations.runDecoration(job) as unknown as FakeFileDecoration;
      return [d.badge, d.color?.id, d.tooltip];
    });
    assert.deepEqual(looks, [
      ['▶', 'charts.blue', 'ComfyUI Runner: last run running on embedded'],
      ['●', 'charts.yellow', 'ComfyUI Runner: last run queued'],
      [
        '!',
        'list.errorForeground',
        'ComfyUI Runner: last run failed after 0.4 s: Error while running node 2 (ImageScale)',
      ],
      ['✓', undefined, 'ComfyUI Runner: last run succeeded in 1.2 s, 3 outputs'],
    ]);
  });

  it('leaves no mark for a cancelled run', () => {
    assert.equal(decorations.runDecoration(jobOf(file, { state: 'cancelled' })), undefined);
  });

  it("redraws a file's mark when its latest run changes, and only that file's", () => {
    const lastRuns = testLastRuns();
    const provider = new decorations.RunDecorationProvider(lastRuns);
    const redrawn: unknown[] = [];
    provider.onDidChangeFileDecorations((uris) => redrawn.push(uris));
    assert.equal(provider.provideFileDecoration(FakeUri.file(file) as never), undefined);
    lastRuns.set(failed);
    assert.deepEqual(redrawn, [[FakeUri.file(file)]]);
    const mark = provider.provideFileDecoration(FakeUri.file(file) as never) as unknown as FakeFileDecoration;
    assert.equal(mark.badge, '!');
    provider.dispose();
  });
});

describe('the lenses of a workflow', () => {
  it('are redrawn when its latest run changes', async () => {
    const { WorkflowLensProvider } = await import('../../../src/extension/documents/workflowLenses');
    const { WorkflowFormats } = await import('../../../src/extension/documents/workflowFormats');
    const lastRuns = testLastRuns();
    const formats = new WorkflowFormats();
    const provider = new WorkflowLensProvider(formats, lastRuns);
    let redraws = 0;
    provider.onDidChangeCodeLenses(() => redraws++);
    lastRuns.set(succeeded);
    assert.equal(redraws, 1);
    provider.dispose();
    formats.dispose();
  });
});

describe("the runner's latest runs", () => {
  it('follow its jobs once the host opens it, and never open it', async () => {
    const { runnerLastRuns } = await import('../../../src/extension/documents/lastRuns');
    const listeners: ((event: unknown) => void)[] = [];
    const runner = {
      snapshot: () => ({ jobs: [{ job: queued }] }),
      subscribe: (l: (event: unknown) => void) => {
        listeners.push(l);
        return () => listeners.splice(listeners.indexOf(l) >>> 0, 1);
      },
    };
    let open: ((r: unknown) => void) | undefined;
    const host = {
      current: undefined,
      onDidOpen: (l: (r: unknown) => void) => {
        open = l;
        return { dispose: () => (open = undefined) };
      },
      onDidWatch: () => ({ dispose: () => undefined }),
    };
    const lastRuns = runnerLastRuns(host as never);
    const changes: unknown[] = [];
    lastRuns.onDidChange((files) => changes.push(files));
    assert.equal(lastRuns.lastRunOf(file), undefined);
    open!(runner);
    assert.equal(lastRuns.lastRunOf(file)?.state, 'queued');
    listeners.forEach((l) =>
      l({
        type: 'job/state',
        jobId: queued.id,
        from: 'queued',
        to: 'running',
        job: { ...queued, state: 'running' },
      }),
    );
    assert.equal(lastRuns.lastRunOf(file)?.state, 'running');
    assert.deepEqual(changes, [undefined, [file]]);
    lastRuns.dispose();
    assert.equal(listeners.length, 0);
  });

  it('follow the jobs of a store another process runs while the host follows it', async () => {
    const { runnerLastRuns } = await import('../../../src/extension/documents/lastRuns');
    const store = { snapshot: () => ({ jobs: [{ job: queued }] }), subscribe: () => () => undefined };
    let watch: ((s: unknown) => void) | undefined;
    const host = {
      current: undefined,
      onDidOpen: () => ({ dispose: () => undefined }),
      onDidWatch: (l: (s: unknown) => void) => {
        watch = l;
        return { dispose: () => (watch = undefined) };
      },
    };
    const lastRuns = runnerLastRuns(host as never);
    watch!(store);
    assert.equal(lastRuns.lastRunOf(file)?.state, 'queued');
    lastRuns.dispose();
  });
});
