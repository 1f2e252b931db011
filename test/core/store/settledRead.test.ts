import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSettled } from '../../../src/core/store/settledRead';
import { tempDir } from '../../fakes/tempDirs';

describe('reading one version of a job file', () => {
  it('reads a file again when it was replaced while being read', async () => {
    const path = join(tempDir('settled-'), 'a.json');
    writeFileSync(path, 'first');
    let reads = 0;
    // The first read comes back with half a write, and the file is replaced meanwhile.
    const slowRead = async (p: string): Promise<string> => {
      if (reads++ > 0) return readFileSync(p, 'utf8');
      writeFileSync(`${p}.tmp`, 'second');
      renameSync(`${p}.tmp`, p);
      return 'fir';
    };
    const read = await readSettled(path, undefined, slowRead);
    assert.equal(read?.text, 'second');
    assert.equal(reads, 2);
  });

  it('reads an unchanging file once', async () => {
    const path = join(tempDir('settled-'), 'a.json');
    writeFileSync(path, 'only');
    let reads = 0;
    const read = await readSettled(path, undefined, async (p) => (reads++, readFileSync(p, 'utf8')));
    assert.equal(read?.text, 'only');
    assert.equal(reads, 1);
  });

  it('says there is no file when there is none', async () => {
    assert.equal(await readSettled(join(tempDir('settled-'), 'none.json')), undefined);
  });
});
