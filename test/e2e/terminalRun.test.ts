/**
 * A `comfy-runner run` in a terminal on the workspace's store, while VS Code is open: its job shows in
 * the Jobs tree live, and once the terminal's run has ended and given the store up, the extension takes
 * the store and the job shows as finished.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { expand, openRunnerViews, rowText } from './harness/jobsView';
import { repoRoot, useSession } from './harness/session';

describe('a command-line run on the same store in VS Code', () => {
  const session = useSession({
    // Four wide blurs of a 2048² image, several seconds on the embedded engine: long enough to see it
    // run, where 03_slow.json's scale chain now ends within the moment between two looks at the tree.
    workspace: { 'slow/slow.json': 'test/e2e/fixtures/slowBlurs.json' },
  });
  let cli: ChildProcess | undefined;

  after(() => {
    if (cli && cli.exitCode === null) cli.kill('SIGKILL');
  });

  it('shows the job a terminal runs live in the Jobs tree, then finished once the terminal is done', async function () {
    this.timeout(180_000);
    const { workbench: wb, sandbox } = session();
    await openRunnerViews(wb);
    cli = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'run', 'slow/slow.json'], {
      cwd: sandbox.workspace,
      stdio: 'ignore',
    });
    const exited = once(cli, 'exit');
    const running = await rowText(wb, 'running', /1 running/);
    await expand(wb, 'running');
    const job = await rowText(wb, 'slow.json', /slow\.json/);
    await wb.screenshot('terminal-run-live');
    const [code] = (await exited) as [number | null];
    const finished = await rowText(wb, 'finished', /1 finished/);
    await wb.screenshot('terminal-run-finished');
    assert.match(running, /1 running/);
    assert.match(job, /slow\.json/);
    assert.equal(code, 0);
    assert.match(finished, /1 finished/);
  });
});
