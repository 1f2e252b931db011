import assert from 'node:assert/strict';
import {
  compareWithReference,
  corpusWorkflows,
  runOnEngine,
  loadCorpusWorkflow,
  makeRunDirs,
} from './conformanceHarness';

describe('conformance with ComfyUI 0.8.0 on the embedded engine', () => {
  for (const name of corpusWorkflows()) {
    it(`${name} matches the reference images within 1/255`, async () => {
      const dirs = makeRunDirs();
      const ui = await runOnEngine(loadCorpusWorkflow(name), dirs);
      const bad = compareWithReference(name, ui, dirs).filter((c) => c.shapeProblem || c.maxDiff > 1);
      assert.deepEqual(bad, []);
    });
  }
});
