import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefinitionsCache } from '../../../src/core/run/workflowDefinitions';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { tempDir } from '../../fakes/tempDirs';

const def = { input: {}, output: ['IMAGE'] };

describe('DefinitionsCache', () => {
  it('reads a definitions file once until cleared', async () => {
    const file = join(tempDir('comfy-defs-'), 'object_info.json');
    writeFileSync(file, JSON.stringify({ First: def }));
    const cache = new DefinitionsCache();
    assert.deepEqual(Object.keys(await cache.get({ file, inputDir: '/none' })), ['First']);
    writeFileSync(file, JSON.stringify({ Second: def }));
    assert.deepEqual(Object.keys(await cache.get({ file, inputDir: '/none' })), ['First']);
    cache.clear();
    assert.deepEqual(Object.keys(await cache.get({ file, inputDir: '/none' })), ['Second']);
  });

  it('keeps a wrong file as its bad_input answer', async () => {
    const file = join(tempDir('comfy-defs-'), 'missing.json');
    const cache = new DefinitionsCache();
    const first = cache.get({ file, inputDir: '/none' });
    assert.equal(cache.get({ file, inputDir: '/none' }), first);
    await assert.rejects(first, (e) => isRunnerError(e, 'bad_input'));
  });

  it("gives the engine's definitions when no file is named, the same object while the folder is unchanged", async () => {
    const cache = new DefinitionsCache();
    const inputDir = tempDir('comfy-input-');
    const defs = await cache.get({ inputDir });
    assert.ok('SaveImage' in defs);
    assert.equal(await cache.get({ file: '', inputDir }), defs);
  });
});
