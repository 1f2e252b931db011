import assert from 'node:assert/strict';
import { join } from 'node:path';
import { downloadLimitsFromFlags } from '../../src/cli/downloadFlags';
import { isRunnerError } from '../../src/core/util/runnerError';
import { startFaultProxy, type FaultProxy } from '../fakes/faultProxy';
import { workflowsDir } from '../fakes/fixturePaths';
import { flood } from '../fakes/hostileServer';
import { startTestServer, type TestServer } from '../fakes/serveTestServer';
import { tempDir } from '../fakes/tempDirs';
import { runCli } from './cliHarness';

describe('the download flags of run and jobs resume', function () {
  this.timeout(30_000);

  it('turns seconds into milliseconds and MiB into bytes', () => {
    const limits = downloadLimitsFromFlags({
      'download-stall-timeout': '1.5',
      'download-deadline': '600',
      'max-output-mb': '512',
    });
    assert.deepEqual(limits, { stallTimeoutMs: 1500, deadlineMs: 600_000, maxBytes: 512 * 1024 * 1024 });
  });

  it('sets only the limits given, so the others keep their defaults', () => {
    assert.deepEqual(downloadLimitsFromFlags({ 'max-output-mb': '1' }), { maxBytes: 1024 * 1024 });
  });

  it('refuses a limit that is not a number above 0 as bad input', () => {
    for (const text of ['0', '-1', 'soon']) {
      assert.throws(
        () => downloadLimitsFromFlags({ 'download-deadline': text }),
        (e: unknown) => isRunnerError(e, 'bad_input'),
        text,
      );
    }
  });

  describe('on a server whose outputs are too large', () => {
    let server: TestServer | undefined;
    let proxy: FaultProxy | undefined;
    afterEach(async () => {
      await proxy?.close();
      await server?.close();
      server = proxy = undefined;
    });

    it('run --max-output-mb fails the job with too_large and exits 1', async () => {
      server = await startTestServer();
      proxy = await startFaultProxy(server.url);
      proxy.answer('/view', (_req, res) => flood(res, 2));
      const out = tempDir('run-downloads-');
      const workflow = join(workflowsDir, '01_invert.json');
      const args = ['run', workflow, '--server', proxy.url, '--max-output-mb', '1', '--out', out, '--json'];
      const run = await runCli(args);
      assert.equal(run.code, 1, run.err.join('\n'));
      const summary = JSON.parse(run.out.at(-1)!) as { jobs: { error: { reason: string } | null }[] };
      assert.equal(summary.jobs[0]?.error?.reason, 'too_large');
    });
  });
});
