import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically, writeFileAtomic } from '../../../src/core/util/atomicWrite';
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
});
