import assert from 'node:assert/strict';
import { applyProgressEvent, initialProgress, progressFraction } from '../../../src/core/jobs/jobProgress';
import type { ApiPrompt } from '../../../src/core/workflow/types';

const prompt: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0] } },
  '4': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
};

describe('job progress', () => {
  it('counts cached nodes from execution_cached', () => {
    const p = initialProgress(prompt);
    applyProgressEvent(p, { type: 'execution_cached', data: { nodes: ['1', '2'] } });
    assert.equal(p.cached, 2);
    assert.equal(progressFraction(p), 0.5);
  });

  it('takes running and finished nodes from a progress_state snapshot', () => {
    const p = initialProgress(prompt);
    applyProgressEvent(p, {
      type: 'progress_state',
      data: {
        nodes: { '1': { state: 'finished', value: 1, max: 1 }, '2': { state: 'running', value: 3, max: 4 } },
      },
    });
    assert.deepEqual(p.running, { '2': { value: 3, max: 4 } });
    assert.equal(p.done, 1);
    assert.equal(progressFraction(p), (1 + 0.75) / 4);
  });

  it('records step progress of the reported node', () => {
    const p = initialProgress(prompt);
    applyProgressEvent(p, { type: 'progress', data: { node: '3', value: 5, max: 10 } });
    assert.deepEqual(p.running['3'], { value: 5, max: 10 });
  });

  it('marks every uncached node done on execution_success', () => {
    const p = initialProgress(prompt);
    applyProgressEvent(p, { type: 'execution_cached', data: { nodes: ['1'] } });
    applyProgressEvent(p, { type: 'execution_success', data: {} });
    assert.equal(p.done, 3);
    assert.equal(progressFraction(p), 1);
  });

  it('ignores events it does not know', () => {
    const p = initialProgress(prompt);
    applyProgressEvent(p, { type: 'crystools.monitor', data: { value: 9 } });
    assert.deepEqual(p, initialProgress(prompt));
  });
});
