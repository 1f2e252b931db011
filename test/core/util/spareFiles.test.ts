import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { SpareFiles, sparePrefix } from '../../../src/core/util/spareFiles';
import { tempDir } from '../../fakes/tempDirs';

/** A folder, its spare files over a clock the test moves, and the file `a.json` in it. */
function rig(options: { max?: number } = {}) {
  const dir = tempDir('spares-');
  const clock = { t: 1000 };
  const spares = new SpareFiles(dir, { graceMs: 500, now: () => clock.t, ...options });
  return { dir, clock, spares, path: join(dir, 'a.json') };
}

/** What an open descriptor reads from the start of its file. */
function readFd(fd: number): string {
  const buffer = Buffer.alloc(256);
  return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
}

describe('spare files', () => {
  it('writes a replace after the grace into the file an earlier replace displaced', async () => {
    const { clock, spares, path } = rig();
    await spares.replaceText(path, 'first');
    const fd = openSync(path, 'r');
    try {
      await spares.replaceText(path, 'second');
      clock.t += 500;
      await spares.replaceText(path, 'third');
      assert.equal(readFileSync(path, 'utf8'), 'third');
      assert.equal(readFd(fd), 'third');
    } finally {
      closeSync(fd);
    }
  });

  it('leaves a displaced file as it was while the grace lasts, for a reader that has it open', async () => {
    const { clock, spares, path } = rig();
    await spares.replaceText(path, 'first');
    const fd = openSync(path, 'r');
    try {
      await spares.replaceText(path, 'second');
      clock.t += 499;
      await spares.replaceText(path, 'third');
      await spares.replaceText(path, 'fourth');
      assert.equal(readFd(fd), 'first');
      assert.equal(readFileSync(path, 'utf8'), 'fourth');
    } finally {
      closeSync(fd);
    }
  });

  it('keeps displaced files under hidden names only, and clearing leaves the written files alone', async () => {
    const { dir, spares, path } = rig();
    await spares.replaceText(path, 'first');
    await spares.replaceText(path, 'second');
    await spares.replaceText(join(dir, 'b.json'), 'other');
    const hidden = readdirSync(dir).filter((n) => n.startsWith('.'));
    assert.equal(hidden.length, 1);
    assert.ok(hidden[0]!.startsWith(sparePrefix));
    spares.clear();
    assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b.json']);
    assert.equal(readFileSync(path, 'utf8'), 'second');
  });

  it('deletes a displaced file beyond the most it keeps', async () => {
    const { dir, spares, path } = rig({ max: 1 });
    for (const text of ['1', '2', '3', '4']) await spares.replaceText(path, text);
    assert.equal(spares.size, 1);
    assert.equal(readdirSync(dir).length, 2);
  });

  it('makes the folder of a first write when it is missing', async () => {
    const { dir, spares } = rig();
    await spares.replaceText(join(dir, 'jobs', 'a.json'), 'first');
    assert.equal(readFileSync(join(dir, 'jobs', 'a.json'), 'utf8'), 'first');
  });
});
