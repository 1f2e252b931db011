import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cleanSegment,
  cleanSegments,
  joinInside,
  joinInsideOn,
  realPathInside,
  realPathWithin,
} from '../../../src/core/util/safePath';
import { tempDir } from '../../fakes/tempDirs';

const base = resolve('/tmp/run-folder');

describe('joinInside', () => {
  it('joins a plain subfolder and file name inside the folder', () => {
    assert.equal(joinInside(base, 'sub', 'a.png'), join(base, 'sub', 'a.png'));
  });

  it('refuses a name that climbs out with ..', () => {
    assert.equal(joinInside(base, '', '../../etc/passwd'), null);
  });

  it('refuses an absolute subfolder', () => {
    assert.equal(joinInside(base, '/etc', 'passwd'), null);
  });

  it('refuses a NUL byte', () => {
    assert.equal(joinInside(base, '', 'a.png\0.txt'), null);
  });

  it('allows .. that stays inside the folder', () => {
    assert.equal(joinInside(base, 'a/../b', 'c.png'), join(base, 'b', 'c.png'));
  });

  it('refuses a name that resolves to the folder itself', () => {
    assert.equal(joinInside(base, 'a', '..'), null);
  });
});

describe('joinInsideOn', () => {
  const posixBase = '/runs/job';
  const windowsBase = 'C:\\runs\\job';

  it('on POSIX keeps a name with backslashes, ..\\..\\x, as one ordinary file inside the folder', () => {
    assert.equal(joinInsideOn('posix', posixBase, '', '..\\..\\x.png'), '/runs/job/..\\..\\x.png');
  });

  it('on POSIX keeps a drive-letter-looking name inside the folder', () => {
    assert.equal(joinInsideOn('posix', posixBase, 'C:\\Windows', 'x.png'), '/runs/job/C:\\Windows/x.png');
  });

  it('on POSIX keeps ....//x and %2e%2e%2f inside the folder', () => {
    assert.equal(joinInsideOn('posix', posixBase, '', '....//x'), '/runs/job/..../x');
    assert.equal(joinInsideOn('posix', posixBase, '', '%2e%2e%2fx'), '/runs/job/%2e%2e%2fx');
  });

  it('on POSIX refuses a climb with slashes', () => {
    assert.equal(joinInsideOn('posix', posixBase, '../..', 'x.png'), null);
  });

  it('on Windows refuses a climb with backslashes', () => {
    assert.equal(joinInsideOn('win32', windowsBase, '', '..\\..\\x.png'), null);
    assert.equal(joinInsideOn('win32', windowsBase, '..\\..', 'x.png'), null);
  });

  it('on Windows keeps a backslash subfolder inside the folder', () => {
    assert.equal(joinInsideOn('win32', windowsBase, 'a\\b', 'x.png'), 'C:\\runs\\job\\a\\b\\x.png');
  });

  it('on Windows refuses drive letters, rooted paths, UNC paths and streams', () => {
    for (const part of ['C:\\Windows', 'C:x', '\\Windows', '\\\\host\\share', 'a.png:stream']) {
      assert.equal(joinInsideOn('win32', windowsBase, part, 'x.png'), null, part);
    }
  });

  it('on Windows refuses a segment that Windows would strip into a climb', () => {
    assert.equal(joinInsideOn('win32', windowsBase, '.. \\..', 'x.png'), null);
    assert.equal(joinInsideOn('win32', windowsBase, '', '...\\x.png'), null);
  });
});

describe('cleanSegment', () => {
  it('keeps an ordinary file name as it is', () => {
    assert.equal(cleanSegment('ComfyUI_00001_.png'), 'ComfyUI_00001_.png');
  });

  it('replaces control and reserved characters with _', () => {
    assert.equal(cleanSegment('x\u0000y:z*?.png'), 'x_y_z__.png');
  });

  it('leaves nothing of . and ..', () => {
    assert.deepEqual([cleanSegment('.'), cleanSegment('..'), cleanSegment('...')], ['', '', '']);
  });

  it('turns a leading dot into _ and drops trailing dots and spaces', () => {
    assert.equal(cleanSegment('.hidden'), '_hidden');
    assert.equal(cleanSegment('name. . '), 'name');
  });

  it('prefixes Windows device names with _', () => {
    assert.deepEqual([cleanSegment('CON'), cleanSegment('lpt1.txt')], ['_CON', '_lpt1.txt']);
  });

  it('cuts a segment to 200 characters', () => {
    assert.equal(cleanSegment('a'.repeat(300)).length, 200);
  });
});

describe('cleanSegments', () => {
  it('splits at both slashes and drops empty segments and climbs', () => {
    assert.deepEqual(cleanSegments('../a\\b//../c'), ['a', 'b', 'c']);
  });
});

describe('realPathInside', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'safe-path-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the folder itself and a folder inside it', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    assert.equal(await realPathInside(dir, dir), true);
    assert.equal(await realPathInside(dir, join(dir, 'a', 'b')), true);
  });

  it('refuses a folder reached through a symlink that leads outside', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'safe-path-outside-'));
    try {
      symlinkSync(outside, join(dir, 'link'));
      assert.equal(await realPathInside(dir, join(dir, 'link')), false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('realPathWithin', () => {
  let dir = '';
  let outside = '';
  beforeEach(() => {
    dir = realpathSync(tempDir('safe-path-'));
    outside = realpathSync(tempDir('safe-path-outside-'));
  });

  it('gives a path that does not exist yet inside the folder, its missing part appended', async () => {
    assert.equal(await realPathWithin(dir, join(dir, 'new', 'a.png')), join(dir, 'new', 'a.png'));
  });

  it('resolves a symlink that stays inside to where it leads', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    assert.equal(await realPathWithin(dir, join(dir, 'alias', 'a.png')), join(dir, 'real', 'a.png'));
  });

  it('refuses a path below a symlink that leads outside, even where nothing exists yet', async () => {
    symlinkSync(outside, join(dir, 'link'));
    assert.equal(await realPathWithin(dir, join(dir, 'link', 'new', 'a.png')), null);
  });

  it('refuses a symlinked file that leads outside', async () => {
    writeFileSync(join(outside, 'secret'), 's');
    symlinkSync(join(outside, 'secret'), join(dir, 'a.png'));
    assert.equal(await realPathWithin(dir, join(dir, 'a.png')), null);
  });

  it('refuses a dangling symlink, wherever it would lead', async () => {
    symlinkSync(join(outside, 'not-yet'), join(dir, 'a.png'));
    assert.equal(await realPathWithin(dir, join(dir, 'a.png')), null);
  });

  it('accepts a path inside a folder that is itself reached through a symlink', async () => {
    const link = join(outside, 'root-link');
    symlinkSync(dir, link);
    assert.equal(await realPathWithin(link, join(link, 'a.png')), join(dir, 'a.png'));
  });

  it('refuses everything when the folder does not exist', async () => {
    assert.equal(await realPathWithin(join(dir, 'missing'), join(dir, 'missing', 'a.png')), null);
  });
});
