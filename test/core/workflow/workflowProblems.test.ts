import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { engineDefinitions } from '../../../src/core/engine/engineDefinitions';
import type { NodeDefs } from '../../../src/core/workflow/types';
import { workflowTextProblems } from '../../../src/core/workflow/workflowProblems';
import { workflowsDir } from '../../fakes/fixturePaths';

describe('workflowTextProblems', () => {
  let defs: NodeDefs;
  before(async () => {
    defs = await engineDefinitions(resolve(workflowsDir, 'no-input-folder'));
  });

  it('gives each problem of an API workflow with the span of its input key', () => {
    const file = resolve(workflowsDir, '06c_validation_bad_value.json');
    const text = readFileSync(file, 'utf8');
    const found = workflowTextProblems(file, text, defs);
    assert.deepEqual(
      found.map((f) => f.problem.type),
      ['value_smaller_than_min', 'value_not_in_list'],
    );
    const lines = text.split('\n');
    const marked = found.map((f) => lines[f.span.line].slice(f.span.startCharacter).split(':')[0]);
    assert.deepEqual(marked, ['"width"', '"upscale_method"']);
  });

  it('gives nothing for a valid workflow', () => {
    const file = resolve(workflowsDir, '01_invert.json');
    assert.deepEqual(workflowTextProblems(file, readFileSync(file, 'utf8'), defs), []);
  });

  it('marks a problem of an editor workflow at its node, and at its input', () => {
    const editor = (second: object) =>
      JSON.stringify(
        {
          nodes: [
            { id: 1, type: 'EmptyImage', inputs: [], widgets_values: [64, 64, 1, 0] },
            { id: 3, type: 'SaveImage', inputs: [{ name: 'images', type: 'IMAGE', link: null }] },
            second,
          ],
          links: [],
          version: 0.4,
        },
        null,
        2,
      );
    const unknown = editor({ id: 2, type: 'NoSuchNode', inputs: [] });
    const [missingClass] = workflowTextProblems('flow.json', unknown, defs);
    assert.equal(missingClass.problem.nodeId, '2');
    assert.match(unknown.split('\n')[missingClass.span.line], /"id": 2,/);
    const unlinked = editor({ id: 2, type: 'ImageInvert', inputs: [] });
    const found = workflowTextProblems('flow.json', unlinked, defs).find((f) => f.problem.nodeId === '3');
    assert.equal(found?.problem.inputName, 'images');
    assert.match(unlinked.split('\n')[found!.span.line], /"name": "images"/);
  });

  it('gives text that is not a workflow as one bad_input problem on the first line', () => {
    const found = workflowTextProblems('flow.json', '{"name": "x"}', defs);
    assert.deepEqual(
      found.map((f) => [f.problem.type, f.span.line]),
      [['bad_input', 0]],
    );
  });
});
