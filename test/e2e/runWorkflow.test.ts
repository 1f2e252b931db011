/**
 * Running workflows in a real VS Code with no server configured: the embedded engine runs them, in a
 * process of its own, and their outputs land in the workspace's comfy-runs/ folder.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storedJobsOnDisk } from '../fakes/storeOnDisk';
import { expand, openRunnerViews, rowText } from './harness/jobsView';
import { useSession } from './harness/session';

interface RunRecord {
  state: string;
  attempt: number;
  outputs: { path: string }[];
  workflow: { file: string };
  /** The run folder the record was read from (not in the file). */
  dir: string;
}

/** The run records under the workspace's comfy-runs/, once `count` of them say `state`. */
async function runRecords(
  workspace: string,
  count: number,
  state: string,
  of = '',
  timeoutMs = 90_000,
): Promise<RunRecord[]> {
  const root = join(workspace, 'comfy-runs');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = existsSync(root)
      ? readdirSync(root)
          .map((d) => join(root, d))
          .filter((dir) => existsSync(join(dir, 'run.json')))
          .map((dir) => ({ ...(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord), dir }))
      : [];
    const done = records.filter((r) => r.state === state && r.workflow.file.endsWith(of));
    if (done.length >= count) return done;
    if (Date.now() > deadline)
      throw new Error(
        `expected ${count} run(s) ${state} in ${root}, found ${JSON.stringify(records.map((r) => r.state))}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('running workflows in VS Code', () => {
  const session = useSession({
    workspace: {
      '.': 'examples',
      'broken/runtime-error.json': 'test/fixtures/comfyui-0.8.0/workflows/05_runtime_error.json',
      'slow/slow.json': 'test/e2e/fixtures/slowBlurs.json',
    },
  });

  it('runs the open workflow from the palette with no server configured and writes its outputs under comfy-runs/', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('api/poster.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    const [record] = await runRecords(sandbox.workspace, 1, 'succeeded');
    const lens = await wb.codeLens('last run: succeeded');
    await wb.screenshot('run-workflow-succeeded');
    assert.match(lens, /last run: succeeded in [\d.]+ (s|min)\b.*\d+ outputs?/);
    assert.ok(record.workflow.file.endsWith('poster.json'));
    assert.ok(record.outputs.length > 0);
    for (const o of record.outputs) assert.ok(existsSync(join(record.dir, o.path)), o.path);
  });

  it('runs a workflow three times at once and writes three runs, each with its own seed', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('editor/variations.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow N Times…');
    await wb.answerInput('3');
    const records = await runRecords(sandbox.workspace, 3, 'succeeded', 'variations.json');
    await wb.screenshot('run-three-times');
    assert.equal(records.length, 3);
  });

  it('retries a failed job as a new attempt from the palette', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('broken/runtime-error.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    await runRecords(sandbox.workspace, 1, 'failed', 'runtime-error.json');
    await wb.notification('failed');
    await wb.screenshot('job-failed');
    await wb.runCommand('ComfyUI Runner: Retry All Failed');
    const failed = await runRecords(sandbox.workspace, 2, 'failed', 'runtime-error.json');
    assert.deepEqual(failed.map((r) => r.attempt).sort(), [1, 2]);
  });

  it('reloads the window mid-run, takes the run back and completes it with its outputs', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('slow/slow.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    await storedJobIn(sandbox.workspace, 'running', 'slow.json');
    await wb.screenshot('reload-before');
    await wb.reload();
    const [record] = await runRecords(sandbox.workspace, 1, 'succeeded', 'slow.json');
    await openRunnerViews(wb);
    await expand(wb, 'finished');
    const row = await rowText(wb, 'slow.json', /slow\.json/);
    await wb.screenshot('reload-after');
    assert.match(row, /slow\.json/);
    assert.equal(record.attempt, 1);
    for (const o of record.outputs) assert.ok(existsSync(join(record.dir, o.path)), o.path);
  });
});

/** Waits for a job of the workflow `of` in the workspace's store to be in `state`. */
async function storedJobIn(workspace: string, state: string, of: string, timeoutMs = 60_000): Promise<void> {
  const store = join(workspace, 'comfy-runs', '.store');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = storedJobsOnDisk(store).some((j) => j.state === state && j.workflow.file.endsWith(of));
    if (found) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no job of ${of} became ${state} in ${store}`);
}
