import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from './gateNodes';
import { call, closeServed, serve, SocketRecorder } from './serverHarness';

async function post(url: string, body: Record<string, unknown>): Promise<string> {
  return ((await call(url, 'POST', '/prompt', body)).json as { prompt_id: string }).prompt_id;
}

describe('queue, interrupt, history and jobs routes', () => {
  afterEach(async () => {
    gates.reset();
    await closeServed();
  });

  it('removes a pending prompt on POST /queue delete and never records it in history', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    await post(url, { prompt: gatedPrompt('hold') });
    const pending = await post(url, { prompt: quickPrompt('p') });
    await call(url, 'POST', '/queue', { delete: [pending] });
    assert.equal(
      ((await call(url, 'GET', '/queue')).json as { queue_pending: unknown[] }).queue_pending.length,
      0,
    );
    assert.deepEqual((await call(url, 'GET', `/history/${pending}`)).json, {});
  });

  it('interrupts the running prompt named by POST /interrupt, recording it as an error', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'c');
    const running = await post(url, { prompt: gatedPrompt('r'), client_id: 'c' });
    await ws.executing(running, '1');
    await call(url, 'POST', '/interrupt', { prompt_id: running });
    await ws.finished(running);
    const entry = (
      (await call(url, 'GET', `/history/${running}`)).json as Record<string, { status: object }>
    )[running];
    assert.deepEqual(
      { ...entry.status, messages: undefined },
      { status_str: 'error', completed: false, messages: undefined },
    );
    assert.equal(ws.frames.filter((f) => f.type === 'execution_interrupted').length, 1);
  });

  it('leaves the running prompt alone when POST /interrupt names another prompt', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'c');
    const running = await post(url, { prompt: gatedPrompt('r'), client_id: 'c' });
    await ws.executing(running, '1');
    await call(url, 'POST', '/interrupt', { prompt_id: randomUUID() });
    gates.open('r');
    await ws.finished(running);
    assert.ok(ws.frames.some((f) => f.type === 'execution_success'));
  });

  it('lists history oldest first and gives the last max_items without an offset', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'c');
    const ids: string[] = [];
    for (const tag of ['a', 'b', 'c']) {
      ids.push(await post(url, { prompt: quickPrompt(tag), client_id: 'c' }));
      await ws.finished(ids.at(-1)!);
    }
    assert.deepEqual(Object.keys((await call(url, 'GET', '/history')).json as object), ids);
    assert.deepEqual(
      Object.keys((await call(url, 'GET', '/history?max_items=2')).json as object),
      ids.slice(1),
    );
    assert.deepEqual(
      Object.keys((await call(url, 'GET', '/history?max_items=1&offset=0')).json as object),
      ids.slice(0, 1),
    );
    await call(url, 'POST', '/history', { clear: true });
    assert.deepEqual((await call(url, 'GET', '/history')).json, {});
  });

  it('answers every route under /api as well, and the jobs routes only there', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    assert.equal((await call(url, 'GET', '/api/queue')).status, 200);
    assert.equal((await call(url, 'GET', '/api/history')).status, 200);
    assert.equal((await call(url, 'GET', '/api/jobs')).status, 200);
    assert.equal((await call(url, 'GET', '/jobs')).status, 404);
  });

  it('shows a running job as in_progress and a finished one as completed with its outputs', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'c');
    const id = await post(url, { prompt: gatedPrompt('j'), client_id: 'c' });
    await ws.executing(id, '1');
    assert.equal(
      ((await call(url, 'GET', `/api/jobs/${id}`)).json as { status: string }).status,
      'in_progress',
    );
    gates.open('j');
    await ws.finished(id);
    const job = (await call(url, 'GET', `/api/jobs/${id}`)).json as {
      status: string;
      outputs: object;
      outputs_count: number;
    };
    assert.equal(job.status, 'completed');
    assert.equal(job.outputs_count, 1);
    assert.deepEqual(Object.keys(job.outputs), ['2']);
  });

  it('cancels a pending job by dequeuing it and a running one by interrupting it', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'c');
    const running = await post(url, { prompt: gatedPrompt('x'), client_id: 'c' });
    const pending = await post(url, { prompt: quickPrompt('y'), client_id: 'c' });
    await ws.executing(running, '1');
    assert.deepEqual((await call(url, 'POST', `/api/jobs/${pending}/cancel`)).json, { cancelled: true });
    assert.deepEqual((await call(url, 'POST', `/api/jobs/${running}/cancel`)).json, { cancelled: true });
    await ws.finished(running);
    assert.equal(
      ((await call(url, 'GET', `/api/jobs/${running}`)).json as { status: string }).status,
      'cancelled',
    );
    assert.equal((await call(url, 'GET', `/api/jobs/${pending}`)).status, 404);
    assert.deepEqual((await call(url, 'POST', `/api/jobs/${running}/cancel`)).json, { cancelled: false });
  });

  it('refuses a batch cancel whose ids are not canonical UUIDs with 400', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const reply = await call(url, 'POST', '/api/jobs/cancel', { job_ids: ['nope', randomUUID()] });
    assert.equal(reply.status, 400);
    assert.deepEqual((reply.json as { invalid_ids: string[] }).invalid_ids, ['nope']);
  });

  it('filters, sorts and pages the job list', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const ws = await SocketRecorder.open(url, 'c');
    const done = await post(url, { prompt: quickPrompt('d'), client_id: 'c' });
    await ws.finished(done);
    const running = await post(url, { prompt: gatedPrompt('h'), client_id: 'c' });
    await post(url, { prompt: quickPrompt('w'), client_id: 'c' });
    const list = (await call(url, 'GET', '/api/jobs?status=in_progress,completed&sort_order=asc&limit=1'))
      .json as {
      jobs: { id: string }[];
      pagination: { total: number; has_more: boolean };
    };
    assert.deepEqual(
      list.jobs.map((j) => j.id),
      [done],
    );
    assert.deepEqual(list.pagination, { offset: 0, limit: 1, total: 2, has_more: true });
    const next = (
      await call(url, 'GET', '/api/jobs?status=in_progress,completed&sort_order=asc&limit=1&offset=1')
    ).json as typeof list;
    assert.deepEqual(
      next.jobs.map((j) => j.id),
      [running],
    );
    assert.deepEqual(next.pagination, { offset: 1, limit: 1, total: 2, has_more: false });
    assert.equal((await call(url, 'GET', '/api/jobs?status=bogus')).status, 400);
  });

  it('runs as many prompts at once as the parallel option says', async () => {
    const { url } = await serve({ parallel: 2 });
    const slow = {
      '1': { class_type: 'EmptyImage', inputs: { width: 2048, height: 2048, batch_size: 1, color: 1 } },
    };
    const prompt = {
      ...slow,
      '2': {
        class_type: 'ImageScale',
        inputs: { image: ['1', 0], upscale_method: 'bicubic', width: 4096, height: 4096, crop: 'disabled' },
      },
      '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    };
    const ws = await SocketRecorder.open(url, 'c');
    const a = await post(url, { prompt, client_id: 'c' });
    const b = await post(url, {
      prompt: { ...prompt, '1': { ...slow['1'], inputs: { ...slow['1'].inputs, color: 2 } } },
      client_id: 'c',
    });
    const queue = (await call(url, 'GET', '/queue')).json as {
      queue_running: unknown[];
      queue_pending: unknown[];
    };
    assert.equal(queue.queue_running.length, 2);
    assert.equal(queue.queue_pending.length, 0);
    await call(url, 'POST', '/interrupt');
    await Promise.all([ws.finished(a), ws.finished(b)]);
  });
});
