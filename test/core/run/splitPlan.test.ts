import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NewJob } from '../../../src/core/jobs/job';
import { planJobs, type PlanContext, type PlanRequest } from '../../../src/core/run/planJobs';
import { splitGroups } from '../../../src/core/run/splitPlan';
import type { ApiPrompt, NodeDefs } from '../../../src/core/workflow/types';

const defs = JSON.parse(
  readFileSync(resolve(__dirname, '../../../src/core/engine/nodeDefinitions.json'), 'utf8'),
) as NodeDefs;

/** A canvas of `color` saved as `prefix`, as nodes `first` and `first + 1`. */
function saved(first: number, color: number, prefix: string): ApiPrompt {
  return {
    [first]: { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color } },
    [first + 1]: { class_type: 'SaveImage', inputs: { images: [String(first), 0], filename_prefix: prefix } },
  };
}

/** Three independent branches (outputs 2, 4, 6). */
const three: ApiPrompt = { ...saved(1, 1, 'a'), ...saved(3, 2, 'b'), ...saved(5, 3, 'c') };

/** One canvas saved twice (outputs 2 and 3 share node 1), beside an independent branch (output 5). */
const shared: ApiPrompt = {
  ...saved(1, 1, 'a'),
  '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'a2' } },
  ...saved(4, 2, 'b'),
};

/** Plans `prompt` with `free` free places in the pool. */
function plan(prompt: ApiPrompt, free: number, request: Partial<PlanRequest> = {}): Promise<NewJob[]> {
  const ctx: PlanContext = {
    defs: new Map([['embedded', defs]]),
    verdicts: () => [{ target: 'embedded', verdict: { kind: 'capable' } }],
    freePlaces: () => free,
  };
  const workflows = [{ file: 'branches.json', content: JSON.stringify(prompt) }];
  return planJobs({ workflows, out: '/nowhere', split: {}, ...request }, ctx);
}

const outputsOf = (jobs: readonly NewJob[]) => jobs.map((j) => j.split?.outputs);

describe('splitting a run by branch', () => {
  it('makes one part per independent branch when there are places for each', async () => {
    assert.deepEqual(outputsOf(await plan(three, 3)), [['2'], ['4'], ['6']]);
  });

  it('gives every part the whole prompt, the run’s id and folder, and its number of the parts', async () => {
    const parts = await plan(three, 3);
    const id = parts[0].split!.id;
    for (const [i, part] of parts.entries()) {
      assert.deepEqual(part.prompt, three);
      assert.deepEqual([part.split!.id, part.split!.index, part.split!.size], [id, i + 1, 3]);
      assert.equal(part.outDir, parts[0].outDir);
      assert.notEqual(part.id, id);
    }
    assert.ok(parts[0].outDir.endsWith(id.slice(0, 8)), parts[0].outDir);
  });

  it('keeps a run whole when only one place is free', async () => {
    const jobs = await plan(three, 1);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].split, undefined);
  });

  it('keeps a run whole when it is not asked to split', async () => {
    const jobs = await plan(three, 3, { split: false });
    assert.deepEqual(outputsOf(jobs), [undefined]);
  });

  it('makes no more parts than the run may use servers', async () => {
    assert.deepEqual(outputsOf(await plan(three, 3, { split: { servers: 2 } })), [['2', '6'], ['4']]);
  });

  it('numbers the runs of a batch, not their parts', async () => {
    const jobs = await plan(three, 3, { runs: 2, allowIdentical: true });
    assert.deepEqual(
      jobs.map((j) => [j.batch?.index, j.split?.index]),
      [
        [1, 1],
        [1, 2],
        [1, 3],
        [2, 1],
        [2, 2],
        [2, 3],
      ],
    );
  });

  it('keeps a run of one output node whole', async () => {
    const jobs = await plan(three, 3, { outputs: ['2'] });
    assert.deepEqual(outputsOf(jobs), [undefined]);
  });
});

describe('grouping output nodes into parts', () => {
  it('keeps outputs that share a node together while there are places for the branches alone', () => {
    assert.deepEqual(splitGroups(shared, ['2', '3', '5'], 2), [['2', '3'], ['5']]);
  });

  it('splits the largest branch when there are more places than branches, each part computing what it needs', () => {
    assert.deepEqual(splitGroups(shared, ['2', '3', '5'], 3), [['2'], ['3'], ['5']]);
  });

  it('puts branches together, the largest first into the lightest part, when there are fewer places', () => {
    const big: ApiPrompt = {
      ...three,
      '7': { class_type: 'ImageInvert', inputs: { image: ['5', 0] } },
      '8': { class_type: 'SaveImage', inputs: { images: ['7', 0], filename_prefix: 'c2' } },
    };
    // Branch 6+8 weighs 4 nodes, 2 and 4 two each: 6+8 alone, 2 and 4 together.
    assert.deepEqual(splitGroups(big, ['2', '4', '6', '8'], 2), [
      ['2', '4'],
      ['6', '8'],
    ]);
  });
});
