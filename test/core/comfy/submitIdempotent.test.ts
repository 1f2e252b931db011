import assert from 'node:assert/strict';
import type { PromptLookup } from '../../../src/core/comfy/lookup';
import type { PromptRun } from '../../../src/core/comfy/promptRun';
import { type PromptCalls, resumePrompt, submitIdempotent } from '../../../src/core/comfy/submitIdempotent';
import { RunnerError } from '../../../src/core/util/runnerError';

const prompt = { '1': { class_type: 'SaveImage', inputs: {} } };
const hangUp = () => new RunnerError('server_unreachable', 'socket hang up', {}, { code: 'ECONNRESET' });
const down = () => new RunnerError('server_unreachable', 'refused', {}, { code: 'ECONNREFUSED' });

/** Calls that record what was asked and answer as told; a lookup answer may be an error to throw. */
function fakeCalls(submit: () => Promise<void>, answers: (PromptLookup | RunnerError)[]) {
  const asked: string[] = [];
  const runOf = (promptId: string, how: string) => ({ promptId, how }) as unknown as PromptRun;
  const calls: PromptCalls = {
    submit: async (_p, options) => {
      asked.push(`submit ${options.promptId}`);
      await submit();
      return runOf(options.promptId!, 'submitted');
    },
    follow: async (promptId, _p, options) => {
      asked.push(`follow ${promptId} into ${options.outputDir}`);
      return runOf(promptId, 'followed');
    },
    lookup: async (promptId) => {
      asked.push(`lookup ${promptId}`);
      const answer = answers.shift() ?? { kind: 'unknown' };
      if (answer instanceof RunnerError) throw answer;
      return answer;
    },
  };
  return { calls, asked };
}

const how = (run: PromptRun) => (run as unknown as { how: string }).how;

describe('idempotent submission', function () {
  // A server that cannot be asked is asked three times, half a second apart.
  this.timeout(5_000);

  describe('submitIdempotent', () => {
    it('submits once under the chosen id and counts the prompt as confirmed', async () => {
      const { calls, asked } = fakeCalls(async () => undefined, []);
      const opened = await submitIdempotent(calls, prompt, { promptId: 'p1', outputDir: '/out' });
      assert.deepEqual([how(opened.run), opened.confirmed], ['submitted', true]);
      assert.deepEqual(asked, ['submit p1']);
    });

    it('follows the prompt when the reply was lost and the server has it', async () => {
      const { calls, asked } = fakeCalls(() => Promise.reject(hangUp()), [{ kind: 'pending' }]);
      const opened = await submitIdempotent(calls, prompt, { promptId: 'p1', outputDir: '/out' });
      assert.deepEqual([how(opened.run), opened.confirmed], ['followed', true]);
      assert.deepEqual(asked, ['submit p1', 'lookup p1', 'follow p1 into /out']);
    });

    it('rethrows the failure as never submitted when the server does not have the prompt', async () => {
      const failure = hangUp();
      const { calls, asked } = fakeCalls(() => Promise.reject(failure), [{ kind: 'unknown' }]);
      await assert.rejects(submitIdempotent(calls, prompt, { promptId: 'p1' }), (e) => e === failure);
      assert.deepEqual(asked, ['submit p1', 'lookup p1']);
    });

    it('follows the prompt unconfirmed when the server cannot be asked about it', async () => {
      const { calls, asked } = fakeCalls(() => Promise.reject(hangUp()), [down(), down(), down()]);
      const opened = await submitIdempotent(calls, prompt, { promptId: 'p1' });
      assert.deepEqual([how(opened.run), opened.confirmed], ['followed', false]);
      assert.deepEqual(asked, [
        'submit p1',
        'lookup p1',
        'lookup p1',
        'lookup p1',
        'follow p1 into undefined',
      ]);
    });

    it('throws a failure that cannot have reached the server without asking about the prompt', async () => {
      const rejected = new RunnerError('prompt_rejected', 'bad prompt');
      const { calls, asked } = fakeCalls(() => Promise.reject(rejected), []);
      await assert.rejects(submitIdempotent(calls, prompt, { promptId: 'p1' }), (e) => e === rejected);
      assert.deepEqual(asked, ['submit p1']);
    });
  });

  describe('resumePrompt', () => {
    it('follows a prompt the server has, confirmed', async () => {
      const { calls, asked } = fakeCalls(async () => undefined, [{ kind: 'running' }]);
      const resumed = await resumePrompt(calls, 'p1', prompt, { outputDir: '/out' });
      assert.equal(resumed.kind, 'following');
      assert.equal(resumed.kind === 'following' && resumed.confirmed, true);
      assert.deepEqual(asked, ['lookup p1', 'follow p1 into /out']);
    });

    it('follows nothing and says unknown when the server does not have the prompt', async () => {
      const { calls, asked } = fakeCalls(async () => undefined, [{ kind: 'unknown' }]);
      assert.deepEqual(await resumePrompt(calls, 'p1', prompt, {}), { kind: 'unknown' });
      assert.deepEqual(asked, ['lookup p1']);
    });

    it('follows a prompt unconfirmed when the server cannot be asked now', async () => {
      const { calls } = fakeCalls(async () => undefined, [down(), down(), down()]);
      const resumed = await resumePrompt(calls, 'p1', prompt, {});
      assert.equal(resumed.kind === 'following' && resumed.confirmed, false);
    });
  });
});
