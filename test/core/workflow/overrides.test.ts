import assert from 'node:assert/strict';
import { isRunnerError, type RunnerError } from '../../../src/core/util/runnerError';
import {
  applyOverrides,
  parseOverride,
  parseSweep,
  sweepCombinations,
  sweepableInputs,
} from '../../../src/core/workflow/overrides';
import type { ApiPrompt } from '../../../src/core/workflow/types';

const prompt: ApiPrompt = {
  '3': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, color: 0 }, _meta: { title: 'Canvas' } },
  '6': { class_type: 'PrimitiveString', inputs: { value: 'a dog' }, _meta: { title: 'Text' } },
  '7': { class_type: 'PrimitiveString', inputs: { value: 'x' }, _meta: { title: 'Twin' } },
  '8': { class_type: 'PrimitiveString', inputs: { value: 'y' }, _meta: { title: 'Twin' } },
  '9': {
    class_type: 'SaveImage',
    inputs: { images: ['3', 0], filename_prefix: 'out' },
    _meta: { title: '3' },
  },
};

/** Asserts that `fn` throws a bad_input RunnerError and returns it for further checks. */
function badInput(fn: () => unknown): RunnerError {
  try {
    fn();
  } catch (e) {
    if (isRunnerError(e, 'bad_input')) return e;
    throw e;
  }
  assert.fail('expected a bad_input error');
}

