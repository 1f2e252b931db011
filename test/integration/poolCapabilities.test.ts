import assert from 'node:assert/strict';
import type { NodeImpl } from '../../src/core/engine/types';
import type { Scheduler } from '../../src/core/scheduler/scheduler';
import type { SchedulerEvent } from '../../src/core/scheduler/schedulerEvents';
import type { ApiPrompt } from '../../src/core/workflow/types';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { apiNode } from '../fakes/testNodes';
import { closePools, nextEvent, promptJob, startPool, within } from './poolHarness';

/**
 * A loader only the "special" server has, listing one model file, as a ComfyUI with a custom node
 * pack and a checkpoint folder of one file would.
 */
const modelLoader: NodeImpl = {
  classType: 'TestModelLoader',
  def: {
    input: { required: { ckpt_name: [['tiny.safetensors']] } },
    input_order: { required: ['ckpt_name'] },
    output: ['TEST_VALUE'],
    output_is_list: [false],
    output_name: ['TEST_VALUE'],
    name: 'TestModelLoader',
    display_name: 'TestModelLoader',
    description: 'Loads a pretend model',
    python_module: 'tests',
    category: 'testing',
    output_node: false,
  },
  run: (inputs) => ({ outputs: [inputs.ckpt_name] }),
};

/** A prompt that loads `model` and writes one file through TestCounter. */
function loaderPrompt(model: string, tag: string): ApiPrompt {
  return {
    '1': apiNode('TestModelLoader', { ckpt_name: model }),
    '2': apiNode('TestCounter', { tag, input: ['1', 0] }),
  };
}

type Blocked = Extract<SchedulerEvent, { type: 'job/blocked' }>;
const isBlocked = (e: SchedulerEvent): e is Blocked => e.type === 'job/blocked';

describe('capability matching across serve instances', function () {
  this.timeout(30_000);
  const servers: TestServer[] = [];
  let scheduler: Scheduler;

  before(async () => {
    servers.push(await startTestServer(), await startTestServer([modelLoader]));
    // "plain" joins first, so a job that matching let through would go there while both are free.
    scheduler = await startPool([
      { name: 'plain', url: servers[0].url },
      { name: 'special', url: servers[1].url },
    ]);
  });

  after(async () => {
    await closePools();
    for (const s of servers.splice(0)) await s.close();
  });

  it('runs jobs that need a node class only one server has on that server', async () => {
    const ids = [1, 2, 3].map(
      (i) => scheduler.add(promptJob(loaderPrompt('tiny.safetensors', `tiny${i}`))).id,
    );
    await within(15_000, 'the jobs to end', scheduler.onIdle());
    for (const id of ids) {
      const job = scheduler.job(id)!;
      assert.equal(job.state, 'succeeded', JSON.stringify(job.error));
      assert.equal(job.server, 'special');
    }
  });

  it('says, server by server, why no server can run a job that waits for one', async () => {
    const blocked = nextEvent(scheduler, isBlocked);
    const { id } = scheduler.add(promptJob(loaderPrompt('huge.safetensors', 'huge'), { onNoTarget: 'wait' }));
    const event = await within(5_000, 'the job to be blocked', blocked);
    assert.equal(event.jobId, id);
    assert.deepEqual(event.servers, [
      { server: 'plain', reasons: ['no node class TestModelLoader'] },
      {
        server: 'special',
        reasons: [
          'missing model huge.safetensors (TestModelLoader.ckpt_name, the server has tiny.safetensors)',
        ],
      },
    ]);
    assert.equal(scheduler.job(id)!.blockedReason, event.reason);
    scheduler.cancel(id);
  });

  it('fails a job no server can run when it asked not to wait', async () => {
    const { id } = scheduler.add(
      promptJob(loaderPrompt('huge.safetensors', 'never'), { onNoTarget: 'fail' }),
    );
    const job = scheduler.job(id)!;
    assert.equal(job.state, 'failed');
    assert.equal(job.error?.reason, 'no_capable_server');
  });
});
