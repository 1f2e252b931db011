import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from '../../src/core/jobs/job';
import { openRunner, type Runner } from '../../src/core/run/runner';
import type { ApiPrompt } from '../../src/core/workflow/types';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { startFaultProxy } from '../fakes/faultProxy';
import { tempDir } from '../fakes/tempDirs';
import { apiNode } from '../fakes/testNodes';
import { serverQueueEmpty, within } from './poolHarness';

/** One branch: a source, a wait of `ms` (or a node that fails), and an output node saving `<tag>_NNNNN_.txt`. */
function branch(first: number, tag: string, ms: number, fails = false): ApiPrompt {
  const [source, middle, out] = [first, first + 1, first + 2].map(String);
  return {
    [source]: apiNode('TestSource', { value: first }),
    [middle]: fails
      ? apiNode('TestFail', { message: `branch ${tag} broke`, exception_type: 'ValueError' })
      : apiNode('TestDelay', { ms, input: [source, 0] }),
    [out]: apiNode('TestCounter', { tag, input: [middle, 0] }),
  };
}

/** The files a server's own output folder holds. */
function served(server: TestServer): string[] {
  return readdirSync(server.outputDir).sort();
}

describe('a run split by branch across serve instances', function () {
  this.timeout(60_000);
  const servers: TestServer[] = [];
  let dir: string;
  let runner: Runner;

  before(async () => {
    for (let i = 0; i < 3; i++) servers.push(await startTestServer());
  });

  after(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  /** A runner over the three servers (or the URLs given, proxies of them), in a fresh folder. */
  async function open(urls = servers.map((s) => s.url)): Promise<void> {
    dir = tempDir('split-run-');
    runner = await openRunner({
      storeDir: join(dir, '.store'),
      unfinished: 'refuse',
      servers: urls,
      out: dir,
      store: { pollMs: 50, heartbeatMs: 0 },
    });
  }

  /** Closes the runner once the servers are idle, and empties their output folders for the next test. */
  async function close(): Promise<void> {
    await runner.close();
    for (const s of servers) await serverQueueEmpty(s.url, 10_000);
    for (const s of servers) for (const f of served(s)) rmSync(join(s.outputDir, f));
  }

  /** Plans and queues the prompt as one workflow file, split across every free server. */
  async function submitSplit(prompt: ApiPrompt): Promise<Job[]> {
    const file = join(dir, 'branches.json');
    writeFileSync(file, JSON.stringify(prompt));
    return runner.submit({ workflows: [{ file }], split: {} });
  }

  describe('with three independent branches', () => {
    let parts: Job[];
    let ended: Job[];

    before(async () => {
      await open();
      const prompt = { ...branch(1, 'a', 600), ...branch(4, 'b', 600), ...branch(7, 'c', 600) };
      parts = await submitSplit(prompt);
      await within(20_000, 'the split run to end', runner.idle());
      ended = parts.map((p) => runner.job(p.id)!);
    });

    after(close);

    it('runs as three prompts, one on each server, at the same time', () => {
      assert.equal(parts.length, 3);
      assert.deepEqual(
        ended.map((p) => p.state),
        ['succeeded', 'succeeded', 'succeeded'],
      );
      assert.equal(new Set(ended.map((p) => p.server)).size, 3);
      const lastStart = Math.max(...ended.map((p) => p.times.started!));
      const firstEnd = Math.min(...ended.map((p) => p.times.finished!));
      assert.ok(
        lastStart < firstEnd,
        `the parts did not overlap: ${JSON.stringify(ended.map((p) => p.times))}`,
      );
    });

    it('is one run: its parts share a run id and a folder, numbered 1 to 3 of 3', () => {
      const [first] = ended;
      assert.ok(ended.every((p) => p.split?.id === first.split!.id && p.outDir === first.outDir));
      assert.deepEqual(
        ended.map((p) => [p.split!.index, p.split!.size, p.split!.outputs]),
        [
          [1, 3, ['3']],
          [2, 3, ['6']],
          [3, 3, ['9']],
        ],
      );
    });

    it('sends each server only the nodes of its branch', () => {
      const ran = servers.map(served).flat().sort();
      assert.deepEqual(ran, ['a_00001_.txt', 'b_00001_.txt', 'c_00001_.txt']);
      for (const s of servers) assert.equal(served(s).length, 1);
    });

    it('leaves every output in the run folder and one run.json that lists the parts', () => {
      const folder = ended[0].outDir;
      assert.deepEqual(readdirSync(folder).sort(), [
        'a_00001_.txt',
        'b_00001_.txt',
        'c_00001_.txt',
        'run.json',
      ]);
      const record = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as {
        job: string;
        state: string;
        outputs: { path: string }[];
        parts: { job: string; server: string }[];
      };
      assert.equal(record.job, ended[0].split!.id);
      assert.equal(record.state, 'succeeded');
      assert.deepEqual(
        record.outputs.map((o) => o.path),
        ['a_00001_.txt', 'b_00001_.txt', 'c_00001_.txt'],
      );
      assert.deepEqual(
        record.parts.map((p) => [p.job, p.server]),
        ended.map((p) => [p.id, p.server]),
      );
    });
  });

  it('counts a server whose first health probe is still under way once the probe has answered', async () => {
    const proxies = await Promise.all(servers.slice(0, 2).map((s) => startFaultProxy(s.url)));
    for (const p of proxies) p.delay('/system_stats', 400);
    await open(proxies.map((p) => p.url));
    try {
      const parts = await submitSplit({ ...branch(1, 'a', 0), ...branch(4, 'b', 0) });
      assert.deepEqual(
        parts.map((p) => p.split?.index),
        [1, 2],
      );
      await within(20_000, 'the split run to end', runner.idle());
    } finally {
      await close();
      for (const p of proxies) await p.close();
    }
  });

  describe('one at a time', () => {
    beforeEach(open);
    afterEach(close);

    it('numbers the files of one prefix as the whole run would, though each server saved its first', async () => {
      const prompt = { ...branch(1, 'x', 100), ...branch(4, 'x', 0), ...branch(7, 'x', 50) };
      const parts = await submitSplit(prompt);
      await within(20_000, 'the split run to end', runner.idle());
      for (const s of servers) assert.deepEqual(served(s), ['x_00001_.txt']);
      const folder = parts[0].outDir;
      const saved = ['x_00001_.txt', 'x_00002_.txt', 'x_00003_.txt'];
      assert.deepEqual(readdirSync(folder).sort(), ['run.json', ...saved]);
      // In the whole run's order, node 3 (value 1), then 6 (value 4), then 9 (value 7).
      assert.deepEqual(
        saved.map((f) => readFileSync(join(folder, f), 'utf8')),
        ['1', '4', '7'],
      );
      assert.deepEqual(
        parts.map((p) => runner.job(p.id)!.outputs.map((o) => o.path)),
        [['x_00001_.txt'], ['x_00002_.txt'], ['x_00003_.txt']],
      );
    });

    it('stops the other branches when one fails, and shows them stopped, not failed', async () => {
      const prompt = { ...branch(1, 'a', 0, true), ...branch(4, 'b', 5_000), ...branch(7, 'c', 5_000) };
      const parts = await submitSplit(prompt);
      await within(20_000, 'the split run to end', runner.idle());
      const [failed, ...stopped] = parts.map((p) => runner.job(p.id)!);
      assert.equal(failed.state, 'failed');
      assert.match(failed.error?.message ?? '', /branch a broke/);
      for (const part of stopped) {
        assert.equal(part.state, 'cancelled');
        assert.equal(part.error?.reason, 'split_stopped');
        assert.deepEqual(part.error?.stoppedBy, { job: failed.id, index: 1 });
      }
      // The stopped branches never reached their output node on any server.
      assert.deepEqual(servers.map(served).flat(), []);
    });

    it('cancels every branch when the run is cancelled', async () => {
      const prompt = { ...branch(1, 'a', 5_000), ...branch(4, 'b', 5_000), ...branch(7, 'c', 5_000) };
      const parts = await submitSplit(prompt);
      await within(10_000, 'every part to run', runningAll(runner, parts));
      assert.equal(runner.cancel(parts[0].split!.id), true);
      await within(10_000, 'the split run to end', runner.idle());
      assert.deepEqual(
        parts.map((p) => runner.job(p.id)!.state),
        ['cancelled', 'cancelled', 'cancelled'],
      );
      assert.deepEqual(servers.map(served).flat(), []);
      assert.equal(existsSync(join(parts[0].outDir, '.parts')), false);
    });

    it('runs every branch again as one new split run in a folder of its own when a cancelled run is retried', async () => {
      const prompt = { ...branch(1, 'a', 5_000), ...branch(4, 'b', 5_000), ...branch(7, 'c', 5_000) };
      const parts = await submitSplit(prompt);
      await within(10_000, 'every part to run', runningAll(runner, parts));
      runner.cancel(parts[0].split!.id);
      await within(10_000, 'the split run to end', runner.idle());
      const first = runner.retry(parts[0].split!.id);
      const retried = runner
        .snapshot()
        .jobs.map((v) => v.job)
        .filter((j) => j.split?.id === first.split!.id);
      assert.notEqual(first.split!.id, parts[0].split!.id);
      assert.deepEqual(
        retried.map((p) => [p.retryOf, p.attempt, p.split!.index, p.split!.outputs, p.outDir]),
        parts.map((p) => [p.id, 2, p.split!.index, p.split!.outputs, `${p.outDir}-retry2`]),
      );
      for (const p of retried) runner.cancel(p.id);
      await within(10_000, 'the retry to end', runner.idle());
    });

    it('retries the whole run once when one of its parts is retried, and refuses a run that has not ended', async () => {
      const prompt = { ...branch(1, 'a', 0, true), ...branch(4, 'b', 5_000), ...branch(7, 'c', 5_000) };
      const parts = await submitSplit(prompt);
      await within(20_000, 'the split run to end', runner.idle());
      const first = runner.retry(parts[1].id);
      assert.throws(() => runner.retry(first.id), /has not ended/);
      await within(20_000, 'the retry to end', runner.idle());
      const jobs = runner.snapshot().jobs.map((v) => v.job);
      const retried = jobs.filter((j) => j.split?.id === first.split!.id);
      assert.equal(retried.length, 3);
      assert.equal(jobs.length, 6);
      assert.deepEqual(
        retried.map((p) => p.state),
        ['failed', 'cancelled', 'cancelled'],
      );
    });
  });
});

/** Resolves once every part is running on its server. */
async function runningAll(runner: Runner, parts: readonly Job[]): Promise<void> {
  while (!parts.every((p) => runner.job(p.id)?.state === 'running')) {
    await new Promise((r) => setTimeout(r, 20));
  }
}
