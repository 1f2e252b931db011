import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  discardFolder,
  syncTextLimit,
  writeAtomically,
  writeFileAtomic,
  writeTextAtomic,
} from '../../../src/core/util/atomicWrite';
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

  it('writes a small text over the old file, creating missing folders, with no temporary file left', async () => {
    const dir = tempDir('atomic-');
    const path = join(dir, 'jobs', 'a.json');
    await writeTextAtomic(path, 'first');
    await writeTextAtomic(path, 'second');
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.deepEqual(readdirSync(join(dir, 'jobs')), ['a.json']);
  });

  it('writes a text longer than the synchronous limit whole', async () => {
    const dir = tempDir('atomic-');
    const text = 'x'.repeat(syncTextLimit + 1);
    await writeTextAtomic(join(dir, 'big.json'), text);
    assert.equal(readFileSync(join(dir, 'big.json'), 'utf8'), text);
    assert.deepEqual(readdirSync(dir), ['big.json']);
  });

  it('rejects a small text it cannot put in place, leaving no temporary file', async () => {
    const dir = tempDir('atomic-');
    mkdirSync(join(dir, 'taken', 'inside'), { recursive: true });
    await assert.rejects(writeTextAtomic(join(dir, 'taken'), 'text'), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(readdirSync(dir), ['taken']);
  });
});
