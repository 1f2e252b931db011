import assert from 'node:assert/strict';
import { downloadLimitsOf } from '../../../src/core/run/downloadSettings';

describe('download settings', () => {
  it('become limits in milliseconds and bytes', () => {
    assert.deepEqual(
      downloadLimitsOf({ stallTimeoutSeconds: 0.5, deadlineSeconds: 90, maxFileMegabytes: 1.5 }),
      {
        stallTimeoutMs: 500,
        deadlineMs: 90_000,
        maxBytes: 1_572_864,
      },
    );
  });

  it('set no limit that is not given, so each keeps its default', () => {
    assert.deepEqual(downloadLimitsOf({ deadlineSeconds: 90 }), { deadlineMs: 90_000 });
  });
});
