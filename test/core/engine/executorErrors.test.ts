import assert from 'node:assert/strict';
import type { ExecutionData } from '../../../src/core/protocol/executionMessages';
import type { Engine } from '../../../src/core/engine/executor';
import { isRunnerError } from '../../../src/core/util/runnerError';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { apiNode, runCollecting, testEngine, testRecorder } from '../../fakes/testNodes';
import { assertCoreForm } from './coreForm';

/** 1 (source) -> 2 (fails) -> 3 (output). */
function failing(exceptionType: string): ApiPrompt {
  return {
    '1': apiNode('TestSource', { value: 7 }),
    '2': apiNode('TestFail', {
      input: ['1', 0],
      message: 'index 3 is out of bounds',
      exception_type: exceptionType,
    }),
    '3': apiNode('TestCounter', { input: ['2', 0], tag: 'never' }),
  };
}

/** A spin far longer than any test, into an output. */
const endless: ApiPrompt = {
  '1': apiNode('TestSource', { value: 1 }),
  '2': apiNode('TestSpin', { input: ['1', 0], iterations: 1e13 }),
  '3': apiNode('TestCounter', { input: ['2', 0], tag: 'never' }),
};

describe('engine errors and interrupts', () => {
  let engine: Engine;
  beforeEach(() => {
    testRecorder.reset();
    engine = testEngine({ maxConcurrency: 2 });
  });
  afterEach(() => engine.dispose());

  it('execution_error carries ComfyUI fields, with a NodeException’s Python type', async () => {
    const { outcome, events } = await runCollecting(engine, failing('IndexError'));
    const error = events.find((e) => e.type === 'execution_error')!.data as ExecutionData<'execution_error'>;
    assert.equal(outcome.status, 'error');
    assert.deepEqual(outcome.status === 'error' && outcome.error, error);
    assert.deepEqual(
      { ...error, traceback: [], timestamp: 0 },
      {
        prompt_id: 'p1',
        node_id: '2',
        node_type: 'TestFail',
        executed: ['1'],
        exception_message: 'index 3 is out of bounds',
        exception_type: 'IndexError',
        traceback: [],
        current_inputs: { input: [7], message: ['index 3 is out of bounds'], exception_type: ['IndexError'] },
        current_outputs: ['1', '2', '3'],
        timestamp: 0,
      },
    );
    assert.equal(typeof error.timestamp, 'number');
  });

  it('the events of a failed run and of an interrupted one are in the exact form core sends', async () => {
    assertCoreForm((await runCollecting(engine, failing('IndexError'))).events);
    const interrupted = await runCollecting(engine, endless, {
      onEvent: (e) => {
        if (e.type === 'progress' && e.data.node === '2') engine.interrupt();
      },
    });
    assert.equal(interrupted.outcome.status, 'interrupted');
    assertCoreForm(interrupted.events);
  });

  it('execution_error names a plain JS error by its class, in a traceback of no JavaScript frames', async () => {
    const { events } = await runCollecting(engine, failing(''));
    const error = events.find((e) => e.type === 'execution_error')!.data as ExecutionData<'execution_error'>;
    assert.equal(error.exception_type, 'RangeError');
    assert.ok(error.traceback.length > 0);
    assert.ok(
      error.traceback.every((line) => line.endsWith('\n')),
      'lines in ComfyUI’s form',
    );
    assert.ok(error.traceback.some((line) => line.includes('node 2 (TestFail)')));
    assert.doesNotMatch(error.traceback.join(''), /\bat |\.[jt]s:\d/);
  });

  it('writes the JavaScript stack of a node that threw to its log, naming node and prompt', async () => {
    const log: string[] = [];
    const logged = testEngine({ maxConcurrency: 2, log: (entry) => log.push(entry) });
    try {
      await runCollecting(logged, failing(''));
    } finally {
      await logged.dispose();
    }
    assert.equal(log.length, 1);
    assert.match(log[0], /node 2 \(TestFail\) of prompt p1 raised RangeError/);
    assert.match(log[0], /\n\s+at .*testNodes\.ts:\d/);
  });

  it('an error ends with execution_error then executing null, and no execution_success', async () => {
    const { events } = await runCollecting(engine, failing('ValueError'));
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(-2), ['execution_error', 'executing']);
    assert.deepEqual(events.at(-1)!.data, { node: null, prompt_id: 'p1' });
    assert.ok(!types.includes('execution_success'));
  });

  it('an error inside a worker reaches execution_error with its exception type', async () => {
    const prompt: ApiPrompt = {
      '1': apiNode('TestSpin', { iterations: -1 }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'never' }),
    };
    const { outcome } = await runCollecting(engine, prompt);
    assert.ok(outcome.status === 'error');
    assert.equal(outcome.error.exception_type, 'ValueError');
    assert.equal(outcome.error.exception_message, 'iterations must not be negative, got -1');
    assert.deepEqual(outcome.error.current_inputs, { iterations: [-1] });
  });

  it('an interrupt ends the prompt while a long heavy node runs, with execution_interrupted', async () => {
    const { outcome, events } = await runCollecting(engine, endless, {
      onEvent: (e) => {
        if (e.type === 'progress' && e.data.node === '2') engine.interrupt();
      },
    });
    assert.equal(outcome.status, 'interrupted');
    const interrupted = events.find((e) => e.type === 'execution_interrupted')!
      .data as ExecutionData<'execution_interrupted'>;
    assert.deepEqual(
      { ...interrupted, timestamp: 0 },
      { prompt_id: 'p1', node_id: '2', node_type: 'TestSpin', executed: ['1'], timestamp: 0 },
    );
    assert.deepEqual(
      events.slice(-2).map((e) => e.type),
      ['execution_interrupted', 'executing'],
    );
  });

  it('an interrupted worker stops at its next checkpoint and serves the next prompt', async () => {
    const single = testEngine({ maxConcurrency: 1 });
    const quick = (tag: string): ApiPrompt => ({
      '1': apiNode('TestSpin', { iterations: tag.length }),
      '2': apiNode('TestCounter', { input: ['1', 1], tag }),
    });
    const threadOf = (tag: string) => (testRecorder.values.get(tag) as { threadId: number }).threadId;
    try {
      await runCollecting(single, quick('before'));
      await runCollecting(single, endless, {
        promptId: 'p2',
        onEvent: (e) => e.type === 'progress' && single.interrupt('p2'),
      });
      await runCollecting(single, quick('after'), { promptId: 'p3' });
      // A worker that ignored the flag would have been terminated and replaced after its grace period.
      assert.equal(threadOf('after'), threadOf('before'));
    } finally {
      await single.dispose();
    }
  });

  it('interrupt with another prompt id leaves the running prompt alone', async () => {
    const prompt: ApiPrompt = {
      '1': apiNode('TestDelay', { ms: 30 }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'done' }),
    };
    const { outcome } = await runCollecting(engine, prompt, {
      onEvent: (e) => e.type === 'executing' && engine.interrupt('someone-else'),
    });
    assert.equal(outcome.status, 'success');
  });

  it('aborting the signal interrupts the prompt at the running node', async () => {
    const controller = new AbortController();
    const prompt: ApiPrompt = {
      '1': apiNode('TestDelay', { ms: 5000 }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'never' }),
    };
    const { outcome } = await runCollecting(engine, prompt, {
      signal: controller.signal,
      onEvent: (e) => e.type === 'executing' && e.data.node === '1' && controller.abort(),
    });
    assert.ok(outcome.status === 'interrupted');
    assert.equal(outcome.error.node_id, '1');
    assert.equal(testRecorder.counts.get('never'), undefined);
  });

  it('a signal aborted before the run starts ends it interrupted before any node runs', async () => {
    const { outcome } = await runCollecting(engine, failing('ValueError'), { signal: AbortSignal.abort() });
    assert.ok(outcome.status === 'interrupted');
    assert.deepEqual(outcome.error.executed, []);
    assert.deepEqual(testRecorder.runs, []);
  });

  it('a listener that throws does not break the run', async () => {
    const prompt: ApiPrompt = { '1': apiNode('TestCounter', { tag: 'ok' }) };
    const outcome = await engine.execute(prompt, {
      promptId: 'p1',
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(outcome.status, 'success');
  });
  it('with workers off, an interrupt from a progress listener stops a main-thread spin at its next checkpoint', async () => {
    const local = testEngine({ workers: false });
    try {
      const { outcome } = await runCollecting(local, endless, {
        onEvent: (e) => e.type === 'progress' && local.interrupt(),
      });
      assert.ok(outcome.status === 'interrupted');
      assert.equal(outcome.error.node_id, '2');
    } finally {
      await local.dispose();
    }
  });

  it('a disposed engine refuses new prompts', async () => {
    await engine.dispose();
    const rejection = await engine
      .execute(failing('ValueError'), { promptId: 'p1' })
      .catch((e: unknown) => e);
    assert.ok(isRunnerError(rejection, 'internal'));
  });
});
