import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../../src/core/engine/executor';
import type { WrittenFile } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { testDirs, type TestDirs } from '../../fakes/testDirs';
import { apiNode, runCollecting, testEngine } from '../../fakes/testNodes';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A 4x2 image batch of two, saved with `prefix` and previewed. */
function savePrompt(prefix: string): ApiPrompt {
  return {
    '1': apiNode('EmptyImage', { width: 4, height: 2, batch_size: 2, color: 0x336699 }),
    '2': apiNode('SaveImage', { images: ['1', 0], filename_prefix: prefix }),
    '3': apiNode('PreviewImage', { images: ['1', 0] }),
  };
}

/** Folders of one prompt's own, apart from the engine's. */
function promptFolders(): { outputDir: string; tempDir: string } {
  const { outputDir } = testDirs();
  return { outputDir, tempDir: join(outputDir, 'previews') };
}

describe('a prompt with folders of its own', () => {
  let dirs: TestDirs;
  let engine: Engine;
  beforeEach(() => {
    dirs = testDirs();
    engine = createEngine({ ...dirs, workers: false });
  });
  afterEach(() => engine.dispose());

  it('is saved and previewed into its folders, leaving the engine’s folders empty', async () => {
    const own = promptFolders();
    const { outcome } = await runCollecting(engine, savePrompt('shot'), own);
    assert.equal(outcome.status, 'success');
    assert.deepEqual(readdirSync(own.outputDir).sort(), ['previews', 'shot_00001_.png', 'shot_00002_.png']);
    assert.equal(readdirSync(own.tempDir).length, 2);
    assert.deepEqual([...readdirSync(dirs.outputDir), ...readdirSync(dirs.tempDir)], []);
  });

  it('reports every file written with the size and SHA-256 of the file on disk, before its node’s executed event', async () => {
    const own = promptFolders();
    const order: string[] = [];
    const files: [string, WrittenFile][] = [];
    await runCollecting(engine, savePrompt('shot'), {
      ...own,
      onEvent: (e) => e.type === 'executed' && order.push(`executed ${e.data.node}`),
      onFileWritten: (nodeId, file) => {
        files.push([nodeId, file]);
        order.push(`file ${nodeId}`);
      },
    });
    assert.deepEqual(files.map(([id, f]) => `${id} ${f.type}`).sort(), [
      '2 output',
      '2 output',
      '3 temp',
      '3 temp',
    ]);
    for (const [, f] of files) {
      assert.equal(f.sha256, sha256(f.path));
      assert.equal(f.size, readFileSync(f.path).length);
    }
    for (const id of ['2', '3'])
      assert.ok(order.lastIndexOf(`file ${id}`) < order.indexOf(`executed ${id}`), order.join(', '));
  });

  it('counts names from 00001 in each new folder, whatever the engine’s folders hold', async () => {
    await runCollecting(engine, savePrompt('shot'));
    const [first, second] = [promptFolders(), promptFolders()];
    await runCollecting(engine, savePrompt('other'), first);
    await runCollecting(engine, savePrompt('shot'), second);
    assert.ok(existsSync(join(first.outputDir, 'other_00001_.png')));
    assert.ok(existsSync(join(second.outputDir, 'shot_00001_.png')));
  });

  it('gets a cached SaveImage’s files copied in, so its UI names files in its own folder', async () => {
    const [first, second] = [promptFolders(), promptFolders()];
    await runCollecting(engine, savePrompt('shot'), first);
    const reported: WrittenFile[] = [];
    const { events } = await runCollecting(engine, savePrompt('shot'), {
      ...second,
      onFileWritten: (_id, f) => reported.push(f),
    });
    const cached = events.find((e) => e.type === 'execution_cached');
    assert.deepEqual(cached?.type === 'execution_cached' && cached.data.nodes, ['1', '2', '3']);
    assert.equal(reported.length, 4);
    for (const name of ['shot_00001_.png', 'shot_00002_.png']) {
      assert.equal(sha256(join(second.outputDir, name)), sha256(join(first.outputDir, name)));
    }
    for (const f of reported) assert.equal(f.sha256, sha256(f.path));
  });

  it('runs a cached SaveImage again when the file it wrote is gone or changed', async () => {
    const [first, second, third] = [promptFolders(), promptFolders(), promptFolders()];
    await runCollecting(engine, savePrompt('shot'), first);
    rmSync(join(first.outputDir, 'shot_00002_.png'));
    const { events } = await runCollecting(engine, savePrompt('shot'), second);
    const ran = events.flatMap((e) => (e.type === 'executing' && e.data.node ? [e.data.node] : []));
    assert.deepEqual(ran, ['2']);
    assert.deepEqual(readdirSync(second.outputDir).sort(), [
      'previews',
      'shot_00001_.png',
      'shot_00002_.png',
    ]);
    writeFileSync(join(second.outputDir, 'shot_00001_.png'), 'edited');
    const again = await runCollecting(engine, savePrompt('shot'), third);
    assert.ok(again.events.some((e) => e.type === 'executing' && e.data.node === '2'));
    assert.equal(
      sha256(join(third.outputDir, 'shot_00001_.png')),
      sha256(join(first.outputDir, 'shot_00001_.png')),
    );
  });

  it('runs a cached output node again when it did not report its files, so its folder gets its own', async () => {
    const local = testEngine({ workers: false });
    try {
      const prompt = {
        '1': apiNode('TestSource', { value: 1 }),
        '2': apiNode('TestCounter', { tag: 'unreported', input: ['1', 0] }),
      };
      const [first, second] = [promptFolders(), promptFolders()];
      await runCollecting(local, prompt, first);
      const { events } = await runCollecting(local, prompt, second);
      assert.ok(events.some((e) => e.type === 'executing' && e.data.node === '2'));
      assert.deepEqual(readdirSync(second.outputDir), ['unreported_00001_.txt']);
    } finally {
      await local.dispose();
    }
  });

  it('still refuses a prefix that leads out of its output folder', async () => {
    const own = promptFolders();
    const { outcome } = await runCollecting(engine, savePrompt('../escaped'), own);
    assert.equal(outcome.status, 'error');
    assert.equal(outcome.status === 'error' && outcome.error.exception_type, 'Exception');
    assert.deepEqual(readdirSync(join(own.outputDir, '..')).sort(), ['input', 'output', 'temp']);
  });
});

describe('a prompt in the engine’s folders', () => {
  it('replays a cached SaveImage as ComfyUI does, writing and copying nothing', async () => {
    const dirs = testDirs();
    const engine = createEngine({ ...dirs, workers: false });
    try {
      await runCollecting(engine, savePrompt('shot'));
      const reported: WrittenFile[] = [];
      const { outcome } = await runCollecting(engine, savePrompt('shot'), {
        onFileWritten: (_id, f) => reported.push(f),
      });
      assert.deepEqual(reported, []);
      assert.deepEqual(readdirSync(dirs.outputDir).sort(), ['shot_00001_.png', 'shot_00002_.png']);
      assert.deepEqual(
        (outcome.outputs['2'].images as { filename: string }[]).map((r) => r.filename),
        ['shot_00001_.png', 'shot_00002_.png'],
      );
    } finally {
      await engine.dispose();
    }
  });
});
