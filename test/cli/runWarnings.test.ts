import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from './cliHarness';
import { tempDir } from '../fakes/tempDirs';

const poster = resolve(__dirname, '../../examples/editor/poster.json');

describe('comfy-runner run and the conversion’s warnings', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('run-warn-');
  });

  it('prints a warning of the conversion beside the job it concerns', async () => {
    const w = JSON.parse(readFileSync(poster, 'utf8')) as { links: unknown[] };
    w.links.push([99, 1, 0, 7, 0, 'INT']);
    const file = join(dir, 'poster.json');
    writeFileSync(file, JSON.stringify(w));
    const run = await runCli([
      'run',
      file,
      '--out',
      join(dir, 'out'),
      '--input-dir',
      resolve(__dirname, '../../examples/input'),
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.ok(
      run.err.some((l) => l.includes('warning') && l.includes('Link 99 to node 7 is not listed')),
      run.err.join('\n'),
    );
  });
});
