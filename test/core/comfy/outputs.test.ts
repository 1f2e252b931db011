import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { ComfyHttp } from '../../../src/core/comfy/http';
import { downloadOutputs, localPathFor } from '../../../src/core/comfy/outputs';
import { outputRefs } from '../../../src/core/protocol/outputRefs';
import { resolveServer } from '../../../src/core/comfy/serverConfig';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { type Loopback, startLoopback } from './loopback';

const root = join(tmpdir(), 'comfy-out');

describe('outputs', () => {
  describe('localPathFor', () => {
    it('keeps an ordinary output at the top of the folder and a subfolder under it', () => {
      assert.equal(
        localPathFor(root, { filename: 'a.png', subfolder: '', type: 'output' }),
        join(root, 'a.png'),
      );
      assert.equal(
        localPathFor(root, { filename: 'a.png', subfolder: 'x/y', type: 'output' }),
        join(root, 'x', 'y', 'a.png'),
      );
    });

    it('puts temp files under temp/', () => {
      assert.equal(
        localPathFor(root, { filename: 't.png', subfolder: '', type: 'temp' }),
        join(root, 'temp', 't.png'),
      );
    });

    const hostile: [string, string, string][] = [
      ['../../etc/passwd', '', 'output'],
      ['passwd', '../../../etc', 'output'],
      ['/etc/passwd', '/abs', 'output'],
      ['..\\..\\win.ini', '..\\x', 'output'],
      ['..', '..', '..'],
      ['a.png', '', '../../up'],
      ['CON', '', 'output'],
      ['x\u0000y:z*?.png', '', 'output'],
    ];
    for (const [filename, subfolder, type] of hostile) {
      it(`keeps ${JSON.stringify({ filename, subfolder, type })} inside the folder`, () => {
        const path = localPathFor(root, { filename, subfolder, type });
        assert.ok(path.startsWith(root + sep), path);
        assert.ok(!path.slice(root.length).split(sep).includes('..'), path);
      });
    }
  });

  describe('downloadOutputs', () => {
    let server: Loopback | undefined;
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'comfy-dl-'));
    });
    afterEach(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function api(): Promise<ComfyHttp> {
      server = await startLoopback((r) => {
        const q = new URL(r.url, 'http://x').searchParams;
        return q.get('filename') === 'missing.png'
          ? { status: 404, text: '' }
          : { status: 200, text: `data:${q}` };
      });
      return new ComfyHttp(resolveServer({ baseUrl: server.origin }));
    }

    it('writes each file under its final name and leaves no temporary file', async () => {
      const files = outputRefs({ '1': { images: [{ filename: 'a.png', subfolder: 's', type: 'output' }] } });
      const [file] = await downloadOutputs(await api(), files, dir);
      assert.equal(readFileSync(file!.path, 'utf8'), 'data:filename=a.png&subfolder=s&type=output');
      assert.deepEqual(readdirSync(join(dir, 's')), ['a.png']);
    });

    it('reports the size and SHA-256 of each file as it was written', async () => {
      const files = outputRefs({ '1': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] } });
      const [file] = await downloadOutputs(await api(), files, dir);
      const bytes = readFileSync(file!.path);
      assert.equal(file!.size, bytes.length);
      assert.equal(file!.sha256, createHash('sha256').update(bytes).digest('hex'));
    });

    it('gives two server files that clean to the same local name different names', async () => {
      const files = outputRefs({
        '1': { images: [{ filename: 'a?.png', subfolder: '', type: 'output' }] },
        '2': { images: [{ filename: 'a*.png', subfolder: '', type: 'output' }] },
      });
      const written = await downloadOutputs(await api(), files, dir);
      assert.deepEqual(
        written.map((f) => f.path),
        [join(dir, 'a_.png'), join(dir, 'a_ (1).png')],
      );
      assert.deepEqual(readdirSync(dir).sort(), ['a_ (1).png', 'a_.png']);
    });

    it('fails with protocol and leaves nothing behind when the server has no such file', async () => {
      const files = outputRefs({
        '1': { images: [{ filename: 'missing.png', subfolder: '', type: 'output' }] },
      });
      await assert.rejects(downloadOutputs(await api(), files, dir), (e: unknown) =>
        isRunnerError(e, 'protocol'),
      );
      assert.deepEqual(readdirSync(dir), []);
    });

    it('refuses to write through a symlink that leads outside the folder', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'comfy-outside-'));
      try {
        mkdirSync(dir, { recursive: true });
        symlinkSync(outside, join(dir, 'link'));
        const files = outputRefs({
          '1': { images: [{ filename: 'a.png', subfolder: 'link', type: 'output' }] },
        });
        await assert.rejects(downloadOutputs(await api(), files, dir), (e: unknown) =>
          isRunnerError(e, 'protocol'),
        );
        assert.deepEqual(readdirSync(outside), []);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });
  });
});
