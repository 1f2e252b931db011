import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComfyClient, type ComfyClientOptions } from '../../../../src/core/comfy/client';
import { isRunnerError } from '../../../../src/core/util/runnerError';
import { createJob, type Job } from '../../../../src/core/jobs/job';
import type { ServerMessage } from '../../../../src/core/protocol/comfyMessages';
import { remoteTarget } from '../../../../src/core/scheduler/targets/remoteTarget';
import type { RunHooks, RunTarget } from '../../../../src/core/scheduler/targets/runTarget';
import type { ApiPrompt } from '../../../../src/core/workflow/types';
import { apiNode } from '../../../fakes/testNodes';
import { loadWorkflow } from '../../../fakes/replayTranscript';
import { fastTimings } from '../../comfy/replayHarness';
import { gatedPrompt, gatedRegistry, gates, quickPrompt } from '../../server/gateNodes';
import { call, closeServed, holePng, serve } from '../../server/serverHarness';
import { type FaultProxy, startFaultProxy } from '../../../fakes/faultProxy';
import { tempDir } from '../../../fakes/tempDirs';

const targets: RunTarget[] = [];
const proxies: FaultProxy[] = [];
const tmp = (prefix: string) => tempDir(prefix);

function targetFor(
  url: string,
  inputDir = tmp('remote-in-'),
  client: Partial<ComfyClientOptions> = {},
): RunTarget {
  const target = remoteTarget({
    client: new ComfyClient({ baseUrl: url, ...fastTimings, ...client }),
    inputDir,
  });
  targets.push(target);
  return target;
}

function jobOf(prompt: ApiPrompt): Job {
  return createJob({
    workflow: { file: 'w.json', sourceHash: '', promptHash: '' },
    prompt,
    overrides: [],
    outDir: tmp('remote-job-'),
  });
}

/** Hooks that keep what they are told and can wait for an event. */
function recorder() {
  const seen = { accepted: [] as string[], started: 0, events: [] as ServerMessage[] };
  const waiters: { when: (e: ServerMessage) => boolean; done: () => void }[] = [];
  const hooks: RunHooks = {
    accepted: (id) => void seen.accepted.push(id),
    started: () => void seen.started++,
    warning: () => undefined,
    event: (e) => {
      seen.events.push(e);
      for (const w of waiters.splice(0)) (w.when(e) ? w.done : () => waiters.push(w))();
    },
  };
  const nodeStarts = (node: string) =>
    new Promise<void>((done) =>
      waiters.push({
        when: (e) => e.type === 'executing' && (e.data as { node?: unknown }).node === node,
        done,
      }),
    );
  return { seen, hooks, nodeStarts };
}

