import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureLocalServer, localServerSettings, stopLocalServer } from '../../../src/core/run/localServer';
import { answersWithToken, hasPrompts } from '../../../src/core/run/localServerState';
import { startTestServer, type TestServer } from '../../fakes/serveTestServer';
import { apiNode } from '../../fakes/testNodes';
import { serverQueueEmpty } from '../../integration/poolHarness';
import { processExists } from '../../../src/core/store/ownerLock';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { localServerRig } from './localServerKit';

/** Resolves once the process is gone (the server's clean stop takes a moment). */
async function gone(pid: number): Promise<void> {
  while (processExists(pid)) await new Promise((r) => setTimeout(r, 20));
}

describe('the local server a front end starts', function () {
  this.timeout(90_000);
  let rig: ReturnType<typeof localServerRig>;

  beforeEach(() => {
    rig = localServerRig();
  });

  afterEach(() => rig.cleanUp());

  it('starts a server on loopback that asks for its token, and keeps its state readable by its owner only', async () => {
    const server = await ensureLocalServer(rig.options);
    rig.track(server.pid);
    assert.equal(server.started, true);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${server.url}/system_stats`)).status, 401);
    assert.equal(await answersWithToken(server.url, server.token), true);
    const state = JSON.parse(readFileSync(rig.options.stateFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual([state.url, state.pid, state.token], [server.url, server.pid, server.token]);
    assert.equal(statSync(rig.options.stateFile).mode & 0o777, 0o600);
  });

  it('reuses the running server on a second call: the same process and URL', async () => {
    const first = await ensureLocalServer(rig.options);
    rig.track(first.pid);
    const second = await ensureLocalServer(rig.options);
    assert.deepEqual(
      { ...second, started: true },
      { ...first, started: true },
      'the same url, token and pid',
    );
    assert.equal(second.started, false);
  });

  it('shares one start between calls made at the same time', async () => {
    const [a, b] = await Promise.all([ensureLocalServer(rig.options), ensureLocalServer(rig.options)]);
    rig.track(a.pid);
    rig.track(b.pid);
    assert.equal(a.pid, b.pid);
  });

  it('replaces a server that was killed with a new one', async () => {
    const first = await ensureLocalServer(rig.options);
    rig.track(first.pid);
    process.kill(first.pid, 'SIGKILL');
    await gone(first.pid);
    const second = await ensureLocalServer(rig.options);
    rig.track(second.pid);
    assert.equal(second.started, true);
    assert.notEqual(second.pid, first.pid);
    assert.notEqual(second.token, first.token);
    assert.equal(await answersWithToken(second.url, second.token), true);
  });

  it('keeps a token the caller hands in out of the state file and starts anew for another token', async () => {
    const mine = await ensureLocalServer({ ...rig.options, token: 'kept-in-secret-storage' });
    rig.track(mine.pid);
    assert.equal(mine.token, 'kept-in-secret-storage');
    assert.ok(!readFileSync(rig.options.stateFile, 'utf8').includes('kept-in-secret-storage'));
    assert.equal(
      (await ensureLocalServer({ ...rig.options, token: 'kept-in-secret-storage' })).pid,
      mine.pid,
    );
    const other = await ensureLocalServer({ ...rig.options, token: 'another-token' });
    rig.track(other.pid);
    assert.notEqual(other.pid, mine.pid);
  });

  it('replaces an idle server that runs another number of prompts at once with one that runs the number asked', async () => {
    const one = await ensureLocalServer(rig.options);
    rig.track(one.pid);
    const two = await ensureLocalServer({ ...rig.options, parallel: 2 });
    rig.track(two.pid);
    assert.deepEqual([one.parallel, two.parallel, two.started], [1, 2, true]);
    assert.notEqual(two.pid, one.pid);
    await gone(one.pid);
    const again = await ensureLocalServer({ ...rig.options, parallel: 2 });
    assert.deepEqual([again.pid, again.started], [two.pid, false]);
  });

  it('keeps a server that runs another number of prompts at once while it has a prompt', async () => {
    const one = await ensureLocalServer(rig.options);
    rig.track(one.pid);
    const prompt = JSON.parse(
      readFileSync(join(__dirname, '../../e2e/fixtures/slowBlurs.json'), 'utf8'),
    ) as unknown;
    const posted = await fetch(`${one.url}/prompt`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${one.token}` },
      body: JSON.stringify({ prompt }),
    });
    assert.equal(posted.status, 200, await posted.text());
    const again = await ensureLocalServer({ ...rig.options, parallel: 2 });
    assert.deepEqual([again.pid, again.started, again.parallel], [one.pid, false, 1]);
  });

  it('stops the server cleanly and removes the state file', async () => {
    const server = await ensureLocalServer(rig.options);
    rig.track(server.pid);
    assert.equal(await stopLocalServer({ stateFile: rig.options.stateFile }), true);
    await gone(server.pid);
    assert.equal(await answersWithToken(server.url, server.token), false);
    assert.equal(await stopLocalServer({ stateFile: rig.options.stateFile }), false);
    const log = readFileSync(join(rig.root, 'private', 'engine-server.log'), 'utf8');
    assert.match(log, /"type":"stopped"/);
    assert.ok(!log.includes(server.token));
  });

  it('exits by itself once unused for its idle time', async () => {
    const server = await ensureLocalServer({ ...rig.options, idleExitSeconds: 0.5 });
    rig.track(server.pid);
    await gone(server.pid);
    const log = readFileSync(join(rig.root, 'private', 'engine-server.log'), 'utf8');
    assert.match(log, /"reason":"idle"/);
  });

  it('fails with server_unreachable, showing the program’s output, when it exits before listening', async () => {
    await assert.rejects(
      ensureLocalServer({ ...rig.options, cliPath: join(rig.root, 'no-such-cli.js') }),
      (e: unknown) => isRunnerError(e, 'server_unreachable') && /no-such-cli/.test(e.message),
    );
  });

  it('describes itself to a pool as a server with the token as bearer credentials', () => {
    assert.deepEqual(localServerSettings({ url: 'http://127.0.0.1:5', token: 't' }, { slots: 2 }), {
      url: 'http://127.0.0.1:5',
      slots: 2,
      credentials: { bearerToken: 't' },
    });
  });

  describe('whether a server holds prompts', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(() => server.close());

    it('says so while a prompt runs there, and not once it has finished', async () => {
      const prompt = {
        '1': apiNode('TestDelay', { ms: 500 }),
        '2': apiNode('TestCounter', { input: ['1', 0], tag: 'held' }),
      };
      const post = await fetch(`${server.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt }) });
      assert.equal(post.status, 200);
      assert.equal(await hasPrompts(server.url, 'any'), true);
      await serverQueueEmpty(server.url, 10_000);
      assert.equal(await hasPrompts(server.url, 'any'), false);
    });

    it('counts a server that does not answer as holding prompts, so it is never replaced', async () => {
      assert.equal(await hasPrompts('http://127.0.0.1:9', 'any', 500), true);
    });
  });
});
