import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically, writeFileAtomic } from '../../../src/core/util/atomicWrite';

describe('atomic writes', () => {
  it('writes the content and creates missing parent folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    await writeFileAtomic(join(dir, 'a', 'b.txt'), 'hello');
    assert.equal(readFileSync(join(dir, 'a', 'b.txt'), 'utf8'), 'hello');
  });

  it('leaves neither the target nor a temporary file when writing fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
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
