import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NewJob } from '../../../src/core/jobs/job';
import { planJobs, type PlanContext, type PlanRequest } from '../../../src/core/run/planJobs';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { parseSweep } from '../../../src/core/workflow/overrides';
import { SEED_LIMIT } from '../../../src/core/workflow/seeds';
import type { ApiPrompt, EditorWorkflow, NodeDefs } from '../../../src/core/workflow/types';
import { node, output, socket, workflow } from '../workflow/convertTestKit';

const root = resolve(__dirname, '../../..');

/** The engine's definitions, plus a sampler-like class with a seed whose range is ComfyUI's. */
const defs: NodeDefs = {
  ...(JSON.parse(readFileSync(resolve(root, 'src/core/engine/nodeDefinitions.json'), 'utf8')) as NodeDefs),
  NoisyImage: {
    input: {
      required: {
        image: ['IMAGE'],
        seed: ['INT', { default: 0, min: 0, max: 0xffffffffffffffff, control_after_generate: true }],
        strength: ['INT', { default: 1, min: 0, max: 10 }],
      },
    },
    input_order: { required: ['image', 'seed', 'strength'] },
    output: ['IMAGE'],
    output_is_list: [false],
    output_name: ['IMAGE'],
    name: 'NoisyImage',
    display_name: 'Noisy Image',
    description: 'Test-only: a node with a seed.',
    python_module: 'custom_nodes.test_nodes',
    category: 'test',
    output_node: false,
  },
};

const ctx: PlanContext = {
  defs: new Map([['embedded', defs]]),
  verdicts: () => [{ target: 'embedded', verdict: { kind: 'capable' } }],
};

/** An API prompt: a canvas, noise with `seed`, saved. */
function seeded(seed: number): ApiPrompt {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
    '3': {
      class_type: 'NoisyImage',
      inputs: { image: ['1', 0], seed, strength: 1 },
      _meta: { title: 'Noise' },
    },
    '9': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'noise' } },
  };
}

const seedless: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '9': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'plain' } },
};

/** An editor workflow: a PrimitiveInt with `control` drives the colour of a saved canvas. */
function editorColour(value: number, control: string): EditorWorkflow {
  return workflow(
    [
      node(1, 'PrimitiveInt', {
        title: 'Colour',
        outputs: [output('INT', 'INT', [1])],
        widgets: [value, control],
      }),
      node(2, 'EmptyImage', {
        inputs: [socket('color', 'INT', 1, true)],
        outputs: [output('IMAGE', 'IMAGE', [2])],
        widgets: [8, 8, 1, 0],
      }),
      node(3, 'SaveImage', { inputs: [socket('images', 'IMAGE', 2)], widgets: ['colour'] }),
    ],
    [
      [1, 1, 0, 2, 0, 'INT'],
      [2, 2, 0, 3, 0, 'IMAGE'],
    ],
  );
}

function plan(content: object, request: Partial<PlanRequest> = {}): Promise<NewJob[]> {
  const workflows = [{ file: 'w.json', content: JSON.stringify(content) }];
  return planJobs({ workflows, out: '/nowhere', ...request }, ctx);
}

/** The value of one input in each planned job's prompt. */
function valuesOf(jobs: NewJob[], nodeId: string, input: string): unknown[] {
  return jobs.map((j) => j.prompt[nodeId].inputs[input]);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (isRunnerError(e, 'bad_input')) return e.message;
    throw e;
  }
  assert.fail('expected a bad_input refusal');
}

