/**
 * A run split by branch in a real VS Code: with two engine slots (comfyuiRunner.engine.slots), Run Split
 * Across Servers runs masks.json's two independent branches as two parts on the embedded engine, the
 * Jobs tree shows one run with its parts as children, each with its server, the runs panel one run, and
 * the run folder holds every output and one run.json that lists the parts.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expand, openRunnerViews, rowText } from './harness/jobsView';
import { runsPanel, waitForCount } from './harness/runsPanel';
import { useSession } from './harness/session';

interface SplitRecord {
  state: string;
  outputs: { path: string }[];
  parts: { index: number; server: string; state: string }[];
}

describe('a run split by branch in VS Code', function () {
  this.timeout(120_000);
  const session = useSession({
    workspace: { '.': 'examples' },
    settings: { 'comfyuiRunner.engine.slots': 2, 'comfyuiRunner.outputs.openPanelOnRun': true },
  });

  it('runs each branch as a part on the engine and shows one run with its parts in the tree and the panel', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('api/masks.json');
    await wb.runCommand('ComfyUI Runner: Run Split Across Servers');
    await openRunnerViews(wb);
    await rowText(wb, 'finished', /1 finished/);
    await expand(wb, 'finished');
    await expand(wb, 'masks.json');
    const parts = [
      await rowText(wb, 'part 1 of 2', /embedded/),
      await rowText(wb, 'part 2 of 2', /embedded/),
    ];
    const panel = runsPanel(wb);
    await waitForCount(panel.locator('.run-row .run-state.state-succeeded'), 1, 'succeeded runs');
    const rows = await panel.locator('.run-row').count();
    await wb.screenshot('split-run');
    assert.match(parts[0], /Save ring/);
    assert.match(parts[1], /Save composite/);
    assert.equal(rows, 1, 'the panel shows the split run as one run');
    const root = join(sandbox.workspace, 'comfy-runs');
    const folders = readdirSync(root).filter((d) => existsSync(join(root, d, 'run.json')));
    assert.equal(folders.length, 1, `one run folder with a run.json: ${folders.join(', ')}`);
    const [folder] = folders;
    const record = JSON.parse(readFileSync(join(root, folder, 'run.json'), 'utf8')) as SplitRecord;
    assert.equal(record.state, 'succeeded');
    assert.deepEqual(
      record.parts.map((p) => [p.index, p.server, p.state]),
      [
        [1, 'embedded', 'succeeded'],
        [2, 'embedded', 'succeeded'],
      ],
    );
    // Both branches' SaveImage and the second's PreviewImage.
    assert.equal(record.outputs.length, 3, JSON.stringify(record.outputs));
    for (const o of record.outputs) assert.ok(existsSync(join(root, folder, o.path)), o.path);
  });
});
