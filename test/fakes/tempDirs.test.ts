import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tempDir } from './tempDirs';

// These two tests run in order: the second checks what the root hooks did after the first.
describe('temporary folders of the tests', () => {
  let madeInTest: string | undefined;
  let madeForSuite: string;

  before(() => {
    madeForSuite = tempDir('comfy-temp-suite-');
  });

  it('exist while the test that made them runs', () => {
    madeInTest = tempDir('comfy-temp-test-');
    assert.ok(existsSync(madeInTest));
  });

  it('are removed once the test that made them ends', function () {
    if (!madeInTest) this.skip();
    assert.equal(existsSync(madeInTest), false);
  });

  it('made outside a test are kept until the run ends', () => {
    assert.ok(existsSync(madeForSuite));
  });
});
