import assert from 'node:assert/strict';
import { locateProblem } from '../../../src/core/workflow/problemLocation';

const text = [
  '{',
  '  "3": {',
  '    "class_type": "ImageInvert",',
  '    "inputs": { "image": ["2", 0] }',
  '  }',
  '}',
].join('\n');

describe('locateProblem', () => {
  it('marks the line of the node key when only a node is named', () => {
    assert.deepEqual(locateProblem(text, '3'), { line: 1, startCharacter: 2, endCharacter: 8 });
  });

  it('marks the input key inside the named node', () => {
    const span = locateProblem(text, '3', 'image');
    assert.equal(span.line, 3);
    assert.equal(text.split('\n')[3].slice(span.startCharacter, span.startCharacter + 7), '"image"');
  });

  it('falls back to the first line when the node is not in the text', () => {
    assert.deepEqual(locateProblem(text, '99'), { line: 0, startCharacter: 0, endCharacter: 1 });
  });
});
