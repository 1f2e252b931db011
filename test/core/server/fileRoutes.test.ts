import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../fakes/tempDirs';
import { call, closeServed, serve } from './serverHarness';

function form(name: string, content: string, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.set('image', new Blob([content]), name);
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

describe('GET /view', () => {
  afterEach(closeServed);

  it('serves an output file with a guessed content type', async () => {
    const { url, outputDir } = await serve();
    writeFileSync(join(outputDir, 'a.png'), 'png bytes');
    const reply = await call(url, 'GET', '/view?filename=a.png&subfolder=&type=output');
    assert.equal(reply.status, 200);
    assert.equal(reply.contentType, 'image/png');
    assert.equal(reply.text, 'png bytes');
  });

  it('lets an annotation suffix on the name pick the folder', async () => {
    const { url, inputDir } = await serve();
    writeFileSync(join(inputDir, 'in.png'), 'input');
    assert.equal(
      (await call(url, 'GET', `/view?filename=${encodeURIComponent('in.png [input]')}`)).text,
      'input',
    );
  });

  it('refuses a name with a leading slash or .. with 400', async () => {
    const { url } = await serve();
    assert.equal((await call(url, 'GET', '/view?filename=%2Fetc%2Fpasswd')).status, 400);
    assert.equal((await call(url, 'GET', '/view?filename=..%2Fsecret.png')).status, 400);
  });

  it('refuses a subfolder that leaves its folder with 403', async () => {
    const { url } = await serve();
    assert.equal((await call(url, 'GET', '/view?filename=a.png&subfolder=..%2F..')).status, 403);
  });

  it('answers 404 for a file that is not there and 400 for an unknown type', async () => {
    const { url } = await serve();
    assert.equal((await call(url, 'GET', '/view?filename=nope.png')).status, 404);
    assert.equal((await call(url, 'GET', '/view?filename=nope.png&type=models')).status, 400);
  });

  it('forces files a browser would run to download', async () => {
    const { url, outputDir } = await serve();
    writeFileSync(join(outputDir, 'x.svg'), '<svg/>');
    const res = await fetch(`${url}/view?filename=x.svg`);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('POST /upload/image', () => {
  afterEach(closeServed);

  it('stores the file in the input folder and returns its name', async () => {
    const { url, inputDir } = await serve();
    const reply = await call(url, 'POST', '/upload/image', form('u.png', 'one'));
    assert.deepEqual(reply.json, { name: 'u.png', subfolder: '', type: 'input' });
    assert.equal(readFileSync(join(inputDir, 'u.png'), 'utf8'), 'one');
  });

  it('returns the existing name for identical content instead of writing a copy', async () => {
    const { url, inputDir } = await serve();
    await call(url, 'POST', '/upload/image', form('u.png', 'same'));
    const again = await call(url, 'POST', '/upload/image', form('u.png', 'same'));
    assert.equal((again.json as { name: string }).name, 'u.png');
    assert.deepEqual(readdirSync(inputDir), ['u.png']);
  });

  it('renames different content to name (1).ext, then name (2).ext', async () => {
    const { url, inputDir } = await serve();
    await call(url, 'POST', '/upload/image', form('u.png', 'one'));
    const second = await call(url, 'POST', '/upload/image', form('u.png', 'two'));
    const third = await call(url, 'POST', '/upload/image', form('u.png', 'three'));
    assert.equal((second.json as { name: string }).name, 'u (1).png');
    assert.equal((third.json as { name: string }).name, 'u (2).png');
    assert.equal(readFileSync(join(inputDir, 'u (1).png'), 'utf8'), 'two');
  });

  it('replaces a file of the same name when overwrite is set', async () => {
    const { url, inputDir } = await serve();
    await call(url, 'POST', '/upload/image', form('u.png', 'one'));
    const reply = await call(url, 'POST', '/upload/image', form('u.png', 'two', { overwrite: 'true' }));
    assert.equal((reply.json as { name: string }).name, 'u.png');
    assert.equal(readFileSync(join(inputDir, 'u.png'), 'utf8'), 'two');
  });

  it('stores into a subfolder and a temp type', async () => {
    const { url, tempDir } = await serve();
    const reply = await call(
      url,
      'POST',
      '/upload/image',
      form('t.png', 'x', { subfolder: 'sub', type: 'temp' }),
    );
    assert.deepEqual(reply.json, { name: 't.png', subfolder: 'sub', type: 'temp' });
    assert.equal(readFileSync(join(tempDir, 'sub', 't.png'), 'utf8'), 'x');
  });

  it('refuses a subfolder or name that leaves the folder with 400', async () => {
    const { url, root } = await serve();
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    assert.equal(
      (await call(url, 'POST', '/upload/image', form('u.png', 'x', { subfolder: '../elsewhere' }))).status,
      400,
    );
    assert.equal((await call(url, 'POST', '/upload/image', form('../u.png', 'x'))).status, 400);
    assert.deepEqual(readdirSync(join(root, 'elsewhere')), []);
    assert.deepEqual(readdirSync(root).sort(), ['elsewhere', 'input', 'output', 'temp']);
    assert.deepEqual(readdirSync(join(root, 'input')), []);
  });

  it('refuses a form without the image part with 400', async () => {
    const { url } = await serve();
    const f = new FormData();
    f.set('type', 'input');
    assert.equal((await call(url, 'POST', '/upload/image', f)).status, 400);
  });
});

describe('the file routes and symlinks', () => {
  afterEach(closeServed);

  /** A folder outside the server's folders holding secret.png. */
  function outside(): string {
    const dir = tempDir('serve-outside-');
    writeFileSync(join(dir, 'secret.png'), 'secret');
    return dir;
  }

  it('refuses to serve a file through a symlink in the output folder that leads outside', async () => {
    const { url, outputDir } = await serve();
    symlinkSync(join(outside(), 'secret.png'), join(outputDir, 'a.png'));
    const reply = await call(url, 'GET', '/view?filename=a.png&type=output');
    assert.equal(reply.status, 403);
    assert.notEqual(reply.text, 'secret');
  });

  it('refuses to serve a file from a symlinked subfolder that leads outside', async () => {
    const { url, outputDir } = await serve();
    symlinkSync(outside(), join(outputDir, 'linked'));
    const reply = await call(url, 'GET', '/view?filename=secret.png&subfolder=linked&type=output');
    assert.equal(reply.status, 403);
  });

  it('serves a file through a symlink that stays inside the folders', async () => {
    const { url, outputDir } = await serve();
    mkdirSync(join(outputDir, 'real'));
    writeFileSync(join(outputDir, 'real', 'b.png'), 'inside');
    symlinkSync(join(outputDir, 'real'), join(outputDir, 'alias'));
    const reply = await call(url, 'GET', '/view?filename=b.png&subfolder=alias&type=output');
    assert.equal(reply.text, 'inside');
  });

  it('serves files of an output folder that is itself a symlink', async () => {
    const real = tempDir('serve-real-output-');
    writeFileSync(join(real, 'c.png'), 'linked root');
    const link = join(tempDir('serve-link-'), 'output');
    symlinkSync(real, link);
    const { url } = await serve({ outputDir: link });
    assert.equal((await call(url, 'GET', '/view?filename=c.png&type=output')).text, 'linked root');
  });

  it('refuses an upload into a symlinked subfolder that leads outside, writing nothing there', async () => {
    const { url, inputDir } = await serve();
    const away = outside();
    symlinkSync(away, join(inputDir, 'linked'));
    for (const subfolder of ['linked', 'linked/new']) {
      const reply = await call(url, 'POST', '/upload/image', form('u.png', 'x', { subfolder }));
      assert.equal(reply.status, 400, subfolder);
      assert.match(String((reply.json as { error?: unknown })?.error), /outside/, subfolder);
    }
    assert.deepEqual(readdirSync(away), ['secret.png']);
  });

  it('refuses an upload named . or .. into a symlinked subfolder and leaves the link alone', async () => {
    const { url, inputDir } = await serve();
    mkdirSync(join(inputDir, 'real'));
    symlinkSync(join(inputDir, 'real'), join(inputDir, 'alias'));
    for (const name of ['.', '..']) {
      const reply = await call(url, 'POST', '/upload/image', form(name, 'x', { subfolder: 'alias' }));
      assert.equal(reply.status, 400, name);
    }
    assert.ok(lstatSync(join(inputDir, 'alias')).isSymbolicLink());
    assert.equal(readlinkSync(join(inputDir, 'alias')), join(inputDir, 'real'));
  });

  it('refuses an upload name that holds a folder', async () => {
    const { url, inputDir } = await serve();
    mkdirSync(join(inputDir, 'sub'));
    for (const name of ['sub/u.png', 'sub\\u.png']) {
      const reply = await call(url, 'POST', '/upload/image', form(name, 'x'));
      assert.equal(reply.status, 400, name);
    }
    assert.deepEqual(readdirSync(join(inputDir, 'sub')), []);
  });

  it('never reads or replaces a file through a symlink named like the upload that leads outside', async () => {
    const { url, inputDir } = await serve();
    const away = outside();
    symlinkSync(join(away, 'secret.png'), join(inputDir, 'u.png'));
    // Same content as the outside file: a server that read it would answer that it has it already.
    const kept = await call(url, 'POST', '/upload/image', form('u.png', 'secret'));
    assert.equal((kept.json as { name: string }).name, 'u (1).png');
    const overwrite = await call(url, 'POST', '/upload/image', form('u.png', 'new', { overwrite: 'true' }));
    assert.equal(overwrite.status, 400);
    assert.equal(readFileSync(join(away, 'secret.png'), 'utf8'), 'secret');
    assert.ok(lstatSync(join(inputDir, 'u.png')).isSymbolicLink());
  });

  it('uploads into a symlinked subfolder that stays inside the folder', async () => {
    const { url, inputDir } = await serve();
    mkdirSync(join(inputDir, 'real'));
    symlinkSync(join(inputDir, 'real'), join(inputDir, 'alias'));
    const reply = await call(url, 'POST', '/upload/image', form('u.png', 'x', { subfolder: 'alias' }));
    assert.deepEqual(reply.json, { name: 'u.png', subfolder: 'alias', type: 'input' });
    assert.equal(readFileSync(join(inputDir, 'real', 'u.png'), 'utf8'), 'x');
  });
});
