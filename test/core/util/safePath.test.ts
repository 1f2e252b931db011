import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { joinInside } from '../../../src/core/util/safePath';

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

  it('refuses backslash climbs and drive letters', () => {
    assert.equal(joinInside(base, '..\\..', 'x.png'), null);
    assert.equal(joinInside(base, 'C:\\Windows', 'x.png'), null);
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
