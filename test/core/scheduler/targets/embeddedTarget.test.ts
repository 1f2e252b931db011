import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createEngine, type Engine } from '../../../../src/core/engine/executor';
import { createRegistry } from '../../../../src/core/engine/registry';
import { defineNode } from '../../../../src/core/engine/defineNode';
import { ioNodes } from '../../../../src/core/engine/nodes/imageIo';
import { builtinNodes } from '../../../../src/core/engine/registry';
import { createJob, type Job } from '../../../../src/core/jobs/job';
import { writeRunRecord } from '../../../../src/core/jobs/runRecord';
import { embeddedTarget } from '../../../../src/core/scheduler/targets/embeddedTarget';
import type { RunHooks, RunTarget } from '../../../../src/core/scheduler/targets/runTarget';
import type { ApiPrompt } from '../../../../src/core/workflow/types';
import { apiNode, testEngine } from '../../../fakes/testNodes';
import { tempDir } from '../../../fakes/tempDirs';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const hooks: RunHooks = {
  accepted: () => undefined,
  started: () => undefined,
  event: () => undefined,
  warning: () => undefined,
};

/** Every file below `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const savePrompt: ApiPrompt = {
  '1': apiNode('EmptyImage', { width: 8, height: 4, batch_size: 2, color: 0xff8800 }),
  '2': apiNode('SaveImage', { images: ['1', 0], filename_prefix: 'sub/shot' }),
  '3': apiNode('PreviewImage', { images: ['1', 0] }),
};

/** The embedded engine as the command line's pool sets it up: its own folders under `<out>/.engine`. */
function poolEngine(out: string, nodes = builtinNodes, log?: (entry: string) => void): Engine {
  const root = join(out, '.engine');
  return createEngine({
    inputDir: tempDir('embedded-in-'),
    outputDir: join(root, 'output'),
    tempDir: join(root, 'temp'),
    nodes,
    workers: false,
    log: log ?? (() => undefined),
  });
}

