import assert from 'node:assert/strict';
import type { Job } from '../../../src/core/jobs/job';
import { jobLabel } from '../../../src/core/run/jobLabel';
import type { Override } from '../../../src/core/workflow/overrides';
import type { ApiPrompt } from '../../../src/core/workflow/types';

const prompt: ApiPrompt = {
  '1': { class_type: 'PrimitiveFloat', inputs: { value: 0.5 }, _meta: { title: 'Factor' } },
  '2': { class_type: 'PrimitiveInt', inputs: { value: 3 }, _meta: { title: 'PrimitiveInt' } },
  '3': { class_type: 'KSampler', inputs: { seed: 1234 }, _meta: { title: 'Sampler' } },
  '7': { class_type: 'KSampler', inputs: { seed: 99 }, _meta: { title: 'Refiner' } },
};

function label(overrides: Override[], batch?: Job['batch']): string {
  return jobLabel({ prompt, overrides, batch });
}

const batch = { id: 'b', index: 3, size: 5 };

describe('jobLabel', () => {
  it('gives the run number and the seed of a run of several', () => {
    assert.equal(label([{ node: '3', input: 'seed', value: 1234 }], batch), '#3 seed=1234');
  });

  it('leaves out the run number of a batch of one, and is empty for the file as it is', () => {
    assert.equal(label([], { id: 'b', index: 1, size: 1 }), '');
    assert.equal(label([]), '');
  });

  it('names a primitive node’s value by the node’s title, when it has its own', () => {
    assert.equal(
      label([
        { node: 'Factor', input: 'value', value: 0.8 },
        { node: '2', input: 'value', value: 4 },
      ]),
      'Factor=0.8 value=4',
    );
  });

  it('names inputs by node and input when two would share a name', () => {
    const seeds = [
      { node: '3', input: 'seed', value: 1 },
      { node: '7', input: 'seed', value: 2 },
    ];
    assert.equal(label(seeds, batch), '#3 3.seed=1 7.seed=2');
  });

  it('shows an input set twice once, with its last value', () => {
    const set = { node: 'Sampler', input: 'seed', value: 5 };
    assert.equal(label([set, { node: '3', input: 'seed', value: 6 }], batch), '#3 seed=6');
  });

  it('quotes text with spaces and cuts long values short', () => {
    const text = { node: '3', input: 'text', value: 'a cat in a garden at night under a full moon' };
    assert.equal(label([{ node: '3', input: 'prefix', value: 'night' }]), 'prefix=night');
    assert.equal(label([text]), 'text="a cat in a garden at night und…');
  });
});
