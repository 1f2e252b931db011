import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadWorkflow } from '../../fakes/replayTranscript';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from './gateNodes';
import { call, closeServed, serve } from './serverHarness';

interface Accepted {
  prompt_id: string;
  number: number;
  node_errors: Record<string, unknown>;
}

describe('POST /prompt', () => {
  afterEach(async () => {
    gates.reset();
    await closeServed();
  });

  it('uses a canonical lowercase UUID the client chose as the prompt id', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const id = randomUUID();
    const reply = await call(url, 'POST', '/prompt', { prompt: quickPrompt('a'), prompt_id: id });
    assert.equal((reply.json as Accepted).prompt_id, id);
  });

  it('refuses a prompt id that is not a canonical lowercase UUID with 400 invalid_prompt_id', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const reply = await call(url, 'POST', '/prompt', {
      prompt: quickPrompt('a'),
      prompt_id: randomUUID().toUpperCase(),
    });
    assert.equal(reply.status, 400);
    assert.equal((reply.json as { error: { type: string } }).error.type, 'invalid_prompt_id');
  });

  it('does not queue a prompt id that is already known a second time', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const id = randomUUID();
    const first = await call(url, 'POST', '/prompt', { prompt: gatedPrompt('dup'), prompt_id: id });
    const again = await call(url, 'POST', '/prompt', { prompt: gatedPrompt('dup'), prompt_id: id });
    assert.equal((again.json as Accepted).number, (first.json as Accepted).number);
    assert.deepEqual((await call(url, 'GET', '/prompt')).json, { exec_info: { queue_remaining: 1 } });
  });

  it('echoes an explicit number as the priority and runs lower numbers first', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await call(url, 'POST', '/prompt', { prompt: gatedPrompt('first') });
    const late = await call(url, 'POST', '/prompt', { prompt: quickPrompt('late'), number: 50 });
    const early = await call(url, 'POST', '/prompt', { prompt: quickPrompt('early'), number: 7 });
    assert.equal((early.json as Accepted).number, 7);
    const queue = (await call(url, 'GET', '/queue')).json as { queue_pending: [number, string][] };
    assert.deepEqual(
      queue.queue_pending.map((t) => t[1]),
      [(early.json as Accepted).prompt_id, (late.json as Accepted).prompt_id],
    );
  });

  it('runs only the partial execution targets and what they need', async () => {
    const { url } = await serve();
    const reply = await call(url, 'POST', '/prompt', {
      prompt: loadWorkflow('02_branching'),
      partial_execution_targets: ['3'],
    });
    const history = await waitForEntry(url, (reply.json as Accepted).prompt_id);
    assert.deepEqual(Object.keys(history.outputs), ['3']);
    assert.deepEqual(history.prompt[4], ['3']);
  });

  it('keeps the sensitive extra_data keys out of the queue but shows the client id and create time', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await call(url, 'POST', '/prompt', {
      prompt: gatedPrompt('s'),
      client_id: 'me',
      extra_data: { api_key_comfy_org: 'secret', note: 1 },
    });
    const queue = (await call(url, 'GET', '/queue')).json as { queue_running: unknown[][] };
    const extra = queue.queue_running[0][3] as Record<string, unknown>;
    assert.deepEqual(Object.keys(extra).sort(), ['client_id', 'create_time', 'note']);
    assert.equal(queue.queue_running[0].length, 5);
  });

  it('answers a prompt with some invalid outputs with 200 and their node errors', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const prompt = {
      ...quickPrompt('ok'),
      '3': { class_type: 'TestCounter', inputs: { input: ['9', 0], tag: 'bad' } },
    };
    const reply = await call(url, 'POST', '/prompt', { prompt });
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys((reply.json as Accepted).node_errors), ['3']);
  });
});

async function waitForEntry(url: string, id: string): Promise<{ outputs: object; prompt: unknown[] }> {
  for (;;) {
    const body = (await call(url, 'GET', `/history/${id}`)).json as Record<
      string,
      { outputs: object; prompt: unknown[] }
    >;
    if (body[id]) return body[id];
    await new Promise((r) => setTimeout(r, 20));
  }
}
