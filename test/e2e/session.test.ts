/**
 * The harness itself: what an untrusted session looks like, and that closing a session leaves nothing
 * running and nothing on disk.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openSession, type Session } from './harness/session';
import { sandboxProcesses } from './harness/sandbox';

/** Where code-server and Chromium keep state when nobody points them elsewhere. */
const homeState = [
  '.config/code-server',
  '.local/share/code-server',
  '.config/chromium',
  '.cache/chromium',
].map((p) => join(homedir(), p));

describe('an end-to-end session', () => {
  let session: Session | undefined;
  const homeBefore = homeState.filter((p) => existsSync(p));

  before(async function () {
    this.timeout(90_000);
    session = await openSession({
      trusted: false,
      workspace: { 'api/poster.json': 'examples/api/poster.json' },
    });
  });

  // Closing twice is harmless: the last test closes the session itself.
  after(async function () {
    this.timeout(30_000);
    await session?.close();
  });

  it('opens an untrusted workspace in Restricted Mode', async () => {
    const wb = session!.workbench;
    const status = wb.page.locator('[id="status.workspaceTrust"]');
    await wb.screenshot('untrusted-restricted-mode');
    assert.match((await status.textContent()) ?? '', /Restricted Mode/);
  });

  it('leaves no process, sandbox or home-folder state behind when it closes', async function () {
    this.timeout(30_000);
    const { sandbox } = session!;
    await session!.close();
    assert.deepEqual(sandboxProcesses(sandbox), []);
    assert.equal(existsSync(sandbox.root), false);
    assert.deepEqual(
      homeState.filter((p) => existsSync(p)),
      homeBefore,
    );
  });
});
