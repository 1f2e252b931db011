import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { convertEditorToApi } from '../../../src/core/workflow/convert';
import { SEED_LIMIT } from '../../../src/core/workflow/seeds';
import type { EditorWorkflow, NodeDefs } from '../../../src/core/workflow/types';
import { node, output, readFixture, socket, testDefs, workflow } from './convertTestKit';

const engineDefs = JSON.parse(
  readFileSync(resolve(__dirname, '../../../src/core/engine/nodeDefinitions.json'), 'utf8'),
) as NodeDefs;

function seedsOf(w: EditorWorkflow, defs: NodeDefs = testDefs()) {
  return convertEditorToApi(w, defs).seeds;
}

describe('the conversion’s seeds', () => {
  it('reports a seed widget with the control saved right after it', () => {
    assert.deepEqual(seedsOf(readFixture('txt2imgClassic')), [
      {
        targets: [{ node: '3', input: 'seed' }],
        control: 'randomize',
        range: { min: 0, max: SEED_LIMIT, step: 1 },
      },
    ]);
  });

  it('counts an INT named seed without control_after_generate as a seed, and no COMBO', () => {
    const seeds = seedsOf(readFixture('customWidgetsV1'));
    const picker = seeds.filter((s) => s.targets[0].node === '2');
    assert.deepEqual(
      picker.map((s) => s.targets),
      [[{ node: '2', input: 'seed' }]],
    );
    assert.equal(picker[0].control, 'randomize');
  });

  it('takes the control of the PrimitiveNode that feeds a seed, not the one its own widget saved', () => {
    // Node 7 saved "randomize" after its noise_seed widget, but PrimitiveNode 6 ("fixed") feeds it.
    const sampler = seedsOf(readFixture('customWidgetsV1')).find((s) => s.targets[0].node === '7');
    assert.deepEqual(sampler?.targets, [{ node: '7', input: 'noise_seed' }]);
    assert.equal(sampler?.control, 'fixed');
  });

  it('gives every input one PrimitiveNode feeds a single seed, ranged by the first input', () => {
    assert.deepEqual(seedsOf(readFixture('primitiveReroute')), [
      {
        targets: [
          { node: '4', input: 'width' },
          { node: '4', input: 'height' },
        ],
        control: 'fixed',
        range: { min: 0, max: 16384, step: 1 },
      },
    ]);
  });

  it('leaves out a seed widget a real node’s output feeds, and reports that node’s own seed', () => {
    const w = JSON.parse(
      readFileSync(resolve(__dirname, '../../../examples/editor/variations.json'), 'utf8'),
    ) as EditorWorkflow;
    assert.deepEqual(seedsOf(w, engineDefs), [
      {
        targets: [{ node: '1', input: 'value' }],
        control: 'increment',
        range: { min: -SEED_LIMIT, max: SEED_LIMIT, step: 1 },
      },
    ]);
  });

  it('reports a seed saved without widget values with no control, for the run to choose', () => {
    const w = workflow(
      [
        node(1, 'PrimitiveInt', { outputs: [output('INT', 'INT', [1])] }),
        node(2, 'EmptyImage', { inputs: [socket('color', 'INT', 1, true)], widgets: [64, 64, 1, 0] }),
        node(3, 'PreviewImage', { inputs: [socket('images', 'IMAGE', 2)] }),
      ],
      [
        [1, 1, 0, 2, 0, 'INT'],
        [2, 2, 0, 3, 0, 'IMAGE'],
      ],
    );
    const [seed] = seedsOf(w, engineDefs);
    assert.deepEqual(seed.targets, [{ node: '1', input: 'value' }]);
    assert.equal(seed.control, undefined);
  });

  it('reports no seed for an INT without a control', () => {
    const w = workflow(
      [
        node(1, 'EmptyImage', { outputs: [output('IMAGE', 'IMAGE', [1])], widgets: [64, 64, 1, 0] }),
        node(2, 'PreviewImage', { inputs: [socket('images', 'IMAGE', 1)] }),
      ],
      [[1, 1, 0, 2, 0, 'IMAGE']],
    );
    assert.deepEqual(seedsOf(w, engineDefs), []);
  });
});
