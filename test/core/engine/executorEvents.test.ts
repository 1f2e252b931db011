import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EngineEvent } from '../../../src/core/engine/engineEvents';
import type { Engine } from '../../../src/core/engine/executor';
import { isRunnerError } from '../../../src/core/util/runnerError';
import type { ApiPrompt, ValidationResult } from '../../../src/core/workflow/types';
import { apiNode, runCollecting, testEngine, testNodes, testRecorder } from '../../fakes/testNodes';
import { transcriptsDir } from '../../fakes/fixturePaths';
import { assertCoreForm } from './coreForm';

const transcripts = transcriptsDir;

interface Recorded {
  type: string;
  data: Record<string, unknown>;
}

/** The executor's messages of one prompt in a ComfyUI 0.8.0 recording (`status` left out: the queue sends it). */
function recordedMessages(file: string, promptIndex = 0): Recorded[] {
  const lines = readFileSync(resolve(transcripts, file), 'utf8').trim().split('\n');
  const messages = lines
    .map((l) => JSON.parse(l) as { kind: string; msg?: Recorded })
    .filter((l) => l.kind === 'ws' && l.msg && !['status', 'feature_flags'].includes(l.msg.type))
    .map((l) => l.msg!);
  const ids = [...new Set(messages.map((m) => m.data.prompt_id))];
  return messages.filter((m) => m.data.prompt_id === ids[promptIndex]);
}

/** Events as `type` or `type:node` for executing/executed, to compare sequences. */
function sequence(events: readonly (EngineEvent | Recorded)[]): string[] {
  return events.map((e) => {
    const data = e.data as { node?: unknown };
    return e.type === 'executing' || e.type === 'executed' ? `${e.type}:${String(data.node)}` : e.type;
  });
}

/** Three nodes in a line, like 01_invert's EmptyImage -> ImageInvert -> SaveImage. */
const line: ApiPrompt = {
  '1': apiNode('TestSource', { value: 1 }),
  '2': apiNode('TestAdd', { input: ['1', 0], add: 1 }),
  '3': apiNode('TestCounter', { input: ['2', 0], tag: 'line' }),
};