describe('the remote run target', function () {
  this.timeout(30_000);
  afterEach(async () => {
    gates.reset();
    for (const t of targets.splice(0)) await t.dispose();
    for (const p of proxies.splice(0)) await p.close();
    await closeServed();
  });

  it('hands the previews the server sends over to the scheduler, with their node and type', async () => {
    const { url } = await serve();
    const { hooks } = recorder();
    const previews: { mimeType: string; node?: string; size: number }[] = [];
    hooks.preview = (p) => void previews.push({ mimeType: p.mimeType, node: p.node, size: p.bytes.length });
    const result = await targetFor(url).run(
      jobOf(loadWorkflow('10_websocket_images')),
      hooks,
      new AbortController().signal,
    );
    assert.equal(result.status, 'success');
    assert.deepEqual(
      previews.map((p) => [p.mimeType, p.node, p.size > 0]),
      [1, 2, 3].map(() => ['image/png', '3', true]),
    );
  });

  it('runs a prompt on the server and collects its output into the job folder', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const job = jobOf(quickPrompt('ok'));
    const { seen, hooks } = recorder();
    const result = await targetFor(url).run(job, hooks, new AbortController().signal);
    assert.equal(result.status, 'success');
    assert.deepEqual(
      result.outputs.map((o) => [o.path, o.nodeId, o.kind, o.index]),
      [['ok_00001_.txt', '2', 'files', 0]],
    );
    assert.equal(readFileSync(join(job.outDir, 'ok_00001_.txt'), 'utf8'), '1');
    assert.equal(seen.accepted.length, 1);
    assert.equal(seen.started, 1);
    assert.deepEqual(seen.events.at(-1), {
      type: 'executing',
      data: { node: null, prompt_id: seen.accepted[0] },
    });
  });

  it('takes back a job whose runner died mid-download without the partial file it left', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const target = targetFor(url);
    const { seen, hooks } = recorder();
    const first = jobOf(quickPrompt('partial'));
    assert.equal((await target.run(first, hooks, new AbortController().signal)).status, 'success');
    // The same prompt, finished on the server, as a runner that died while downloading it left it.
    const job: Job = { ...first, state: 'running', promptId: seen.accepted[0], outDir: tmp('remote-job-') };
    job.times = { ...job.times, accepted: Date.now() };
    writeFileSync(join(job.outDir, '.0123456789ab.part'), 'half');
    // And one beside an output in a subfolder.
    mkdirSync(join(job.outDir, 'sub'));
    writeFileSync(join(job.outDir, 'sub', '.abcdef012345.part'), 'half');
    const result = await target.resume!(job, recorder().hooks, new AbortController().signal);
    assert.equal(result.status, 'success');
    assert.deepEqual(readdirSync(job.outDir).sort(), ['partial_00001_.txt', 'sub']);
    assert.deepEqual(readdirSync(join(job.outDir, 'sub')), []);
  });

  it('records for each output the SHA-256 and size of the file in the job folder', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const job = jobOf(quickPrompt('hashed'));
    const result = await targetFor(url).run(job, recorder().hooks, new AbortController().signal);
    assert.equal(result.status, 'success');
    const [output] = result.outputs;
    const bytes = readFileSync(join(job.outDir, output!.path));
    assert.equal(output!.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(output!.size, bytes.length);
  });

  it('maps a node that raises to an error with node, exception type and traceback', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const prompt = {
      '1': apiNode('TestFail', { message: 'boom', exception_type: 'ValueError' }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'never' }),
    };
    const result = await targetFor(url).run(jobOf(prompt), recorder().hooks, new AbortController().signal);
    assert.equal(result.status, 'error');
    assert.equal(result.error?.reason, 'execution_failed');
    assert.equal(result.error?.node_id, '1');
    assert.equal(result.error?.node_type, 'TestFail');
    assert.equal(result.error?.exception_type, 'ValueError');
    assert.ok(Array.isArray(result.error?.traceback) && result.error.traceback.length > 0);
  });

  it('interrupts the prompt on the server when the signal aborts while it runs', async () => {
    const { url } = await serve({ nodes: gatedRegistry });
    const { hooks, nodeStarts } = recorder();
    const abort = new AbortController();
    const running = targetFor(url).run(jobOf(gatedPrompt('stop')), hooks, abort.signal);
    await nodeStarts('1');
    abort.abort();
    assert.equal((await running).status, 'interrupted');
  });

  it('dequeues a waiting prompt when the signal aborts, so it never runs', async () => {
    const { url, outputDir } = await serve({ nodes: gatedRegistry });
    const busy = (
      (await call(url, 'POST', '/prompt', { prompt: gatedPrompt('busy') })).json as { prompt_id: string }
    ).prompt_id;
    const { seen, hooks } = recorder();
    const abort = new AbortController();
    const waiting = targetFor(url).run(jobOf(quickPrompt('queued')), hooks, abort.signal);
    while (seen.accepted.length === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    assert.equal((await waiting).status, 'interrupted');
    gates.open('busy');
    while (Object.keys((await call(url, 'GET', `/history/${busy}`)).json as object).length === 0)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual((await call(url, 'GET', '/queue')).json, { queue_running: [], queue_pending: [] });
    assert.equal(existsSync(join(outputDir, 'queued_00001_.txt')), false);
    assert.deepEqual((await call(url, 'GET', `/history/${seen.accepted[0]}`)).json, {});
  });

  it('uploads a local LoadImage file first and submits the name the server returned', async () => {
    const { url, inputDir: serverInput } = await serve();
    writeFileSync(join(serverInput, 'comfy_real_upload.png'), 'a different file of that name');
    const local = tmp('remote-local-');
    writeFileSync(join(local, 'comfy_real_upload.png'), holePng());
    const { seen, hooks } = recorder();
    const result = await targetFor(url, local).run(
      jobOf(loadWorkflow('07_loadimage_upload')),
      hooks,
      new AbortController().signal,
    );
    assert.equal(result.status, 'success', JSON.stringify(result.error));
    assert.equal(result.outputs.length, 3);
    const history = (await call(url, 'GET', `/history/${seen.accepted[0]}`)).json as Record<
      string,
      { prompt: unknown[] }
    >;
    const prompt = history[seen.accepted[0]].prompt[2] as ApiPrompt;
    assert.equal(prompt['1'].inputs.image, 'comfy_real_upload (1).png');
  });

  it('advertises the server’s node definitions, counting local input files as present', async () => {
    const { url } = await serve();
    const local = tmp('remote-local-');
    writeFileSync(join(local, 'mine.png'), holePng());
    const defs = await targetFor(url, local).capabilities!();
    const [choices] = defs.LoadImage.input.required!.image;
    assert.ok(Array.isArray(choices) && choices.includes('mine.png'));
    assert.ok(defs.SaveImage);
  });

  describe('a part of a split run', () => {
    /** Two branches, 1 → 2 and 3 → 4, each saving its own file; the part runs the second. */
    const branches: ApiPrompt = {
      ...quickPrompt('first'),
      '3': apiNode('TestSource', { value: 3 }),
      '4': apiNode('TestCounter', { input: ['3', 0], tag: 'second' }),
    };
    const part = () => ({
      ...jobOf(branches),
      split: { id: 'run-1', index: 2, size: 2, outputs: ['4'] },
    });

    /** A proxy in front of a fresh server whose `/system_stats` reports ComfyUI `version`. */
    async function serverOfVersion(version: string): Promise<FaultProxy> {
      const { url } = await serve({ nodes: gatedRegistry });
      const proxy = await startFaultProxy(url);
      proxies.push(proxy);
      const stats = (await call(url, 'GET', '/system_stats')).json as { system: Record<string, unknown> };
      proxy.answer('/system_stats', (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...stats, system: { ...stats.system, comfyui_version: version } }));
      });
      return proxy;
    }

    it('sends a server of ComfyUI 0.3.48 or later the whole prompt with its outputs as partial_execution_targets', async () => {
      const proxy = await serverOfVersion('0.3.48');
      const job = part();
      const result = await targetFor(proxy.url).run(job, recorder().hooks, new AbortController().signal);
      assert.equal(result.status, 'success');
      const [post] = proxy.posts;
      assert.deepEqual(Object.keys(post.prompt as ApiPrompt).sort(), ['1', '2', '3', '4']);
      assert.deepEqual(post.partial_execution_targets, ['4']);
      assert.deepEqual(
        result.outputs.map((o) => o.path),
        ['.parts/2/second_00001_.txt'],
      );
    });

    it('sends an older server only the part’s nodes, with no partial_execution_targets, and gets only its outputs', async () => {
      const proxy = await serverOfVersion('0.3.47');
      const job = part();
      const result = await targetFor(proxy.url).run(job, recorder().hooks, new AbortController().signal);
      assert.equal(result.status, 'success');
      const [post] = proxy.posts;
      assert.deepEqual(Object.keys(post.prompt as ApiPrompt).sort(), ['3', '4']);
      assert.equal('partial_execution_targets' in post, false);
      assert.deepEqual(
        result.outputs.map((o) => o.path),
        ['.parts/2/second_00001_.txt'],
      );
    });
  });

  describe('faults', () => {
    it('completes with every output when the socket is cut mid-run', async () => {
      const { url } = await serve({ nodes: gatedRegistry });
      const proxy = await startFaultProxy(url);
      proxies.push(proxy);
      const { hooks, nodeStarts } = recorder();
      const job = jobOf(gatedPrompt('cut'));
      const running = targetFor(proxy.url).run(job, hooks, new AbortController().signal);
      await nodeStarts('1');
      proxy.cutSockets();
      gates.open('cut');
      const result = await running;
      assert.equal(result.status, 'success');
      assert.deepEqual(
        result.outputs.map((o) => o.path),
        ['cut_00001_.txt'],
      );
      assert.ok(existsSync(join(job.outDir, 'cut_00001_.txt')));
    });

    it('ends the job lost with a message when the server is killed mid-run', async () => {
      const served = await serve({ nodes: gatedRegistry });
      const { hooks, nodeStarts } = recorder();
      const running = targetFor(served.url).run(
        jobOf(gatedPrompt('gone')),
        hooks,
        new AbortController().signal,
      );
      await nodeStarts('1');
      await served.server.close();
      const result = await running;
      assert.equal(result.status, 'error');
      assert.equal(result.error?.reason, 'lost');
      assert.match(result.error?.message ?? '', /lost/);
    });

    it('ends the job lost, without running it again, when the server restarts with an empty history', async () => {
      const first = await serve({ nodes: gatedRegistry });
      const { hooks, nodeStarts } = recorder();
      const running = targetFor(first.url).run(
        jobOf(gatedPrompt('restart')),
        hooks,
        new AbortController().signal,
      );
      await nodeStarts('1');
      await first.server.close();
      const second = await serve({ nodes: gatedRegistry, port: first.server.port });
      const result = await running;
      assert.equal(result.error?.reason, 'lost');
      const jobs = (await call(second.url, 'GET', '/api/jobs')).json as { jobs: unknown[] };
      assert.deepEqual(jobs.jobs, []);
    });

    it('completes with every output when /history answers slowly', async () => {
      const { url } = await serve({ nodes: gatedRegistry });
      const proxy = await startFaultProxy(url);
      proxies.push(proxy);
      proxy.delay('/history', 1_000);
      const job = jobOf(quickPrompt('slow'));
      const result = await targetFor(proxy.url).run(job, recorder().hooks, new AbortController().signal);
      assert.equal(result.status, 'success');
      assert.deepEqual(
        result.outputs.map((o) => o.path),
        ['slow_00001_.txt'],
      );
    });

    it('fails with an auth error, not a crash, behind a proxy answering 401', async () => {
      const { url } = await serve({ nodes: gatedRegistry });
      const proxy = await startFaultProxy(url);
      proxies.push(proxy);
      proxy.refuse(401);
      const run = targetFor(proxy.url).run(
        jobOf(quickPrompt('auth')),
        recorder().hooks,
        new AbortController().signal,
      );
      const e = await run.then(
        () => assert.fail('expected the run to fail'),
        (x: unknown) => x,
      );
      assert.ok(isRunnerError(e, 'auth'), String(e));
      assert.deepEqual((await call(url, 'GET', '/api/jobs')).json, {
        jobs: [],
        pagination: { offset: 0, limit: null, total: 0, has_more: false },
      });
    });
  });
});
