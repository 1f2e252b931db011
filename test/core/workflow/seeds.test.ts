import assert from 'node:assert/strict';
import {
  findPromptSeeds,
  nextSeed,
  parseSeedControl,
  SEED_LIMIT,
  seedOverridesByRun,
  seedRange,
  seedSequence,
  type SeedWidget,
} from '../../../src/core/workflow/seeds';
import type { ApiPrompt, NodeDefs } from '../../../src/core/workflow/types';
import { testDefs } from './convertTestKit';

/** A random source that returns the given fractions in turn. */
function draws(...fractions: number[]): () => number {
  let i = 0;
  return () => fractions[i++ % fractions.length];
}

const range = { min: 0, max: 100, step: 1 };

describe('seeds', () => {
  describe('stepping a seed from run to run', () => {
    it('sends the saved value on run 1 and one step more on each later run when incrementing', () => {
      assert.deepEqual(seedSequence(7, 'increment', range, 4), [7, 8, 9, 10]);
    });

    it('takes one step away on each later run when decrementing', () => {
      assert.deepEqual(seedSequence(7, 'decrement', range, 3), [7, 6, 5]);
    });

    it('keeps the value on every run when fixed', () => {
      assert.deepEqual(seedSequence(7, 'fixed', range, 3), [7, 7, 7]);
    });

    it('draws a random multiple of the step from min on each later run when randomizing', () => {
      const stepped = { min: 10, max: 110, step: 5 };
      // (110 - 10) / 5 = 20 choices: 0.5 picks the 10th, 0.99 the 19th, 0 the first.
      assert.deepEqual(seedSequence(42, 'randomize', stepped, 4, draws(0.5, 0.99, 0)), [42, 60, 105, 10]);
    });

    it('steps by the input’s own step', () => {
      assert.deepEqual(seedSequence(16, 'increment', { min: 16, max: 16384, step: 8 }, 3), [16, 24, 32]);
    });

    it('clamps a step that would leave the range, as the frontend does', () => {
      assert.equal(nextSeed(100, 'increment', range), 100);
      assert.equal(nextSeed(0, 'decrement', range), 0);
    });

    it('clamps a saved value beyond 2^50 on its first step, so every chosen seed is an exact integer', () => {
      const seed = seedRange(['INT', { min: 0, max: 0xffffffffffffffff }]);
      assert.equal(nextSeed(2 ** 60, 'increment', seed), SEED_LIMIT);
      for (let i = 0; i < 20; i++) {
        const drawn = nextSeed(0, 'randomize', seed);
        assert.ok(Number.isSafeInteger(drawn) && drawn >= 0 && drawn <= SEED_LIMIT, String(drawn));
      }
    });
  });

  describe('seedRange', () => {
    it('reads min, max and step from the input spec', () => {
      assert.deepEqual(seedRange(['INT', { min: 16, max: 16384, step: 8 }]), {
        min: 16,
        max: 16384,
        step: 8,
      });
    });

    it('defaults to 0 to 2048 in steps of 1, as the frontend’s INT widget does', () => {
      assert.deepEqual(seedRange(['INT', {}]), { min: 0, max: 2048, step: 1 });
    });

    it('bounds min and max by ±2^50', () => {
      const primitiveInt = seedRange(['INT', { min: -9223372036854776000, max: 9223372036854776000 }]);
      assert.deepEqual(primitiveInt, { min: -SEED_LIMIT, max: SEED_LIMIT, step: 1 });
    });

    it('gives 0 to 2^50 for an input whose spec is unknown', () => {
      assert.deepEqual(seedRange(undefined), { min: 0, max: SEED_LIMIT, step: 1 });
    });
  });

  describe('parseSeedControl', () => {
    it('reads the four controls of a seed', () => {
      for (const c of ['fixed', 'increment', 'decrement', 'randomize']) assert.equal(parseSeedControl(c), c);
    });

    it('reads increment-wrap as increment, which is what it does to a number', () => {
      assert.equal(parseSeedControl('increment-wrap'), 'increment');
    });

    it('gives undefined for anything else', () => {
      for (const v of ['random', '', 3, null, undefined]) assert.equal(parseSeedControl(v), undefined);
    });
  });

  describe('findPromptSeeds', () => {
    const defs = testDefs();

    it('finds seed, noise_seed and INT inputs with control_after_generate, and no other INT', () => {
      const prompt: ApiPrompt = {
        '3': { class_type: 'KSampler', inputs: { seed: 5, steps: 20, model: ['4', 0] } },
        '4': { class_type: 'KSamplerAdvanced', inputs: { noise_seed: 6, steps: 20, start_at_step: 0 } },
        '5': { class_type: 'PrimitiveInt', inputs: { value: 7 } },
        '6': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
      };
      const found = findPromptSeeds(prompt, defs).map((s) => s.targets);
      assert.deepEqual(found, [
        [{ node: '3', input: 'seed' }],
        [{ node: '4', input: 'noise_seed' }],
        [{ node: '5', input: 'value' }],
      ]);
    });

    it('leaves out a seed that a link feeds', () => {
      const prompt: ApiPrompt = { '3': { class_type: 'KSampler', inputs: { seed: ['5', 0] } } };
      assert.deepEqual(findPromptSeeds(prompt, defs), []);
    });

    it('finds seeds of a class the definitions do not know by their name', () => {
      const prompt: ApiPrompt = { '1': { class_type: 'CustomSampler', inputs: { seed: 9, noise: 3 } } };
      assert.deepEqual(findPromptSeeds(prompt, {} as NodeDefs), [
        { targets: [{ node: '1', input: 'seed' }], range: { min: 0, max: SEED_LIMIT, step: 1 } },
      ]);
    });
  });

  describe('seedOverridesByRun', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, color: 3 } },
      '2': { class_type: 'KSampler', inputs: { seed: 10 } },
    };
    const size: SeedWidget = {
      targets: [
        { node: '1', input: 'width' },
        { node: '1', input: 'height' },
      ],
      control: 'increment',
      range: { min: 1, max: 16384, step: 1 },
    };
    const seed: SeedWidget = { targets: [{ node: '2', input: 'seed' }], control: 'fixed', range };

    it('gives every input of one seed the same value on each run', () => {
      const byRun = seedOverridesByRun(prompt, [size], 2, (s) => s.control!);
      assert.deepEqual(byRun, [
        [
          { node: '1', input: 'width', value: 64 },
          { node: '1', input: 'height', value: 64 },
        ],
        [
          { node: '1', input: 'width', value: 65 },
          { node: '1', input: 'height', value: 65 },
        ],
      ]);
    });

    it('leaves out seeds whose control is fixed', () => {
      assert.deepEqual(
        seedOverridesByRun(prompt, [seed], 3, (s) => s.control!),
        [[], [], []],
      );
    });

    it('steps from the value in the prompt it is given, so a --set value is where the seed starts', () => {
      const set: ApiPrompt = { ...prompt, '2': { class_type: 'KSampler', inputs: { seed: 50 } } };
      const values = seedOverridesByRun(set, [seed], 3, () => 'decrement').map((run) => run[0].value);
      assert.deepEqual(values, [50, 49, 48]);
    });
  });
});