describe('planning N runs of a workflow', () => {
  it('increments the seeds of an API file by default, run 1 sending the saved value', async () => {
    assert.deepEqual(valuesOf(await plan(seeded(41), { runs: 3 }), '3', 'seed'), [41, 42, 43]);
  });

  it('steps the seeds of an API file as the request’s default control says', async () => {
    const jobs = await plan(seeded(41), { runs: 3, defaultSeedControl: 'decrement' });
    assert.deepEqual(valuesOf(jobs, '3', 'seed'), [41, 40, 39]);
  });

  it('randomizes seeds within 0 to 2^50 when asked to', async () => {
    const seeds = valuesOf(await plan(seeded(41), { runs: 5, seedControl: 'randomize' }), '3', 'seed');
    assert.equal(seeds[0], 41);
    assert.equal(new Set(seeds).size, 5);
    for (const s of seeds) assert.ok(Number.isSafeInteger(s) && (s as number) <= SEED_LIMIT, String(s));
  });

  it('follows the control an editor file saved with each seed', async () => {
    const jobs = await plan(editorColour(100, 'decrement'), { runs: 3 });
    assert.deepEqual(valuesOf(jobs, '1', 'value'), [100, 99, 98]);
  });

  it('lets the request’s seed control win over the one an editor file saved', async () => {
    const jobs = await plan(editorColour(100, 'decrement'), { runs: 3, seedControl: 'increment' });
    assert.deepEqual(valuesOf(jobs, '1', 'value'), [100, 101, 102]);
  });

  it('records each run’s seeds as overrides after the set values, and its run number in the batch', async () => {
    const sets = [{ node: '9', input: 'filename_prefix', value: 'n' }];
    const jobs = await plan(seeded(41), { runs: 2, sets });
    assert.deepEqual(
      jobs.map((j) => j.overrides),
      [
        [...sets, { node: '3', input: 'seed', value: 41 }],
        [...sets, { node: '3', input: 'seed', value: 42 }],
      ],
    );
    assert.equal(jobs[0].batch?.id, jobs[1].batch?.id);
    assert.deepEqual(
      jobs.map((j) => [j.batch?.index, j.batch?.size]),
      [
        [1, 2],
        [2, 2],
      ],
    );
  });

  it('starts the seeds from a value the request sets', async () => {
    const sets = [{ node: 'Noise', input: 'seed', value: 7 }];
    assert.deepEqual(valuesOf(await plan(seeded(41), { runs: 3, sets }), '3', 'seed'), [7, 8, 9]);
  });

  it('leaves a single run as the file is, with no seed overrides', async () => {
    const [job] = await plan(seeded(41));
    assert.deepEqual(job.overrides, []);
    assert.deepEqual(job.batch && [job.batch.index, job.batch.size], [1, 1]);
  });

  it('refuses N runs of a workflow without a seed, saying so, unless identical runs are allowed', async () => {
    const message = await refusal(plan(seedless, { runs: 3 }));
    assert.match(message, /w\.json: it has no seed input.*runs 2 to 3 from its cache/s);
    assert.equal((await plan(seedless, { runs: 3, allowIdentical: true })).length, 3);
  });

  it('refuses N runs whose seeds are all fixed', async () => {
    const message = await refusal(plan(editorColour(5, 'fixed'), { runs: 2 }));
    assert.match(message, /seed inputs \(1\.value\) are fixed/);
    await refusal(plan(seeded(41), { runs: 2, seedControl: 'fixed' }));
  });

  it('runs a seedless sweep, whose combinations differ, once each without complaint', async () => {
    const sweeps = [parseSweep('1.color=1,2,3')];
    assert.deepEqual(valuesOf(await plan(seedless, { sweeps }), '1', 'color'), [1, 2, 3]);
  });

  it('gives every sweep combination the same run-by-run seeds', async () => {
    const sweeps = [parseSweep('3.strength=1,2')];
    const jobs = await plan(seeded(41), { runs: 2, sweeps });
    assert.deepEqual(valuesOf(jobs, '3', 'strength'), [1, 1, 2, 2]);
    assert.deepEqual(valuesOf(jobs, '3', 'seed'), [41, 42, 41, 42]);
    assert.deepEqual(
      jobs.map((j) => j.batch?.index),
      [1, 2, 3, 4],
    );
  });

  it('takes a sweep’s values for a swept seed and applies no control to it', async () => {
    const sweeps = [parseSweep('Noise.seed=100,200')];
    const jobs = await plan(seeded(41), { runs: 2, sweeps, allowIdentical: true });
    assert.deepEqual(valuesOf(jobs, '3', 'seed'), [100, 100, 200, 200]);
    assert.deepEqual(jobs[1].overrides, [{ node: 'Noise', input: 'seed', value: 100 }]);
    // Without another seed, the runs of each combination are the same prompt.
    await refusal(plan(seeded(41), { runs: 2, sweeps }));
  });
});

describe('planning a run of chosen output nodes', () => {
  /** Two branches from one canvas: a plain save (#5) and a noisy one (#9, with the seed). */
  const twoBranches: ApiPrompt = {
    ...seeded(41),
    '5': {
      class_type: 'SaveImage',
      inputs: { images: ['1', 0], filename_prefix: 'plain' },
      _meta: { title: 'Plain' },
    },
  };

  it('sends only the chosen output node and the nodes it needs', async () => {
    const [job] = await plan(twoBranches, { outputs: ['5'] });
    assert.deepEqual(Object.keys(job.prompt).sort(), ['1', '5']);
    assert.deepEqual(job.prompt['5'], twoBranches['5']);
  });

  it('finds an output node by its title', async () => {
    const [job] = await plan(twoBranches, { outputs: ['Plain'] });
    assert.deepEqual(Object.keys(job.prompt).sort(), ['1', '5']);
  });

  it('records only the seeds of the nodes that remain', async () => {
    const jobs = await plan(twoBranches, { outputs: ['9'], runs: 2 });
    assert.deepEqual(
      jobs.map((j) => j.overrides),
      [[{ node: '3', input: 'seed', value: 41 }], [{ node: '3', input: 'seed', value: 42 }]],
    );
  });

  it('refuses N runs of a branch whose seeds are all elsewhere, since they would send the same prompt', async () => {
    const message = await refusal(plan(twoBranches, { outputs: ['5'], runs: 2 }));
    assert.match(message, /it has no seed input/);
  });

  it('refuses a node that is not an output node, naming it and listing the output nodes', async () => {
    const message = await refusal(plan(twoBranches, { outputs: ['Noise'] }));
    assert.match(message, /^w\.json: node #3 NoisyImage "Noise" is not an output node/);
    assert.match(message, /#5 SaveImage "Plain", #9 SaveImage/);
  });

  it('refuses a name that matches no node, naming the file', async () => {
    const message = await refusal(plan(twoBranches, { outputs: ['Final'] }));
    assert.match(message, /^w\.json: no node has the id or title "Final"/);
  });
});
