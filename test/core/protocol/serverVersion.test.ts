import assert from 'node:assert/strict';
import { embeddedVersionString, runsPartialTargets } from '../../../src/core/protocol/serverVersion';

describe('which servers run only the partial_execution_targets of a prompt', () => {
  it('counts ComfyUI 0.3.48 and every later release, with or without a v or a suffix', () => {
    for (const v of ['0.3.48', '0.3.64', 'v0.4.0', '0.8.0', '1.0.0', '0.38.1-rc1', ' 0.3.50 '])
      assert.equal(runsPartialTargets(v), true, v);
  });

  it('does not count releases before 0.3.48', () => {
    for (const v of ['0.3.47', '0.3.9', '0.2.99', 'v0.1.0']) assert.equal(runsPartialTargets(v), false, v);
  });

  it('does not count a server that reports no version or one that is not a release number', () => {
    for (const v of [undefined, '', 'unknown', 'nightly', '3'])
      assert.equal(runsPartialTargets(v), false, String(v));
  });

  it('counts the embedded engine’s server by the version string it reports', () => {
    assert.equal(runsPartialTargets(embeddedVersionString('0.0.1')), true);
  });
});
