import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from './cliHarness';
import { workflowsDir } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';

const workflows = workflowsDir;

interface Summary {
  type: 'summary';
  jobs: {
    id: string;
    workflow: string;
    state: string;
    server: string;
    outputs: string[];
    error: null | Record<string, unknown>;
  }[];
}

function lines(out: string[]): { type: string; job?: string; data?: Record<string, unknown> }[] {
  return out.map((l) => JSON.parse(l) as { type: string; job?: string; data?: Record<string, unknown> });
}

function summaryOf(out: string[]): Summary {
  return lines(out).at(-1) as unknown as Summary;
}

describe('comfy-runner run', () => {
  const out = () => tempDir('run-out-');

  it('runs a workflow on the embedded engine and writes its outputs and run record', async () => {
    const dir = out();
    const run = await runCli(['run', join(workflows, '01_invert.json'), '--out', dir, '--json']);
    assert.equal(run.code, 0, run.err.join('\n'));
    const [job] = summaryOf(run.out).jobs;
    assert.equal(job.state, 'succeeded');
    assert.equal(job.server, 'embedded');
    assert.equal(job.outputs.length, 1);
    assert.ok(existsSync(job.outputs[0]));
    const record = JSON.parse(readFileSync(join(job.outputs[0], '..', 'run.json'), 'utf8')) as {
      outputs: { path: string; size: number; sha256: string }[];
    };
    const bytes = readFileSync(job.outputs[0]);
    assert.equal(join(dirname(job.outputs[0]), record.outputs[0].path), job.outputs[0]);
    assert.equal(record.outputs[0].size, bytes.length);
    assert.equal(record.outputs[0].sha256, createHash('sha256').update(bytes).digest('hex'));
  });

  it('prints every event as one JSON line in ComfyUI shape tagged with the job', async () => {
    const run = await runCli(['run', join(workflows, '01_invert.json'), '--out', out(), '--json']);
    const events = lines(run.out).filter((l) => l.type !== 'summary' && l.type !== 'job_state');
    const jobId = summaryOf(run.out).jobs[0].id;
    assert.ok(events.every((e) => e.job === jobId));
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 2), ['execution_start', 'execution_cached']);
    assert.ok(types.includes('executed'));
    assert.deepEqual(types.slice(-2), ['execution_success', 'executing']);
    assert.equal(events.find((e) => e.type === 'executed')?.data?.node, '3');
  });

  it('gives each of N runs its own job and folder', async () => {
    // The fixture has no seed, so its runs are identical and have to be allowed.
    const run = await runCli([
      'run',
      join(workflows, '01_invert.json'),
      '--runs',
      '2',
      '--allow-identical',
      '--out',
      out(),
      '--json',
    ]);
    const { jobs } = summaryOf(run.out);
    assert.equal(jobs.length, 2);
    assert.notEqual(jobs[0].id, jobs[1].id);
    assert.notEqual(dirname(jobs[0].outputs[0]), dirname(jobs[1].outputs[0]));
  });

  it('applies --set to the prompt before it runs', async () => {
    const run = await runCli([
      'run',
      join(workflows, '01_invert.json'),
      '--set',
      '3.filename_prefix=renamed',
      '--out',
      out(),
      '--json',
    ]);
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.match(summaryOf(run.out).jobs[0].outputs[0], /renamed_00001_\.png$/);
  });

  it('exits 1 and reports node and exception when a node fails', async () => {
    const input = tempDir('run-in-');
    const run = await runCli([
      'run',
      join(workflows, '05_runtime_error.json'),
      '--out',
      out(),
      '--input-dir',
      input,
      '--json',
    ]);
    assert.equal(run.code, 1);
    const [job] = summaryOf(run.out).jobs;
    assert.equal(job.state, 'failed');
    assert.equal(job.error?.node_id, '2');
    assert.equal(job.error?.exception_type, 'IndexError');
  });

  it('exits 2 naming the node and input of an invalid workflow, running nothing', async () => {
    const run = await runCli([
      'run',
      join(workflows, '06a_validation_missing_input.json'),
      '--out',
      out(),
      '--json',
    ]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /node 2 .*input 'image'/);
    assert.equal(run.out.length, 0);
  });

  it('exits 2 for a --set naming a node that does not exist', async () => {
    const run = await runCli([
      'run',
      join(workflows, '01_invert.json'),
      '--set',
      '42.width=1',
      '--out',
      out(),
    ]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /42/);
  });

  it('exits 2 for --runs that is not a positive whole number', async () => {
    const run = await runCli(['run', join(workflows, '01_invert.json'), '--runs', 'zero', '--out', out()]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /--runs/);
  });

  it('leaves the engine’s previews out of --json, whose lines stay ComfyUI’s JSON events', async () => {
    const run = await runCli(['run', join(workflows, '10_websocket_images.json'), '--out', out(), '--json']);
    assert.equal(run.code, 0, run.err.join('\n'));
    const types = lines(run.out).map((l) => l.type);
    assert.ok(!types.includes('preview'));
    assert.deepEqual(
      types.filter((t) => t === 'progress'),
      ['progress', 'progress', 'progress'],
    );
  });

  it('prints a line per state change and the output folder without --json', async () => {
    const dir = out();
    const run = await runCli(['run', join(workflows, '01_invert.json'), '--out', dir]);
    assert.equal(run.code, 0);
    assert.deepEqual(
      run.out.map((l) => l.replace(/^.*: /, '').replace(/, .*/, '')),
      ['dispatching', 'running', 'succeeded', 'succeeded'],
    );
    const folder = /succeeded, 1 output\(s\) in (.+)$/.exec(run.out.at(-1)!)?.[1];
    assert.equal(dirname(folder ?? ''), dir);
    assert.ok(existsSync(join(folder!, 'run.json')));
  });

  it('writes nothing outside the run folder for an escaping filename prefix', async () => {
    const flow = JSON.parse(readFileSync(join(workflows, '01_invert.json'), 'utf8')) as Record<
      string,
      { class_type: string; inputs: Record<string, unknown> }
    >;
    flow['3'].inputs.filename_prefix = '../../escape';
    const root = tempDir('run-wf-');
    const file = join(root, 'escape.json');
    writeFileSync(file, JSON.stringify(flow));
    const run = await runCli(['run', file, '--out', join(root, 'out'), '--json']);
    assert.equal(run.code, 1);
    assert.equal(summaryOf(run.out).jobs[0].state, 'failed');
    const written = readdirSync(root, { recursive: true, encoding: 'utf8' });
    assert.deepEqual(
      written.filter((f) => /escape_\d+_\.png$/.test(f)),
      [],
    );
  });
});