describe('engine events', () => {
  let engine: Engine;
  beforeEach(() => {
    testRecorder.reset();
    engine = testEngine({ maxConcurrency: 1 });
  });
  afterEach(() => engine.dispose());

  it('a successful run emits the same sequence as ComfyUI 0.8.0 did for 01_invert', async () => {
    const { events } = await runCollecting(engine, line);
    assert.deepEqual(sequence(events), sequence(recordedMessages('01_invert.jsonl')));
  });

  it('every event has the same payload fields as the ComfyUI recording', async () => {
    const { events } = await runCollecting(engine, line);
    const recorded = recordedMessages('01_invert.jsonl');
    for (const [i, ours] of events.entries()) {
      assert.deepEqual(
        Object.keys(ours.data).sort(),
        Object.keys(recorded[i].data).sort(),
        `event ${i} ${ours.type}`,
      );
    }
  });

  it('every event of a run, a cached re-run and a node with steps is in the exact form core sends', async () => {
    const spinning: ApiPrompt = {
      '1': apiNode('TestSpin', { iterations: 300_000 }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'spin' }),
    };
    const runs = [line, line, spinning];
    for (const [i, prompt] of runs.entries()) {
      const { events } = await runCollecting(engine, prompt, { promptId: `p${i}` });
      assertCoreForm(events);
    }
  });

  it('progress_state entries have every field ComfyUI sends, with their values', async () => {
    const { events } = await runCollecting(engine, line, { promptId: 'abc' });
    const last = events.filter((e) => e.type === 'progress_state').at(-1)!;
    assert.deepEqual(last.data, {
      prompt_id: 'abc',
      nodes: Object.fromEntries(
        ['1', '2', '3'].map((id) => [
          id,
          {
            value: 1,
            max: 1,
            state: 'finished',
            node_id: id,
            prompt_id: 'abc',
            display_node_id: id,
            parent_node_id: null,
            real_node_id: id,
          },
        ]),
      ),
    });
  });

  it('an unchanged re-run emits the same sequence as ComfyUI 0.8.0 did for 09_cached_rerun', async () => {
    await runCollecting(engine, line);
    const { events } = await runCollecting(engine, line, { promptId: 'p2' });
    assert.deepEqual(sequence(events), sequence(recordedMessages('09_cached_rerun.jsonl', 1)));
  });

  it('a re-run with only the output node changed emits the sequence of 09_cached_rerun’s third prompt', async () => {
    await runCollecting(engine, line);
    const changed = { ...line, '3': apiNode('TestCounter', { input: ['2', 0], tag: 'again' }) };
    const { events } = await runCollecting(engine, changed, { promptId: 'p3' });
    assert.deepEqual(sequence(events), sequence(recordedMessages('09_cached_rerun.jsonl', 2)));
    const cached = events.find((e) => e.type === 'execution_cached');
    assert.deepEqual(cached?.type === 'execution_cached' && cached.data.nodes, ['1', '2']);
  });

  it('a node reporting steps emits progress_state then progress, ending at the maximum', async () => {
    const spinning: ApiPrompt = {
      '1': apiNode('TestSpin', { iterations: 300_000 }),
      '2': apiNode('TestCounter', { input: ['1', 0], tag: 'spin' }),
    };
    const { events } = await runCollecting(engine, spinning);
    const i = events.findIndex((e) => e.type === 'progress' && e.data.value === 300_000);
    assert.ok(i > 0);
    assert.equal(events[i - 1].type, 'progress_state');
    assert.deepEqual(events[i].data, { value: 300_000, max: 300_000, prompt_id: 'p1', node: '1' });
  });

  it('the outcome lists the UI output of every output node', async () => {
    const { outcome } = await runCollecting(engine, line);
    assert.deepEqual(outcome, {
      status: 'success',
      promptId: 'p1',
      outputs: { '3': { files: [{ filename: 'line_00001_.txt', subfolder: '', type: 'output' }] } },
    });
  });

  it('nodes no output needs do not run', async () => {
    const prompt = { ...line, '9': apiNode('TestSource', { value: 9 }) };
    await runCollecting(engine, prompt);
    assert.deepEqual([...testRecorder.runs].sort(), ['1', '2', '3']);
  });

  it('partial targets run only the targeted outputs and their ancestors', async () => {
    const prompt = { ...line, '4': apiNode('TestCounter', { input: ['1', 0], tag: 'other' }) };
    await runCollecting(engine, prompt, { partialTargets: ['4'] });
    assert.deepEqual([...testRecorder.runs].sort(), ['1', '4']);
  });

  it('an invalid prompt is rejected with its validation result and emits nothing', async () => {
    const events: EngineEvent[] = [];
    const bad = { '1': apiNode('TestCounter', { tag: 'x', input: ['7', 0] }) };
    const rejection = await engine.execute(bad, { promptId: 'p1', onEvent: (e) => events.push(e) }).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(isRunnerError(rejection, 'prompt_rejected'));
    const result = rejection.details as ValidationResult;
    assert.equal(result.ok, false);
    assert.equal(result.error?.type, 'prompt_outputs_failed_validation');
    assert.deepEqual(events, []);
  });

  it('a prompt without output nodes is rejected as prompt_no_outputs', async () => {
    const rejection = await engine
      .execute({ '1': apiNode('TestSource', { value: 1 }) }, { promptId: 'p1' })
      .catch((e: unknown) => e);
    assert.ok(isRunnerError(rejection, 'prompt_rejected'));
    assert.equal((rejection.details as ValidationResult).error?.type, 'prompt_no_outputs');
  });

  it('constants reach nodes as the validator coerced them', async () => {
    await runCollecting(engine, { ...line, '1': apiNode('TestSource', { value: '41' }) });
    assert.equal(testRecorder.values.get('line'), 42);
  });

  it('definitions lists every registered class', async () => {
    const defs = await engine.definitions();
    assert.deepEqual(Object.keys(defs).sort(), testNodes.map((n) => n.classType).sort());
    assert.ok(defs.TestSpin && defs.TestCounter.output_node);
  });
});
