import assert from 'node:assert/strict';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { parseJob, serializeJob } from '../../../src/core/store/jobFile';
import { sampleJob } from '../../fakes/storeKit';

describe('job files', () => {
  it('keeps a job’s place in its batch', () => {
    const job = sampleJob({ batch: { id: 'b', index: 2, size: 4 } });
    assert.deepEqual(parseJob(serializeJob(job), 'j.json', job.id).batch, { id: 'b', index: 2, size: 4 });
  });

  it('loads a job file written before batches were recorded', () => {
    const job = sampleJob();
    const text = serializeJob(job);
    assert.equal(text.includes('"batch"'), false);
    assert.deepEqual(parseJob(text, 'j.json', job.id), job);
  });

  it('refuses a batch whose run number is not a whole number from 1, naming the file', () => {
    const job = sampleJob({ batch: { id: 'b', index: 0, size: 4 } });
    assert.throws(
      () => parseJob(serializeJob(job), 'jobs/j.json', job.id),
      (e: unknown) => isRunnerError(e, 'bad_input') && /jobs\/j\.json: .*batch\.index/.test(e.message),
    );
  });
});
