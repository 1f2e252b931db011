import assert from 'node:assert/strict';
import { locateEditorProblem, locateProblem } from '../../../src/core/workflow/problemLocation';

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

describe('locateEditorProblem', () => {
  const editor = [
    '{',
    '  "id": "7",',
    '  "nodes": [',
    '    {',
    '      "id": 7,',
    '      "type": "ImageInvert",',
    '      "inputs": [{ "name": "image", "link": 1 }]',
    '    },',
    '    {',
    '      "id": 8,',
    '      "type": "SaveImage",',
    '      "inputs": [{ "name": "images", "link": 2 }]',
    '    }',
    '  ],',
    '  "links": [{ "id": 7, "origin_id": 7, "target_id": 8 }]',
    '}',
  ].join('\n');

  it('marks the node id inside "nodes", not an earlier "id"', () => {
    assert.equal(locateEditorProblem(editor, '7').line, 4);
  });

  it('marks the named input inside the node', () => {
    assert.equal(locateEditorProblem(editor, '8', 'images').line, 11);
  });

  it('marks the node when its input is not listed there, not a later node that has it', () => {
    assert.equal(locateEditorProblem(editor, '7', 'images').line, 4);
  });

  it('marks the outer node of a subgraph path', () => {
    assert.equal(locateEditorProblem(editor, '8:3', 'images').line, 9);
  });

  it('falls back to the first line when the node is not there', () => {
    assert.equal(locateEditorProblem(editor, '99').line, 0);
  });
});
