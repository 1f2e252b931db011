import assert from 'node:assert/strict';
import { FakeTarget } from '../../fakes/fakeTarget';
import { record, spec, testScheduler } from './schedulerKit';

describe('scheduler: previews', () => {
  it('passes a preview a target reports on as a job/preview event, the image in base64', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const job = s.add(spec());
    t.runOf(job.id).start();
    t.runOf(job.id).hooks.preview?.({ mimeType: 'image/jpeg', bytes: new Uint8Array([1, 2, 3]), node: '1' });
    assert.deepEqual(
      events.filter((e) => e.type === 'job/preview'),
      [{ type: 'job/preview', jobId: job.id, mimeType: 'image/jpeg', image: 'AQID', node: '1' }],
    );
    t.runOf(job.id).succeed();
    await s.onIdle();
  });

  it('drops a preview that arrives after its run ended', async () => {
    const t = new FakeTarget('gpu-1');
    const s = testScheduler({ targets: [{ target: t }] });
    const events = record(s);
    const job = s.add(spec());
    const run = t.runOf(job.id);
    run.start();
    run.succeed();
    await s.onIdle();
    run.hooks.preview?.({ mimeType: 'image/png', bytes: new Uint8Array([1]) });
    assert.equal(events.filter((e) => e.type === 'job/preview').length, 0);
  });
});
