import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../../src/core/engine/executor';
import { createRegistry } from '../../../src/core/engine/registry';
import type { LiveInputs, NodeImpl } from '../../../src/core/engine/types';
import { testDirs } from '../../fakes/testDirs';
import { apiNode, testNodes } from '../../fakes/testNodes';

/** A registry of the test nodes plus one live class that records every time its definition is built. */
function countingRegistry() {
  const builds: LiveInputs[] = [];
  const base = testNodes.find((n) => n.classType === 'TestSource')!;
  const live: NodeImpl = {
    ...base,
    classType: 'TestLive',
    def: { ...base.def, name: 'TestLive' },
    liveDef: (inputs) => {
      builds.push(inputs);
      return { ...base.def, name: 'TestLive', description: inputs.inputImages.join(',') };
    },
  };
  return { nodes: createRegistry(testNodes, [live]), builds };
}

describe('engine definitions', () => {
  it('are built once per engine, however often validation, the pool and a target ask for them', async () => {
    const { nodes, builds } = countingRegistry();
    const dirs = testDirs();
    const engine = createEngine({ ...dirs, nodes, workers: false });
    try {
      const first = await engine.definitions();
      const prompt = {
        '1': apiNode('TestSource', { value: 1 }),
        '2': apiNode('TestCounter', { tag: 'defs', input: ['1', 0] }),
      };
      await engine.execute(prompt, { promptId: 'a' });
      await engine.execute(prompt, { promptId: 'b' });
      assert.equal(await engine.definitions(), first);
      assert.equal(builds.length, 1);
    } finally {
      await engine.dispose();
    }
  });

  it('are rebuilt when the input folder’s images change, so the live lists stay current', async () => {
    const { nodes, builds } = countingRegistry();
    const dirs = testDirs();
    const engine = createEngine({ ...dirs, nodes, workers: false });
    try {
      const before = await engine.definitions();
      writeFileSync(join(dirs.inputDir, 'new.png'), '');
      const after = await engine.definitions();
      assert.notEqual(after, before);
      assert.equal(after.TestLive.description, 'new.png');
      assert.equal(after.TestSource, before.TestSource);
      assert.deepEqual(
        builds.map((b) => b.inputImages),
        [[], ['new.png']],
      );
    } finally {
      await engine.dispose();
    }
  });

  it('validate a prompt without a class that lists the input folder without listing it again', async () => {
    const { nodes, builds } = countingRegistry();
    const dirs = testDirs();
    const engine = createEngine({ ...dirs, nodes, workers: false });
    try {
      const prompt = (source: string, value: number) => ({
        '1': apiNode(source, { value }),
        '2': apiNode('TestCounter', { tag: 'defs', input: ['1', 0] }),
      });
      await engine.execute(prompt('TestSource', 1), { promptId: 'a' });
      writeFileSync(join(dirs.inputDir, 'new.png'), '');
      await engine.execute(prompt('TestSource', 2), { promptId: 'b' });
      assert.equal(builds.length, 1);
      await engine.execute(prompt('TestLive', 3), { promptId: 'c' });
      assert.deepEqual(
        builds.map((b) => b.inputImages),
        [[], ['new.png']],
      );
    } finally {
      await engine.dispose();
    }
  });

  it('list the input folder’s images in LoadImage’s definition as they come and go', async () => {
    const dirs = testDirs();
    const engine = createEngine({ ...dirs, workers: false });
    try {
      assert.deepEqual((await engine.definitions()).LoadImage.input.required!.image[0], []);
      writeFileSync(join(dirs.inputDir, 'b.png'), '');
      writeFileSync(join(dirs.inputDir, 'a.png'), '');
      const defs = await engine.definitions();
      assert.deepEqual(defs.LoadImage.input.required!.image, [['a.png', 'b.png'], { image_upload: true }]);
      assert.deepEqual(defs.LoadImageMask.input.required!.image[0], ['a.png', 'b.png']);
    } finally {
      await engine.dispose();
    }
  });
});
