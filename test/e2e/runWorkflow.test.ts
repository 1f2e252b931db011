/**
 * Running workflows in a real VS Code with no server configured: the embedded engine runs them, in a
 * process of its own, and their outputs land in the workspace's comfy-runs/ folder.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSession } from './harness/session';

interface RunRecord {
  state: string;
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
  timeoutMs = 60_000,
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
    const done = records.filter((r) => r.state === state);
    if (done.length >= count) return done;
    if (Date.now() > deadline)
      throw new Error(
        `expected ${count} run(s) ${state} in ${root}, found ${JSON.stringify(records.map((r) => r.state))}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('running workflows in VS Code', () => {
  const session = useSession({ workspace: { '.': 'examples' } });

  it('runs the open workflow from the palette with no server configured and writes its outputs under comfy-runs/', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('api/poster.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    const [record] = await runRecords(sandbox.workspace, 1, 'succeeded');
    await wb.screenshot('run-workflow-succeeded');
    assert.ok(record.workflow.file.endsWith('poster.json'));
    assert.ok(record.outputs.length > 0);
    for (const o of record.outputs) assert.ok(existsSync(join(record.dir, o.path)), o.path);
  });
});
