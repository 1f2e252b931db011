import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runCli } from './cliHarness';
import { workflowsDir } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('comfy-runner run output folders', () => {
  it('writes each embedded output once, into its job’s folder, and nothing under <out>/.engine', async () => {
    const out = tempDir('run-folders-');
    const run = await runCli([
      'run',
      join(workflowsDir, '01_invert.json'),
      '--runs',
      '2',
      // The fixture has no seed: its two runs are the same prompt, and have to be allowed.
      '--allow-identical',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    const summary = JSON.parse(run.out.at(-1)!) as { jobs: { outputs: string[] }[] };
    assert.equal(existsSync(join(out, '.engine')), false);
    for (const job of summary.jobs) {
      assert.deepEqual(
        job.outputs.map((o) => basename(o)),
        ['invert_00001_.png'],
      );
      const record = JSON.parse(readFileSync(join(dirname(job.outputs[0]), 'run.json'), 'utf8')) as {
        outputs: { path: string; sha256: string }[];
      };
      assert.deepEqual(
        record.outputs.map((o) => o.sha256),
        [sha256(job.outputs[0])],
      );
    }
  });
});
