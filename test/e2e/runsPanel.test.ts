/**
 * The runs panel in a real VS Code: it opens on run (the setting), shows a run's nodes as they run and
 * its outputs, keeps concurrent runs apart, compares two runs, and comes back after a window reload.
 */
import assert from 'node:assert/strict';
import { runsPanel, waitForCount } from './harness/runsPanel';
import { useSession } from './harness/session';

describe('the runs panel in VS Code', function () {
  this.timeout(120_000);
  const session = useSession({
    workspace: {
      '.': 'examples',
      'slow/slow.json': 'test/e2e/fixtures/slowBlurs.json',
    },
    settings: { 'comfyuiRunner.outputs.openPanelOnRun': true },
  });

  it('opens on run and shows the run’s nodes while it runs, then its outputs', async () => {
    const { workbench: wb } = session();
    await wb.openFile('slow/slow.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    const panel = runsPanel(wb);
    await waitForCount(panel.locator('.run-row .run-state.state-running'), 1, 'running runs');
    await waitForCount(
      panel.locator('.focused .node .node-state.state-done'),
      1,
      'nodes done while the run runs',
      { atLeast: true },
    );
    const stillRunning = await panel.locator('.run-row .run-state.state-running').count();
    await wb.screenshot('runs-panel-running');
    await waitForCount(panel.locator('.focused .outputs .output'), 1, 'outputs', { atLeast: true });
    await wb.screenshot('runs-panel-succeeded');
    assert.equal(stillRunning, 1, 'nodes were shown done while the run was still running');
    assert.match(await panel.locator('.run-row .run-state').innerText(), /succeeded/);
  });

  it('shows three runs queued at once as three runs, each labelled with its own seed (the workflow’s Offset node)', async () => {
    const { workbench: wb } = session();
    await wb.runCommand('View: Close All Editors');
    await wb.openFile('editor/variations.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow N Times…');
    await wb.answerInput('3');
    const panel = runsPanel(wb);
    await waitForCount(panel.locator('.run-row .run-state.state-succeeded'), 3, 'succeeded runs');
    const labels = await panel.locator('.run-row .run-label').allInnerTexts();
    await wb.screenshot('runs-panel-three-runs');
    assert.equal(labels.length, 3);
    assert.ok(
      labels.every((l) => /Offset=\d+/.test(l)),
      labels.join(' | '),
    );
    assert.equal(new Set(labels).size, 3, labels.join(' | '));
  });

  it('compares two runs and lists their seed (Offset) as the input that differs', async () => {
    const { workbench: wb } = session();
    const panel = runsPanel(wb);
    await panel.locator('.run-row[data-number="1"] .run-select').check();
    await panel.locator('.run-row[data-number="2"] .run-select').check();
    await panel.locator('.tab[data-view="compare"]').click();
    await waitForCount(panel.locator('.inputs-table'), 1, 'tables of differing inputs');
    await waitForCount(panel.locator('.pane-image'), 2, 'compared images', { atLeast: true });
    await wb.screenshot('runs-panel-compare');
    const seed = panel.locator('.inputs-table tr', { hasText: 'Offset' }).first();
    const values = await seed.locator('td').allInnerTexts();
    assert.equal(values.length, 2, await panel.locator('.inputs-table').innerText());
    assert.notEqual(values[0], values[1]);
  });

  it('comes back after a window reload with its runs and the comparison it showed', async () => {
    const { workbench: wb } = session();
    await wb.reload();
    const panel = runsPanel(wb);
    const [table] = await waitForCount(panel.locator('.inputs-table'), 1, 'tables of differing inputs');
    await wb.screenshot('runs-panel-after-reload');
    assert.match(table, /Offset/);
    await panel.locator('.tab[data-view="runs"]').click();
    await waitForCount(panel.locator('.run-row'), 3, 'runs after the reload');
  });
});
