import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Job } from '../../../src/core/jobs/job';
import type { PlanRequest } from '../../../src/core/run/planJobs';
import { openRunner } from '../../../src/core/run/runner';
import { tempDir } from '../../fakes/tempDirs';

/** Two branches: a ring mask saved (#9), and a composite saved (#16) beside a preview (#18) of a shared mask. */
const masks = resolve(__dirname, '../../../examples/api/masks.json');

/** A preview's name without the random letters PreviewImage gives every run's previews, whole or split. */
const named = (path: string) => path.replace(/(ComfyUI_temp_)[a-z]{5}_/, '$1?????_');

/** Every file under `dir` but run.json, by path relative to it (a preview's without its random letters), with its bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'run.json') continue;
    const path = join(entry.parentPath, entry.name);
    files.set(named(relative(dir, path)), readFileSync(path));
  }
  return files;
}

/** Runs masks.json once on an embedded engine of three slots, in a runner of its own; returns its jobs. */
async function runMasks(split: PlanRequest['split']): Promise<Job[]> {
  const dir = tempDir('runner-split-');
  const runner = await openRunner({
    storeDir: join(dir, '.store'),
    unfinished: 'refuse',
    servers: [{ url: 'embedded', slots: 3 }],
    out: dir,
    inputDir: dir,
    store: { pollMs: 50, heartbeatMs: 0 },
  });
  try {
    const jobs = await runner.submit({ workflows: [{ file: masks }], split });
    await runner.idle();
    return jobs.map((j) => runner.job(j.id)!);
  } finally {
    await runner.close();
  }
}

describe('a run split on one embedded engine', function () {
  this.timeout(60_000);
  let whole: Job[];
  let split: Job[];

  before(async () => {
    whole = await runMasks(false);
    split = await runMasks({});
  });

  it('runs as one part per output node when the engine has a slot for each', () => {
    assert.equal(whole.length, 1);
    assert.deepEqual(
      split.map((p) => [p.state, p.split?.outputs]),
      [
        ['succeeded', ['9']],
        ['succeeded', ['16']],
        ['succeeded', ['18']],
      ],
    );
  });

  it('saves the same files under the same names, byte for byte, as the whole run', () => {
    const expected = filesOf(whole[0].outDir);
    const actual = filesOf(split[0].outDir);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [path, bytes] of expected) assert.ok(actual.get(path)!.equals(bytes), `${path} differs`);
  });

  it('lists the outputs in the order the whole run lists them', () => {
    const record = (job: Job) =>
      (JSON.parse(readFileSync(join(job.outDir, 'run.json'), 'utf8')) as { outputs: { path: string }[] })
        .outputs;
    assert.deepEqual(
      record(split[0]).map((o) => named(o.path)),
      record(whole[0]).map((o) => named(o.path)),
    );
  });
});