describe('overrides', () => {
  describe('parseOverride', () => {
    it('reads a JSON value', () => {
      assert.deepEqual(parseOverride('3.seed=42'), { node: '3', input: 'seed', value: 42 });
    });

    it('keeps text that is not JSON as a string', () => {
      assert.deepEqual(parseOverride('6.text=a cat'), { node: '6', input: 'text', value: 'a cat' });
    });

    it('keeps a quoted JSON string as a string', () => {
      assert.equal(parseOverride('6.text="42"').value, '42');
    });

    it('splits at the first equals sign so values may contain more', () => {
      assert.equal(parseOverride('6.text=a=b').value, 'a=b');
    });

    it('takes the input name after the last dot so titles may contain dots', () => {
      assert.deepEqual(parseOverride('Save v1.2.filename_prefix=x'), {
        node: 'Save v1.2',
        input: 'filename_prefix',
        value: 'x',
      });
    });

    it('strips quotes around a node title', () => {
      assert.equal(parseOverride('"My Canvas".width=8').node, 'My Canvas');
    });

    it('refuses text without a node, an input or an equals sign', () => {
      for (const text of ['3seed=1', '.seed=1', '3.=1', '3.seed']) {
        badInput(() => parseOverride(text));
      }
    });
  });

  describe('parseSweep', () => {
    it('reads a comma list of JSON values', () => {
      assert.deepEqual(parseSweep('3.seed=1,2,3'), { node: '3', input: 'seed', values: [1, 2, 3] });
    });

    it('keeps commas inside JSON strings', () => {
      assert.deepEqual(parseSweep('6.text="a, b","c"').values, ['a, b', 'c']);
    });

    it('reads pieces that are not JSON as trimmed strings', () => {
      assert.deepEqual(parseSweep('6.text=a cat, a dog').values, ['a cat', 'a dog']);
    });

    it('expands an integer range and mixes it with single values', () => {
      assert.deepEqual(parseSweep('3.seed=1..4,10').values, [1, 2, 3, 4, 10]);
    });

    it('expands a descending range downwards', () => {
      assert.deepEqual(parseSweep('3.seed=3..1').values, [3, 2, 1]);
    });

    it('refuses a range of non-integers', () => {
      badInput(() => parseSweep('1.value=0.5..1'));
    });

    it('refuses a range larger than the limit', () => {
      badInput(() => parseSweep('3.seed=1..1000000'));
    });

    it('refuses an empty list', () => {
      badInput(() => parseSweep('3.seed='));
    });
  });

  describe('applyOverrides', () => {
    it('sets an input by node id on a copy and leaves the original alone', () => {
      const out = applyOverrides(prompt, [{ node: '3', input: 'width', value: 128 }]);
      assert.equal(out['3'].inputs.width, 128);
      assert.equal(prompt['3'].inputs.width, 64);
    });

    it('finds a node by its title when no id matches', () => {
      const out = applyOverrides(prompt, [{ node: 'Text', input: 'value', value: 'a cat' }]);
      assert.equal(out['6'].inputs.value, 'a cat');
    });

    it('prefers an id over a node whose title is that id', () => {
      const out = applyOverrides(prompt, [{ node: '3', input: 'width', value: 1 }]);
      assert.equal(out['3'].inputs.width, 1);
    });

    it('applies overrides in order so a later one wins', () => {
      const out = applyOverrides(prompt, [
        { node: '3', input: 'width', value: 1 },
        { node: 'Canvas', input: 'width', value: 2 },
      ]);
      assert.equal(out['3'].inputs.width, 2);
    });

    it('rewires an input when the value is a link', () => {
      const out = applyOverrides(prompt, [{ node: '9', input: 'images', value: ['7', 0] }]);
      assert.deepEqual(out['9'].inputs.images, ['7', 0]);
    });

    it('wraps an array that is not a link so the server does not read it as one', () => {
      const out = applyOverrides(prompt, [{ node: '6', input: 'value', value: [1, 2, 3] }]);
      assert.deepEqual(out['6'].inputs.value, { __value__: [1, 2, 3] });
    });

    it('refuses an unknown node and names it', () => {
      const e = badInput(() => applyOverrides(prompt, [{ node: '42', input: 'width', value: 1 }]));
      assert.deepEqual(e.location, { title: '42', inputName: 'width' });
    });

    it('refuses a title shared by several nodes', () => {
      const e = badInput(() => applyOverrides(prompt, [{ node: 'Twin', input: 'value', value: 1 }]));
      assert.equal(e.location.title, 'Twin');
    });

    it('refuses an input the node does not have and lists the ones it has', () => {
      const e = badInput(() => applyOverrides(prompt, [{ node: '3', input: 'widht', value: 1 }]));
      assert.deepEqual(e.location, {
        nodeId: '3',
        classType: 'EmptyImage',
        title: 'Canvas',
        inputName: 'widht',
      });
      assert.deepEqual((e.details as { inputs: string[] }).inputs, ['width', 'height', 'color']);
    });
  });

  describe('sweepCombinations', () => {
    it('gives one empty combination when there are no sweeps', () => {
      assert.deepEqual(sweepCombinations([]), [[]]);
    });

    it('gives the cartesian product with the first sweep varying slowest', () => {
      const combos = sweepCombinations([
        { node: '3', input: 'width', values: [1, 2] },
        { node: '6', input: 'value', values: ['a', 'b', 'c'] },
      ]);
      const flat = combos.map((c) => c.map((o) => o.value).join(''));
      assert.deepEqual(flat, ['1a', '1b', '1c', '2a', '2b', '2c']);
      assert.deepEqual(combos[4], [
        { node: '3', input: 'width', value: 2 },
        { node: '6', input: 'value', value: 'b' },
      ]);
    });

    it('refuses more combinations than the limit', () => {
      const sweep = { node: '3', input: 'width', values: [1, 2, 3, 4] };
      badInput(() => sweepCombinations([sweep, sweep], 15));
    });
  });
});

describe('the inputs a sweep can vary', () => {
  it('lists every input set to a value, with its node id, title, class and value, and no wired input', () => {
    const inputs = sweepableInputs({
      '10': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'out' } },
      '2': { class_type: 'EmptyImage', inputs: { width: 64, color: 0 }, _meta: { title: 'Canvas' } },
    });
    assert.deepEqual(inputs, [
      { node: '2', title: 'Canvas', classType: 'EmptyImage', input: 'width', value: 64 },
      { node: '2', title: 'Canvas', classType: 'EmptyImage', input: 'color', value: 0 },
      { node: '10', title: 'SaveImage', classType: 'SaveImage', input: 'filename_prefix', value: 'out' },
    ]);
  });
});
