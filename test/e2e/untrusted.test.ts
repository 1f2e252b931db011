/**
 * A workspace the user has not trusted: workflows are still validated, but nothing runs and nothing
 * connects.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useSession } from './harness/session';

describe('an untrusted workspace in VS Code', () => {
  const session = useSession({ workspace: { '.': 'examples' }, trusted: false });

  it('runs nothing when asked to run a workflow, and says why', async () => {
    const { workbench: wb, sandbox } = session();
    await wb.openFile('api/poster.json');
    await wb.runCommand('ComfyUI Runner: Run Workflow');
    const message = await wb.notification('untrusted');
    await wb.screenshot('untrusted-runs-nothing');
    assert.match(message, /runs nothing in an untrusted workspace/);
    assert.equal(existsSync(join(sandbox.workspace, 'comfy-runs')), false);
  });
});
