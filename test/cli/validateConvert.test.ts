import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from './cliHarness';
import { comfyFixtures } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';

const shared = comfyFixtures;
const objectInfo = join(shared, 'transcripts/object_info.json');
const workflows = join(shared, 'workflows');
const editorFixture = resolve(__dirname, '../fixtures/editor/txt2imgClassic.json');

function tempFile(name: string, content: string): string {
  const path = join(tempDir('cli-'), name);
  writeFileSync(path, content);
  return path;
}

describe('comfy-runner validate', () => {
  it('exits 0 for a valid API workflow', async () => {
    const run = await runCli(['validate', join(workflows, '01_invert.json'), '--nodes', objectInfo]);
    assert.equal(run.code, 0);
    assert.deepEqual(run.out, [`${join(workflows, '01_invert.json')}: valid (api format)`]);
    assert.deepEqual(run.err, []);
  });

  it('exits 2 and names node and input for each problem', async () => {
    const run = await runCli([
      'validate',
      join(workflows, '06c_validation_bad_value.json'),
      '--nodes',
      objectInfo,
    ]);
    assert.equal(run.code, 2);
    const text = run.err.join('\n');
    assert.match(text, /06c_validation_bad_value\.json: node 1 .*input 'width'/);
    assert.match(text, /node 2 .*input 'upscale_method'/);
  });

  it('prints the problems as JSON with --json', async () => {
    const run = await runCli([
      'validate',
      join(workflows, '06a_validation_missing_input.json'),
      '--nodes',
      objectInfo,
      '--json',
    ]);
    assert.equal(run.code, 2);
    const report = JSON.parse(run.out[0]) as {
      ok: boolean;
      problems: { type: string; nodeId: string; inputName: string }[];
    };
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((p) => [p.type, p.nodeId, p.inputName]),
      [['required_input_missing', '2', 'image']],
    );
  });

  it('exits 2 with line and column for truncated JSON', async () => {
    const run = await runCli(['validate', tempFile('cut.json', '{"1": {"class_type": "EmptyImage",')]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /cut\.json: .*line 1, column \d+/);
  });

  it('exits 2 naming a file that does not exist', async () => {
    const missing = join(tempDir('cli-'), 'flow.json');
    const run = await runCli(['validate', missing]);
    assert.equal(run.code, 2);
    assert.equal(run.err[0], `${missing}: cannot read the workflow (no such file)`);
  });

  it('exits 2 for node definitions that are not an object_info dump', async () => {
    const run = await runCli([
      'validate',
      join(workflows, '01_invert.json'),
      '--nodes',
      tempFile('defs.json', '[1, 2]'),
    ]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /defs\.json: node definitions must be an object/);
  });

  it('exits 2 for an unknown option', async () => {
    const run = await runCli(['validate', join(workflows, '01_invert.json'), '--frobnicate']);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /Unknown option '--frobnicate'/);
  });
});

describe('comfy-runner convert', () => {
  it('writes the API prompt of an editor workflow to -o', async () => {
    const out = join(tempDir('cli-'), 'api.json');
    const run = await runCli(['convert', editorFixture, '--nodes', objectInfo, '-o', out]);
    assert.equal(run.code, 0);
    const expected = JSON.parse(
      readFileSync(editorFixture.replace(/\.json$/, '.api.json'), 'utf8'),
    ) as unknown;
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), expected);
  });

  it('prints the prompt to stdout without -o', async () => {
    const run = await runCli(['convert', editorFixture, '--nodes', objectInfo]);
    assert.equal(run.code, 0);
    const expected = JSON.parse(
      readFileSync(editorFixture.replace(/\.json$/, '.api.json'), 'utf8'),
    ) as unknown;
    assert.deepEqual(JSON.parse(run.out.join('\n')), expected);
  });

  it('exits 2 naming the node it cannot convert', async () => {
    const flow = {
      nodes: [{ id: 7, type: 'NoSuchNode', mode: 0, inputs: [], outputs: [], widgets_values: [] }],
      links: [],
      version: 0.4,
    };
    const run = await runCli([
      'convert',
      tempFile('custom.json', JSON.stringify(flow)),
      '--nodes',
      objectInfo,
    ]);
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /node 7 .*NoSuchNode/);
  });
});
