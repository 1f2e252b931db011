import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runCli } from './cliHarness';
import { workflowsDir } from '../fakes/fixturePaths';

const examples = resolve(__dirname, '../../examples');
const variations = join(examples, 'editor', 'variations.json');
const input = join(examples, 'input');

interface SummaryJob {
  id: string;
  label: string;
  state: string;
  outputs: string[];
}

function summaryOf(out: string[]): SummaryJob[] {
  const last = JSON.parse(out.at(-1)!) as { type: string; jobs: SummaryJob[] };
  assert.equal(last.type, 'summary');
  return last.jobs;
}

interface RunJson {
  overrides: { node: string; input: string; value: unknown }[];
  batch: { id: string; index: number; size: number };
  outputs: { sha256: string }[];
}

function runJsonOf(job: SummaryJob): RunJson {
  return JSON.parse(readFileSync(join(dirname(job.outputs[0]), 'run.json'), 'utf8')) as RunJson;
}

describe('comfy-runner run --runs N', function () {
  this.timeout(60_000);
  let out: string;

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'run-seeds-'));
  });

  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('runs an editor example with a seed widget N times to N distinct outputs on the embedded engine', async () => {
    const run = await runCli([
      'run',
      variations,
      '--runs',
      '3',
      '--input-dir',
      input,
      '--out',
      out,
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    const jobs = summaryOf(run.out);
    assert.deepEqual(
      jobs.map((j) => [j.state, j.label]),
      [
        ['succeeded', '#1 Offset=0'],
        ['succeeded', '#2 Offset=1'],
        ['succeeded', '#3 Offset=2'],
      ],
    );
    const records = jobs.map(runJsonOf);
    assert.equal(new Set(records.map((r) => r.outputs[0].sha256)).size, 3);
    assert.ok(jobs.every((j) => existsSync(j.outputs[0])));
  });

  it('records each run’s seed and its place in the batch in run.json and in jobs list', async () => {
    const run = await runCli([
      'run',
      variations,
      '--runs',
      '2',
      '--input-dir',
      input,
      '--out',
      out,
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    const [first, second] = summaryOf(run.out).map(runJsonOf);
    assert.deepEqual(second.overrides, [{ node: '1', input: 'value', value: 1 }]);
    assert.deepEqual([second.batch.index, second.batch.size], [2, 2]);
    assert.equal(first.batch.id, second.batch.id);
    const list = await runCli(['jobs', 'list', '--store', join(out, '.store')]);
    assert.deepEqual(
      // Jobs queued in the same millisecond list in any order.
      list.out
        .slice(1)
        .map((line) => /1\.value=\d/.exec(line)?.[0])
        .sort(),
      ['1.value=0', '1.value=1'],
    );
  });

  it('steps the seeds as --seed says, from a value --set gives', async () => {
    const run = await runCli([
      'run',
      variations,
      '--runs',
      '2',
      '--seed',
      'decrement',
      '--set',
      'Offset.value=10',
      '--input-dir',
      input,
      '--out',
      out,
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.deepEqual(
      summaryOf(run.out).map((j) => j.label),
      ['#1 Offset=10', '#2 Offset=9'],
    );
  });

  it('shows each job’s run label on its progress lines', async () => {
    const run = await runCli(['run', variations, '--runs', '2', '--input-dir', input, '--out', out]);
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.ok(
      run.out.some((l) => /variations\.json #2 Offset=1: succeeded$/.test(l)),
      run.out.join('\n'),
    );
  });

  it('refuses N runs of a workflow without a seed with exit 2, before anything is queued', async () => {
    const run = await runCli(['run', join(workflowsDir, '01_invert.json'), '--runs', '3', '--out', out]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /01_invert\.json: it has no seed input.*--allow-identical/s);
    const list = await runCli(['jobs', 'list', '--store', join(out, '.store'), '--json']);
    assert.deepEqual((JSON.parse(list.out[0]) as { jobs: unknown[] }).jobs, []);
  });

  it('exits 2 for a --seed that is not a control', async () => {
    const run = await runCli(['run', variations, '--seed', 'random', '--out', out]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /--seed takes fixed, increment, decrement, randomize, not "random"/);
  });
});

describe('comfy-runner run --only', function () {
  this.timeout(60_000);
  let out: string;

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'run-only-'));
  });

  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('runs only the output node it names, by title, and writes only its images', async () => {
    const run = await runCli([
      'run',
      join(workflowsDir, '02_branching.json'),
      '--only',
      'Save A (inverted)',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    const [job] = summaryOf(run.out);
    assert.ok(job.outputs.length > 0);
    assert.ok(
      job.outputs.every((o) => /branch_a/.test(o)),
      job.outputs.join(', '),
    );
  });

  it('refuses a node that is not an output node, with exit code 2 and the output nodes listed', async () => {
    const run = await runCli(['run', join(workflowsDir, '02_branching.json'), '--only', '2', '--out', out]);
    assert.equal(run.code, 2);
    assert.match(
      run.err.join('\n'),
      /node #2 ImageInvert is not an output node, .*; its output nodes are #3 SaveImage/,
    );
  });
});