describe('the embedded run target', () => {
  let out: string;
  let target: RunTarget;
  const jobIn = (prompt: ApiPrompt, name: string): Job =>
    createJob({
      workflow: { file: 'w.json', sourceHash: '', promptHash: '' },
      prompt,
      overrides: [],
      outDir: join(out, name),
    });
  const run = (job: Job) => target.run(job, hooks, new AbortController().signal);

  beforeEach(() => {
    out = tempDir('embedded-out-');
    target = embeddedTarget(poolEngine(out));
  });
  afterEach(() => target.dispose());

  it('writes a job’s outputs only into its run folder, nothing under <out>/.engine', async () => {
    const job = jobIn(savePrompt, 'job');
    const result = await run(job);
    assert.equal(result.status, 'success');
    assert.equal(existsSync(join(out, '.engine')), false);
    const previews = readdirSync(join(job.outDir, 'previews'));
    assert.deepEqual(filesUnder(out), [
      ...previews.map((p) => join('job', 'previews', p)),
      join('job', 'sub', 'shot_00001_.png'),
      join('job', 'sub', 'shot_00002_.png'),
    ]);
  });

  it('lists each output with the size and SHA-256 of the file in the run folder', async () => {
    const job = jobIn(savePrompt, 'job');
    const { outputs } = await run(job);
    assert.equal(outputs.length, 4);
    for (const o of outputs) {
      const path = join(job.outDir, o.path);
      assert.equal(o.sha256, sha256(path), o.path);
      assert.equal(o.size, readFileSync(path).length, o.path);
    }
  });

  it('keeps JobOutputs and run.json in their shape: path in the run folder, node, kind and index', async () => {
    const job = jobIn(savePrompt, 'job');
    job.outputs = (await run(job)).outputs;
    const saved = job.outputs.filter((o) => o.nodeId === '2');
    assert.deepEqual(
      saved.map(({ sha256: _s, size: _z, ...rest }) => rest),
      [0, 1].map((index) => ({
        path: join('sub', `shot_0000${index + 1}_.png`),
        nodeId: '2',
        kind: 'images',
        index,
      })),
    );
    const previews = job.outputs.filter((o) => o.nodeId === '3');
    assert.deepEqual(
      previews.map((o) => [o.path.split(/[\\/]/)[0], o.kind, o.index]),
      [
        ['previews', 'images', 0],
        ['previews', 'images', 1],
      ],
    );
    const record = JSON.parse(readFileSync(await writeRunRecord(job), 'utf8')) as { outputs: unknown };
    assert.deepEqual(record.outputs, job.outputs);
  });

  it('numbers from 00001 in every run folder, an identical second job included', async () => {
    const [first, second] = [jobIn(savePrompt, 'a'), jobIn(savePrompt, 'b')];
    await run(first);
    const { outputs } = await run(second);
    assert.deepEqual(
      outputs.filter((o) => o.nodeId === '2').map((o) => o.path),
      [join('sub', 'shot_00001_.png'), join('sub', 'shot_00002_.png')],
    );
    for (const o of outputs) assert.equal(o.sha256, sha256(join(second.outDir, o.path)));
    assert.equal(
      sha256(join(second.outDir, 'sub', 'shot_00001_.png')),
      sha256(join(first.outDir, 'sub', 'shot_00001_.png')),
    );
  });

  it('fails a job whose SaveImage prefix leads out of its run folder, writing nothing outside it', async () => {
    const escaping = {
      ...savePrompt,
      '2': apiNode('SaveImage', { images: ['1', 0], filename_prefix: '../out' }),
    };
    const result = await run(jobIn(escaping, 'job'));
    assert.equal(result.status, 'error');
    assert.equal(result.error?.exception_type, 'Exception');
    assert.deepEqual(readdirSync(out), ['job']);
  });

  it('ends a failed job only once a node writing beside the failing one has written its file', async () => {
    const preview = ioNodes.find((n) => n.classType === 'PreviewImage')!;
    let failed!: () => void;
    const failure = new Promise<void>((done) => (failed = done));
    const lateWriter = defineNode('PreviewImage', {
      run: async (inputs, ctx) => {
        const result = await preview.run(inputs, ctx);
        // Still writing when SaveImage fails beside it, and some time after.
        await failure.then(() => new Promise((done) => setTimeout(done, 50)));
        writeFileSync(join(ctx.tempDir, 'late.txt'), 'written after the failure');
        return result;
      },
    });
    await target.dispose();
    const nodes = createRegistry(
      [...builtinNodes.values()].filter((n) => n.classType !== 'PreviewImage'),
      [lateWriter],
    );
    target = embeddedTarget(poolEngine(out, nodes));
    const escaping = {
      ...savePrompt,
      '2': apiNode('SaveImage', { images: ['1', 0], filename_prefix: '../out' }),
    };
    const job = jobIn(escaping, 'job');
    const onFailure = {
      ...hooks,
      event: (e: { type: string }) => void (e.type === 'execution_error' && failed()),
    };
    const result = await target.run(job, onFailure, new AbortController().signal);
    assert.equal(result.status, 'error');
    assert.ok(existsSync(join(job.outDir, 'previews', 'late.txt')), 'the file is there when the job ends');
  });

  it('fails a node that throws with node, exception and message, its JavaScript stack only in the log', async () => {
    const log: string[] = [];
    const logged = embeddedTarget(poolEngine(out, builtinNodes, (entry) => log.push(entry)));
    try {
      const escaping = {
        ...savePrompt,
        '2': apiNode('SaveImage', { images: ['1', 0], filename_prefix: '../out' }),
      };
      const job = jobIn(escaping, 'job');
      const result = await logged.run(job, hooks, new AbortController().signal);
      const { error } = result;
      assert.deepEqual(
        [error?.reason, error?.node_id, error?.node_type, error?.exception_type],
        ['execution_failed', '2', 'SaveImage', 'Exception'],
      );
      assert.match(error!.message, /^Exception: \S/);
      const shown = JSON.stringify(error);
      assert.doesNotMatch(shown, /\bat /, 'no stack frame');
      assert.doesNotMatch(shown, /\.[jt]s:\d/, 'no path of our code');
      assert.equal(log.length, 1);
      assert.match(log[0], /node 2 \(SaveImage\)/);
      assert.match(log[0], /\n\s+at .*\.[jt]s:\d/, 'the stack, with its frames, is in the log');
    } finally {
      await logged.dispose();
    }
  });

  it('takes size and SHA-256 from what the engine reports, reading nothing back', async () => {
    // A SaveImage that misreports its digest: the target must list what was reported, not what it reads.
    const save = ioNodes.find((n) => n.classType === 'SaveImage')!;
    const lying = defineNode('SaveImage', {
      run: async (inputs, ctx) => {
        const result = await save.run(inputs, ctx);
        return { ...result, files: result.files?.map((f) => ({ ...f, sha256: 'reported' })) };
      },
    });
    await target.dispose();
    target = embeddedTarget(
      poolEngine(
        out,
        createRegistry(
          [...builtinNodes.values()].filter((n) => n.classType !== 'SaveImage'),
          [lying],
        ),
      ),
    );
    const { outputs } = await run(jobIn(savePrompt, 'job'));
    assert.deepEqual(
      outputs.filter((o) => o.nodeId === '2').map((o) => o.sha256),
      ['reported', 'reported'],
    );
  });

  it('reads back a file its node wrote without reporting it', async () => {
    await target.dispose();
    target = embeddedTarget(testEngine({ workers: false }));
    const prompt = {
      '1': apiNode('TestSource', { value: 1 }),
      '2': apiNode('TestCounter', { tag: 'unreported', input: ['1', 0] }),
    };
    const job = jobIn(prompt, 'job');
    const { outputs } = await run(job);
    assert.deepEqual(
      outputs.map((o) => [o.path, o.sha256]),
      [['unreported_00001_.txt', sha256(join(job.outDir, 'unreported_00001_.txt'))]],
    );
  });
});
