import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PromptResult } from '../../../../src/core/comfy/finalise';
import type { DownloadedFile } from '../../../../src/core/comfy/outputs';
import { createJob, type Job } from '../../../../src/core/jobs/job';
import { settleRemote } from '../../../../src/core/scheduler/targets/remoteResults';

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const item = { filename: 'a.png', subfolder: '', type: 'output' };

describe('remote results', () => {
  let outDir = '';
  let job: Job;
  beforeEach(() => {
    outDir = mkdtempSync(join(tmpdir(), 'remote-results-'));
    job = createJob({
      workflow: { file: 'w.json', sourceHash: '', promptHash: '' },
      prompt: {},
      overrides: [],
      outDir,
    });
  });
  afterEach(() => rmSync(outDir, { recursive: true, force: true }));

  /** A file as the download pipeline leaves it in the staging folder, with the digest it computed. */
  function staged(
    content: string,
    digest = { size: content.length, sha256: sha256(content) },
  ): DownloadedFile {
    const staging = join(outDir, '.download-x');
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, item.filename), content);
    return { ...item, nodeId: '1', kind: 'images', index: 0, path: join(staging, item.filename), ...digest };
  }

  const success = (outputs: PromptResult['outputs'], files: DownloadedFile[]) =>
    Promise.resolve<PromptResult>({ promptId: 'p', outputs, files, warnings: [] });

  it('describes each output by the digest its download computed, without reading the file again', async () => {
    const file = staged('png bytes', { size: 7, sha256: 'computed while downloading' });
    const result = await settleRemote(success({ '1': { images: [item] } }, [file]), job);
    assert.deepEqual(result.outputs, [
      { path: 'a.png', nodeId: '1', kind: 'images', index: 0, size: 7, sha256: 'computed while downloading' },
    ]);
    assert.equal(readFileSync(join(outDir, 'a.png'), 'utf8'), 'png bytes');
  });

  // Only `/` separates on POSIX, so a name with backslashes cannot climb out there (Windows: safePath tests).
  (process.platform === 'win32' ? it.skip : it)(
    'on POSIX collects a server file named ..\\..\\x.png into the job folder under that name',
    async () => {
      const file = staged('png bytes');
      const ref = { ...item, filename: '..\\..\\x.png' };
      const result = await settleRemote(success({ '1': { images: [ref] } }, [{ ...file, ...ref }]), job);
      assert.deepEqual(
        result.outputs.map((o) => o.path),
        ['..\\..\\x.png'],
      );
      assert.equal(readFileSync(join(outDir, '..\\..\\x.png'), 'utf8'), 'png bytes');
    },
  );

  it('records a server file that two nodes list for both, with the digest of its download', async () => {
    const file = staged('png bytes');
    const outputs = { '1': { images: [item] }, '2': { images: [item] } };
    const result = await settleRemote(success(outputs, [file]), job);
    assert.deepEqual(
      result.outputs.map((o) => [o.nodeId, o.path, o.sha256, o.size]),
      [
        ['1', 'a.png', sha256('png bytes'), 9],
        ['2', 'a.png', sha256('png bytes'), 9],
      ],
    );
    assert.equal(readFileSync(join(outDir, 'a.png'), 'utf8'), 'png bytes');
  });
});
