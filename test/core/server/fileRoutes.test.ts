import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
