/**
 * The Jobs and Servers trees in a real VS Code: a run shows in the Jobs tree as it ends, a queued job
 * cancelled shows as cancelled, and a `comfy-runner serve` added as a server shows as healthy.
 */
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { expand, openRunnerViews, rowText } from './harness/jobsView';
import { useWorkbench } from './harness/session';

describe('the Jobs and Servers trees in VS Code', () => {
  const workbench = useWorkbench({ workspace: { '.': 'examples' } });
  let server: TestServer | undefined;

  after(async () => {
    await server?.close();
  });

  it('shows a finished run of the open workflow in the Jobs tree', async () => {
    const wb = workbench();
    await wb.openFile('api/poster.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    await openRunnerViews(wb);
    const group = await rowText(wb, 'finished', /1 finished/);
    await expand(wb, 'finished');
    const job = await rowText(wb, 'poster.json', /poster\.json/);
    await wb.screenshot('jobs-tree-finished');
    assert.match(group, /1 finished/);
    assert.match(job, /poster\.json/);
  });

  it('cancels a queued job and shows it among the finished ones', async () => {
    const wb = workbench();
    await wb.runCommand('ComfyUI Runner: Pause Queue');
    await wb.openFile('api/masks.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    await openRunnerViews(wb);
    await rowText(wb, 'queued', /1 queued/);
    await wb.screenshot('jobs-tree-queued');
    await wb.runCommand('ComfyUI Runner: Cancel All Queued Jobs');
    const finished = await rowText(wb, 'finished', /2 finished/);
    await wb.runCommand('ComfyUI Runner: Resume Queue');
    await wb.screenshot('jobs-tree-cancelled');
    assert.match(finished, /2 finished/);
  });

  it('shows a comfy-runner serve instance added as a server as healthy in the Servers tree', async () => {
    const wb = workbench();
    server = await startTestServer();
    const host = new URL(server.url).host;
    await wb.runCommand('ComfyUI Runner: Add Server…');
    await wb.answerInput(server.url);
    await openRunnerViews(wb);
    const row = await rowText(wb, host, /\bok\b/);
    await wb.screenshot('servers-tree-healthy');
    assert.match(row, /\bok\b/);
  });
});
