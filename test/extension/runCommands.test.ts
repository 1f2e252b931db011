import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sharedFakeVscode } from '../fakes/fakeVscode';
import { workflowsDir } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';
import type { Runner } from '../../src/core/run/runner';

const record = sharedFakeVscode().record;
const examples = resolve(__dirname, '../../examples');

/** The extension's modules, loaded after the fake is installed. */
async function load() {
  const [run, queue, servers, runner, settings] = await Promise.all([
    import('../../src/extension/runCommands'),
    import('../../src/extension/queueCommands'),
    import('../../src/extension/serverCommands'),
    import('../../src/core/run/runner'),
    import('../../src/extension/settings'),
  ]);
  return { run, queue, servers, openRunner: runner.openRunner, MAX_ENGINE_SLOTS: settings.MAX_ENGINE_SLOTS };
}

describe('the run, queue and server commands', function () {
  this.timeout(30_000);
  let mods: Awaited<ReturnType<typeof load>>;
  let runner: Runner | undefined;
  let ensured = 0;
  const secrets = new Map<string, string>();

  /**
   * What the commands are given: a host whose runner runs the embedded engine in this process, with
   * `engineSlots` prompts at once.
   */
  function context(paused = false, engineSlots = 1) {
    const dir = tempDir('comfy-ext-run-');
    const host = {
      get current() {
        return runner;
      },
      folder: dir,
      onDidOpen: () => ({ dispose: () => undefined }),
      ensure: async () => {
        ensured++;
        runner ??= await mods.openRunner({
          storeDir: join(dir, '.store'),
          unfinished: 'resume',
          out: dir,
          inputDir: join(examples, 'input'),
          paused,
          servers: [{ url: 'embedded', slots: engineSlots }],
        });
        return runner;
      },
      close: async () => undefined,
      reopen: async () => undefined,
      dispose: () => undefined,
    };
    const secretStorage = {
      get: (k: string) => Promise.resolve(secrets.get(k)),
      store: (k: string, v: string) => Promise.resolve(void secrets.set(k, v)),
      delete: (k: string) => Promise.resolve(void secrets.delete(k)),
    };
    return {
      host,
      diagnostics: { set: () => undefined },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined, show: () => undefined },
      secrets: secretStorage,
    } as never;
  }

  function editor(fileName: string, text: string): void {
    record.activeDocument = { fileName, text };
  }

  before(async () => {
    mods = await load();
  });

  afterEach(async () => {
    await runner?.close();
    runner = undefined;
    ensured = 0;
    record.trusted = true;
    record.answers = [];
    record.prompts = [];
    record.refused = [];
    record.settings.clear();
    record.messages.length = 0;
    record.executed.length = 0;
    secrets.clear();
  });

  it('Run Workflow queues the unsaved content of the active editor', async () => {
    const text = readFileSync(join(workflowsDir, '01_invert.json'), 'utf8');
    editor(join(tempDir('comfy-ext-doc-'), 'never-saved.json'), text);
    await mods.run.runWorkflow(context());
    await runner!.idle();
    const [job] = runner!.snapshot().jobs;
    assert.equal(job.job.state, 'succeeded', job.job.error?.message);
    assert.equal(job.job.workflow.file.endsWith('never-saved.json'), true);
  });

  it('Run Workflow N Times queues as many runs as asked, each with its own seed', async () => {
    editor(
      join(examples, 'editor/variations.json'),
      readFileSync(join(examples, 'editor/variations.json'), 'utf8'),
    );
    record.answers = ['3'];
    await mods.run.runWorkflowTimes(context(true));
    const jobs = runner!.snapshot().jobs.map((j) => j.job);
    assert.deepEqual(
      jobs.map((j) => j.batch?.index),
      [1, 2, 3],
    );
    assert.equal(new Set(jobs.map((j) => JSON.stringify(j.overrides))).size, 3);
  });

  describe('Run Split Across Servers', () => {
    const masks = join(examples, 'api/masks.json');
    beforeEach(() => editor(masks, readFileSync(masks, 'utf8')));

    /** The jobs the runner has, as `[split index, its output nodes]` in part order, when split. */
    const partsOf = () =>
      runner!
        .snapshot()
        .jobs.map((v) => v.job)
        .map((j) => [j.split?.index, j.split?.outputs] as const)
        .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));

    it('queues one run in two parts, one per independent branch, when two engine slots are free', async () => {
      await mods.run.runSplit(context(true, 2));
      assert.deepEqual(partsOf(), [
        [1, ['9']],
        [2, ['16', '18']],
      ]);
      const ids = new Set(runner!.snapshot().jobs.map((v) => v.job.split?.id));
      assert.equal(ids.size, 1, 'both parts belong to one run');
    });

    it('Reveal Outputs on the split run’s item reveals the one folder its parts share', async () => {
      await mods.run.runSplit(context(true, 2));
      const [part] = runner!.snapshot().jobs.map((v) => v.job);
      await mods.queue.revealOutputs(context(), { kind: 'job', jobId: part.split!.id });
      const revealed = record.executed.filter((e) => e.command === 'revealFileInOS');
      assert.deepEqual(
        revealed.map((e) => (e.args[0] as { fsPath: string }).fsPath),
        [part.outDir],
      );
    });

    it('runs the workflow whole and says so when only one slot is free', async () => {
      await mods.run.runSplit(context(true, 1));
      assert.deepEqual(partsOf(), [[undefined, undefined]]);
      assert.match(record.messages.at(-1)!.text, /the run went whole/);
    });

    it('keeps the run whole when the splitServers setting allows one server', async () => {
      record.settings.set('scheduler.splitServers', 1);
      await mods.run.runSplit(context(true, 2));
      assert.deepEqual(partsOf(), [[undefined, undefined]]);
    });

    it('Run Workflow splits the run by branch when the split setting is on', async () => {
      record.settings.set('scheduler.split', true);
      await mods.run.runWorkflow(context(true, 2));
      assert.equal(partsOf().length, 2);
    });

    it('Run Workflow runs the workflow whole while the split setting is off', async () => {
      await mods.run.runWorkflow(context(true, 2));
      assert.deepEqual(partsOf(), [[undefined, undefined]]);
    });
  });

  describe('Run Sweep', () => {
    const sweepFile = join(examples, 'editor/sweep.json');
    beforeEach(() => editor(sweepFile, readFileSync(sweepFile, 'utf8')));

    it('offers the inputs the workflow sets to a value, by node title and id, and none that is wired', async () => {
      record.answers = [undefined];
      await mods.run.runSweep(context(true));
      const [pick] = record.prompts;
      const items = pick.items as { label: string; description: string }[];
      assert.ok(
        items.some((i) => i.label === 'Factor › value' && i.description === 'node 3 · PrimitiveFloat'),
        JSON.stringify(items.map((i) => i.label)),
      );
      assert.equal(pick.options?.matchOnDescription, true);
      assert.equal(
        items.some((i) => i.label === 'Blend › image1'),
        false,
        'a wired input is not offered',
      );
    });

    it('queues one run per value of the picked input, in order', async () => {
      record.answers = ['Factor › value', '0.25, 0.5, 0.75'];
      await mods.run.runSweep(context(true));
      const jobs = runner!.snapshot().jobs.map((j) => j.job);
      assert.deepEqual(
        jobs.map((j) => j.overrides),
        [0.25, 0.5, 0.75].map((value) => [{ node: '3', input: 'value', value }]),
      );
    });

    it('queues one run per number of a range', async () => {
      record.answers = ['Base › color', '1..4'];
      await mods.run.runSweep(context(true));
      assert.equal(runner!.snapshot().jobs.length, 4);
    });

    it('from a run, offers the inputs that run changed first, with its value', async () => {
      record.answers = [undefined];
      await mods.run.runSweep(context(true), undefined, {
        overrides: [{ node: '3', input: 'value', value: 0.8 }],
      });
      const [first] = record.prompts[0].items as { label: string; detail: string }[];
      assert.equal(first.label, 'Factor › value');
      assert.match(first.detail, /this run: 0\.8/);
    });

    it('from a run, fills the values box with the value that run used', async () => {
      record.answers = ['Factor › value', undefined];
      await mods.run.runSweep(context(true), undefined, {
        overrides: [{ node: 'Factor', input: 'value', value: 0.8 }],
      });
      assert.equal(record.prompts[1].options?.value, '0.8');
    });

    it('refuses values that are no sweep, and queues nothing', async () => {
      record.answers = ['Factor › value', ''];
      await mods.run.runSweep(context(true));
      assert.match(record.refused[0] ?? '', /no values/);
      assert.equal(runner!.snapshot().jobs.length, 0);
    });
  });

  describe('Run One Output Node', () => {
    const poster = join(examples, 'api/poster.json');
    beforeEach(() => editor(poster, readFileSync(poster, 'utf8')));

    it('offers the workflow’s output nodes by title, and only them', async () => {
      record.answers = [undefined];
      await mods.run.runOutputNode(context(true));
      const items = record.prompts[0].items as { label: string }[];
      assert.deepEqual(
        items.map((i) => i.label),
        ['Save poster', 'Preview thumbnail'],
      );
    });

    it('queues one run of the picked output node and the nodes it needs only', async () => {
      record.answers = ['Preview thumbnail'];
      await mods.run.runOutputNode(context(true));
      const [job] = runner!.snapshot().jobs.map((j) => j.job);
      assert.equal(job.prompt['10'], undefined, 'the other output node is not sent');
      assert.ok(job.prompt['12'] && job.prompt['11']);
    });
  });

  it('runs nothing in an untrusted workspace, and says so', async () => {
    record.trusted = false;
    editor(join(workflowsDir, '01_invert.json'), readFileSync(join(workflowsDir, '01_invert.json'), 'utf8'));
    await mods.run.runWorkflow(context());
    assert.equal(ensured, 0);
    assert.match(record.messages.at(-1)!.text, /untrusted/);
  });

  it('says what is wrong with an invalid workflow, with Show Problems, and queues nothing', async () => {
    editor(
      join(workflowsDir, '06c_validation_bad_value.json'),
      readFileSync(join(workflowsDir, '06c_validation_bad_value.json'), 'utf8'),
    );
    await mods.run.runWorkflow(context());
    const last = record.messages.at(-1)!;
    assert.equal(last.level, 'error');
    assert.match(last.text, /06c_validation_bad_value\.json/);
    assert.deepEqual(runner!.snapshot().jobs, []);
  });

  it('Cancel All Queued Jobs cancels every queued job', async () => {
    editor(
      join(examples, 'editor/variations.json'),
      readFileSync(join(examples, 'editor/variations.json'), 'utf8'),
    );
    record.answers = ['2'];
    await mods.run.runWorkflowTimes(context(true));
    await mods.queue.cancelAllQueued(context(true));
    assert.deepEqual(
      runner!.snapshot().jobs.map((j) => j.job.state),
      ['cancelled', 'cancelled'],
    );
  });

  it('Add Server keeps the URL in the servers setting without its credentials', async () => {
    record.answers = ['http://alice:pw@127.0.0.1:8188/'];
    await mods.servers.addServer(context());
    assert.deepEqual(record.settings.get('servers'), [{ url: 'http://127.0.0.1:8188' }]);
  });

  it('Set Server Slots keeps the number in that server’s entry of the servers setting alone', async () => {
    const other = { url: 'http://10.0.0.2:8188', slots: 2 };
    record.settings.set('servers', [{ url: 'http://127.0.0.1:8188', tags: ['gpu'] }, other]);
    record.answers = ['3'];
    await mods.servers.setServerSlots(context(), { serverUrl: 'http://127.0.0.1:8188' });
    assert.deepEqual(record.settings.get('servers'), [
      { url: 'http://127.0.0.1:8188', tags: ['gpu'], slots: 3 },
      other,
    ]);
  });

  it('Set Server Slots refuses a number of slots that is not a whole number from 1', async () => {
    record.settings.set('servers', [{ url: 'http://127.0.0.1:8188' }]);
    record.answers = ['0'];
    await mods.servers.setServerSlots(context(), 'http://127.0.0.1:8188');
    assert.equal(record.refused.length, 1);
    assert.deepEqual(record.settings.get('servers'), [{ url: 'http://127.0.0.1:8188' }]);
  });

  it('Set Server Slots on the engine’s item keeps the number in the engine.slots setting, not in servers', async () => {
    record.settings.set('servers', [{ url: 'http://127.0.0.1:8188' }]);
    record.answers = ['2'];
    await mods.servers.setServerSlots(context(), { kind: 'server', name: 'embedded' });
    assert.equal(record.settings.get('engine.slots'), 2);
    assert.deepEqual(record.settings.get('servers'), [{ url: 'http://127.0.0.1:8188' }]);
  });

  it('Set Server Slots refuses more engine slots than the engine is started with', async () => {
    const { MAX_ENGINE_SLOTS } = mods;
    record.answers = [String(MAX_ENGINE_SLOTS + 1)];
    await mods.servers.setServerSlots(context(), { kind: 'server', name: 'embedded' });
    assert.deepEqual(record.refused, [`A whole number from 1 to ${MAX_ENGINE_SLOTS}`]);
    assert.equal(record.settings.get('engine.slots'), undefined);
    record.answers = [String(MAX_ENGINE_SLOTS)];
    await mods.servers.setServerSlots(context(), { kind: 'server', name: 'embedded' });
    assert.equal(record.settings.get('engine.slots'), MAX_ENGINE_SLOTS);
  });

  it('Set Server Slots offers the embedded engine first among the servers to pick', async () => {
    record.settings.set('servers', [{ url: 'http://127.0.0.1:8188' }]);
    record.answers = ['embedded', '4'];
    await mods.servers.setServerSlots(context());
    const [pick] = record.prompts;
    assert.deepEqual(
      (pick.items as { label: string }[]).map((i) => i.label),
      ['embedded', 'http://127.0.0.1:8188'],
    );
    assert.equal(record.settings.get('engine.slots'), 4);
  });

  it('Set Server Credentials keeps a token in secret storage and nowhere in the settings', async () => {
    record.settings.set('servers', [{ url: 'http://127.0.0.1:8188' }]);
    record.answers = ['http://127.0.0.1:8188', 'Bearer token', 'tok-98765'];
    await mods.servers.setServerCredentials(context());
    assert.deepEqual(
      [...secrets.values()].map((v) => JSON.parse(v) as unknown),
      [{ bearerToken: 'tok-98765' }],
    );
    assert.equal(JSON.stringify([...record.settings]).includes('tok-98765'), false);
  });
});
