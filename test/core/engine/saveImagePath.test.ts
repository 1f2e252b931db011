import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyFrontendReplacements,
  counterOf,
  formatCounter,
  getSaveImagePath,
  pythonDirname,
  pythonNormpath,
  saveFileName,
} from '../../../src/core/engine/saveImagePath';
import { NodeException } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { tempDir } from '../../fakes/tempDirs';

function outputDir(files: string[] = []): string {
  const dir = tempDir('comfy-save-path-');
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
  return dir;
}

const may5 = new Date(2024, 4, 5, 7, 8, 9);

describe('getSaveImagePath', () => {
  it('starts at counter 1 in an empty folder', async () => {
    const p = await getSaveImagePath('ComfyUI', outputDir());
    assert.deepEqual([p.filename, p.counter, p.subfolder], ['ComfyUI', 1, '']);
  });

  it('continues after the highest counter already in the folder', async () => {
    const dir = outputDir(['img_00003_.png', 'img_00010_.png', 'img_00002_.png']);
    assert.equal((await getSaveImagePath('img', dir)).counter, 11);
  });

  it('ignores files of other prefixes', async () => {
    const dir = outputDir(['imgx_00007_.png', 'im_00009_.png', 'other_00004_.png']);
    assert.equal((await getSaveImagePath('img', dir)).counter, 1);
  });

  it('counts a name whose counter is not a number as 0, as ComfyUI does', async () => {
    const dir = outputDir(['img_final.png']);
    assert.equal((await getSaveImagePath('img', dir)).counter, 1);
    assert.equal(counterOf('img_final.png', 'img'), 0);
  });

  it('splits a subfolder off the prefix and creates it', async () => {
    const dir = outputDir();
    const p = await getSaveImagePath('a/./b/../c/shot', dir);
    assert.deepEqual([p.subfolder, p.filename, p.fullOutputFolder], ['a/c', 'shot', join(dir, 'a', 'c')]);
    assert.ok(existsSync(join(dir, 'a', 'c')));
  });

  it('counts files in the subfolder, not in the output folder', async () => {
    const dir = outputDir(['img_00005_.png', 'sub/img_00002_.png']);
    assert.equal((await getSaveImagePath('sub/img', dir)).counter, 3);
  });

  for (const prefix of ['../escape', 'a/../../escape', '/tmp/escape']) {
    it(`refuses the prefix ${prefix}, which leaves the output folder`, async () => {
      const e = await getSaveImagePath(prefix, outputDir()).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(e instanceof NodeException);
      assert.equal(e.exceptionType, 'Exception');
      assert.match(e.message, /outside the output folder is not allowed/);
    });
  }

  it('refuses a prefix whose subfolder is a symlink leading outside the output folder', async () => {
    const dir = outputDir();
    const outside = tempDir('comfy-save-outside-');
    symlinkSync(outside, join(dir, 'away'));
    const e = await getSaveImagePath('away/img', dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(e instanceof NodeException);
    assert.match(e.message, /outside the output folder is not allowed/);
    assert.deepEqual(readdirSync(outside), []);
  });

  it('saves through a symlinked subfolder that stays inside the output folder', async () => {
    const dir = outputDir(['real/img_00004_.png']);
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    const p = await getSaveImagePath('alias/img', dir);
    assert.deepEqual([p.subfolder, p.counter], ['alias', 5]);
  });

  it('substitutes the server variables when the prefix holds a %', async () => {
    const p = await getSaveImagePath(
      '%year%-%month%-%day%_%hour%%minute%%second%_%width%x%height%',
      outputDir(),
      64,
      48,
      {
        now: may5,
      },
    );
    assert.equal(p.filename, '2024-05-05_070809_64x48');
  });

  it('counts names reserved by saves in flight', async () => {
    const dir = outputDir(['img_00001_.png']);
    const p = await getSaveImagePath('img', dir, 0, 0, {
      pendingIn: () => ['img_00002_.png', 'img_00003_.png'],
    });
    assert.equal(p.counter, 4);
  });

  it('counts a save in flight that finishes while the folder is being read', async () => {
    const dir = outputDir([]);
    // The save of img_00001_.png completes right as its name is asked for: the file is renamed into the
    // folder and the name leaves the in-flight set. It must still be counted, by one side or the other.
    const p = await getSaveImagePath('img', dir, 0, 0, {
      pendingIn: () => {
        writeFileSync(join(dir, 'img_00001_.png'), '');
        return [];
      },
    });
    assert.equal(p.counter, 2);
  });
});

describe('save file names', () => {
  it('pads the counter to five digits after the sign, like Python', () => {
    assert.deepEqual(
      [formatCounter(7), formatCounter(123456), formatCounter(-4)],
      ['00007', '123456', '-0004'],
    );
  });

  it('replaces %batch_num% with the batch index', () => {
    assert.equal(saveFileName('img_%batch_num%', 2, 9), 'img_2_00009_.png');
  });
});

describe('applyFrontendReplacements', () => {
  const prompt: ApiPrompt = {
    '3': { class_type: 'EmptyImage', inputs: { width: 512, height: ['9', 0] }, _meta: { title: 'Canvas' } },
    '4': { class_type: 'PrimitiveString', inputs: { value: 'a/b\\c' }, _meta: { title: 'Name' } },
  };

  it('formats %date:...% with the frontend tokens', () => {
    assert.equal(
      applyFrontendReplacements('%date:yyyy-MM-dd hh-mm-ss% %date:yy d M%', {}, may5),
      '2024-05-05 07-08-09 24 5 5',
    );
  });

  it('finds a node by class name, then by title, and uses its widget value', () => {
    assert.equal(applyFrontendReplacements('%EmptyImage.width%_%Name.value%', prompt, may5), '512_a_b_c');
  });

  it('leaves what it cannot resolve as written', () => {
    const text = '%width%_%Missing.value%_%Canvas.height%_%Canvas.nope%';
    assert.equal(applyFrontendReplacements(text, prompt, may5), text);
  });
});

describe('Python path helpers', () => {
  it('normalises like posixpath.normpath', () => {
    const cases: [string, string][] = [
      ['', '.'],
      ['a/', 'a'],
      ['./a//b/.', 'a/b'],
      ['a/../..', '..'],
      ['/../a', '/a'],
      ['//a', '//a'],
      ['///a', '/a'],
    ];
    for (const [input, expected] of cases) assert.equal(pythonNormpath(input), expected, input);
  });

  it('takes the folder part like posixpath.dirname', () => {
    assert.deepEqual(['a/b', 'a', '/a', 'a//b'].map(pythonDirname), ['a', '', '/', 'a']);
  });
});
