import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discardFolder, writeAtomically, writeFileAtomic } from '../../../src/core/util/atomicWrite';
import { tempDir } from '../../fakes/tempDirs';

describe('atomic writes', () => {
  it('writes the content and creates missing parent folders', async () => {
    const dir = tempDir('atomic-');
    await writeFileAtomic(join(dir, 'a', 'b.txt'), 'hello');
    assert.equal(readFileSync(join(dir, 'a', 'b.txt'), 'utf8'), 'hello');
  });

  it('leaves neither the target nor a temporary file when writing fails', async () => {
    const dir = tempDir('atomic-');
    await assert.rejects(
      writeAtomically(join(dir, 'x.txt'), async (tmp) => {
        await writeFileAtomic(tmp, 'partial');
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('discards a folder with everything in it, leaving nothing beside it', async () => {
    const dir = tempDir('atomic-');
    mkdirSync(join(dir, 'run', 'previews'), { recursive: true });
    writeFileSync(join(dir, 'run', 'first_00001_.png'), 'half');
    writeFileSync(join(dir, 'keep.txt'), 'other');
    await discardFolder(join(dir, 'run'));
    assert.deepEqual(readdirSync(dir), ['keep.txt']);
  });

  it('discards a folder that is not there without complaint', async () => {
    const dir = tempDir('atomic-');
    await discardFolder(join(dir, 'never-made'));
    assert.deepEqual(readdirSync(dir), []);
  });
});
