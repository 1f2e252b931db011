import assert from 'node:assert/strict';
import {
  compareWithReference,
  corpusWorkflows,
  runOnEngine,
  loadCorpusWorkflow,
  makeRunDirs,
  readmeWorkflows,
} from './conformanceHarness';

const listed = readmeWorkflows();

describe('conformance with ComfyUI 0.8.0 on the embedded engine', () => {
  it('finds the 15 workflows the corpus README lists, and no others', () => {
    // The README of test/fixtures/conformance lists 15 workflows, 01_load_kinds to 15_primitives_strings.
    assert.equal(listed.size, 15);
    assert.deepEqual(corpusWorkflows(), [...listed.keys()].sort());
  });

  for (const name of corpusWorkflows()) {
    it(`${name} matches the reference images within 1/255`, async () => {
      const dirs = makeRunDirs();
      const ui = await runOnEngine(loadCorpusWorkflow(name), dirs);
      const comparisons = compareWithReference(name, ui, dirs);
      assert.equal(comparisons.length, listed.get(name), 'one comparison per output file the README lists');
      const bad = comparisons.filter((c) => c.shapeProblem || c.maxDiff > 1);
      assert.deepEqual(bad, []);
    });
  }
});
