/**
 * The Jobs and Servers trees in a real VS Code: a run shows in the Jobs tree as it ends, a queued job
 * cancelled shows as cancelled, and a `comfy-runner serve` added as a server shows as healthy.
 */
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { useWorkbench } from './harness/session';
import type { Workbench } from './harness/workbench';

/** Shows the Jobs view (and so the extension's container), whether or not it is open already. */
async function openRunnerViews(wb: Workbench): Promise<void> {
  await wb.runCommand('ComfyUI Runner: Focus on Jobs View');
}

/** Expands a group of the Jobs tree (its row reads like "1 finished") unless it is expanded. */
async function expand(wb: Workbench, group: string): Promise<void> {
  const row = await wb.treeRow(group);
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
}

/** The accessible text of the first tree row containing `text`, once it also contains `also`. */
async function rowText(wb: Workbench, text: string, also: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await wb.treeRow(text);
    const label = (await row.getAttribute('aria-label')) ?? (await row.innerText());
    if (also.test(label) || Date.now() > deadline) return label;
    await new Promise((r) => setTimeout(r, 250));
  }
}

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
