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
import type { DownloadLimits } from '../../../src/core/comfy/downloadLimits';
import { drip, flood, type HostileServer, startHostileServer } from '../../fakes/hostileServer';
import type * as http from 'node:http';

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

    it('writes each file where the caller places it, refusing a place the caller has none for', async () => {
      const files = outputRefs({
        '1': { images: [{ filename: 'a.png', subfolder: 's', type: 'temp' }] },
        '2': { images: [{ filename: 'b.png', subfolder: '', type: 'output' }] },
      });
      const pathOf = (ref: { filename: string; type: string }) =>
        ref.type === 'temp' ? join(dir, 'previews', ref.filename) : join(dir, ref.filename);
      const http = await api();
      const written = await downloadOutputs(http, files, { dir, pathOf });
      assert.deepEqual(
        written.map((f) => f.path),
        [join(dir, 'previews', 'a.png'), join(dir, 'b.png')],
      );
      assert.deepEqual(readdirSync(dir).sort(), ['b.png', 'previews']);
      await assert.rejects(downloadOutputs(http, files, { dir, pathOf: () => null }), (e) =>
        isRunnerError(e, 'protocol'),
      );
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

  describe('downloadOutputs from a hostile server', () => {
    let server: HostileServer | undefined;
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'comfy-dl-hostile-'));
    });
    afterEach(async () => {
      await server?.close();
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    /** A client of a server that answers `/view` for each file name with the given behaviour. */
    async function hostile(views: Record<string, (res: http.ServerResponse) => void>): Promise<ComfyHttp> {
      server = await startHostileServer((req, res) => {
        const name = new URL(req.url ?? '', 'http://x').searchParams.get('filename') ?? '';
        (views[name] ?? ((r: http.ServerResponse) => r.writeHead(404).end()))(res);
      });
      return new ComfyHttp(resolveServer({ baseUrl: server.url }));
    }

    const video = (filename: string, subfolder = '') =>
      outputRefs({ '1': { gifs: [{ filename, subfolder, type: 'output' }] } });

    /** The error a download fails with. */
    async function failure(
      api: ComfyHttp,
      files: ReturnType<typeof outputRefs>,
      limits: DownloadLimits,
    ): Promise<unknown> {
      return downloadOutputs(api, files, dir, limits).then(
        () => assert.fail('expected the download to fail'),
        (e: unknown) => e,
      );
    }

    it('fails with timeout at the stall timeout when the server stops sending mid-file', async () => {
      const api = await hostile({ 'a.mp4': (res) => res.writeHead(200).write('x') });
      const e = await failure(api, video('a.mp4'), { stallTimeoutMs: 200 });
      assert.ok(isRunnerError(e, 'timeout'), String(e));
      assert.equal((e.details as { limit: string }).limit, 'stallTimeout');
    });

    it('fails with timeout at the stall timeout when the server never answers', async () => {
      const api = await hostile({ 'a.mp4': () => undefined });
      const e = await failure(api, video('a.mp4'), { stallTimeoutMs: 200 });
      assert.ok(isRunnerError(e, 'timeout'), String(e));
      assert.equal((e.details as { limit: string }).limit, 'stallTimeout');
    });

    it('fails with timeout at the deadline when the server drips one byte at a time', async () => {
      const api = await hostile({ 'a.mp4': (res) => drip(res, 20) });
      const e = await failure(api, video('a.mp4'), { stallTimeoutMs: 1_000, deadlineMs: 300 });
      assert.ok(isRunnerError(e, 'timeout'), String(e));
      assert.equal((e.details as { limit: string }).limit, 'deadline');
    });

    it('names the server, the file and the limit in the error of a download past its deadline', async () => {
      const api = await hostile({ 'a.mp4': (res) => drip(res, 20) });
      const e = await failure(api, video('a.mp4', 'clips'), { deadlineMs: 300 });
      assert.ok(isRunnerError(e, 'timeout'), String(e));
      assert.deepEqual(e.details, {
        server: server!.url,
        file: { filename: 'a.mp4', subfolder: 'clips', type: 'output' },
        limit: 'deadline',
        limitMs: 300,
      });
      assert.match(e.message, /clips\/a\.mp4/);
      assert.ok(e.message.includes(server!.url), e.message);
      assert.match(e.message, /deadline of 0\.3 s/);
    });

    it('fails with too_large and leaves no file when the server sends more than the size cap', async () => {
      const api = await hostile({ 'a.mp4': (res) => flood(res, 4) });
      const e = await failure(api, video('a.mp4'), { maxBytes: 1024 * 1024 });
      assert.ok(isRunnerError(e, 'too_large'), String(e));
      assert.equal((e.details as { maxBytes: number }).maxBytes, 1024 * 1024);
      assert.deepEqual(readdirSync(dir), []);
    });

    it('fails with too_large before reading the body when the announced length is over the cap', async () => {
      // The server announces 3 MiB and then sends nothing: only the announcement can fail it in time.
      const api = await hostile({
        'a.mp4': (res) => res.writeHead(200, { 'Content-Length': 3 << 20 }).write(''),
      });
      const e = await failure(api, video('a.mp4'), { maxBytes: 1 << 20, stallTimeoutMs: 10_000 });
      assert.ok(isRunnerError(e, 'too_large'), String(e));
      assert.equal((e.details as { announced: number }).announced, 3 << 20);
    });

    it('downloads a file as large as the size cap', async () => {
      const api = await hostile({ 'a.mp4': (res) => flood(res, 1) });
      const [file] = await downloadOutputs(api, video('a.mp4'), dir, { maxBytes: 1 << 20 });
      assert.equal(file!.size, 1 << 20);
    });

    it('leaves neither the files already downloaded nor their folders when another file fails', async () => {
      const api = await hostile({ 'a.png': (res) => res.writeHead(200).end('done') });
      const files = outputRefs({
        '1': { images: [{ filename: 'a.png', subfolder: 'stills', type: 'output' }] },
        '2': { gifs: [{ filename: 'missing.mp4', subfolder: 'clips', type: 'output' }] },
      });
      const e = await failure(api, files, {});
      assert.ok(isRunnerError(e, 'protocol'), String(e));
      assert.deepEqual(readdirSync(dir), []);
    });

    it('stops the other downloads of the batch when one file fails', async () => {
      const api = await hostile({ 'slow.mp4': (res) => drip(res, 20) });
      const files = outputRefs({
        '1': { gifs: [{ filename: 'slow.mp4', subfolder: '', type: 'output' }] },
        '2': { gifs: [{ filename: 'missing.mp4', subfolder: '', type: 'output' }] },
      });
      const e = await failure(api, files, {});
      assert.ok(isRunnerError(e, 'protocol'), String(e));
      await server!.hungUp('slow.mp4');
      assert.deepEqual(readdirSync(dir), []);
    });
  });
});
