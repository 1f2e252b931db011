import assert from 'node:assert/strict';
import { parseServerMessage, type ServerMessage } from '../../../src/core/protocol/comfyMessages';
import {
  applyProgressMessage,
  finishedCount,
  initialProgress,
  lastRunning,
  progressFraction,
  type PromptProgress,
} from '../../../src/core/protocol/promptProgress';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { type HttpLine, loadTranscript } from '../../fakes/replayTranscript';

const prompt: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0] } },
  '4': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
};

/** A `progress_state` entry as core sends it. */
const entry = (id: string, state: string, value = 0, max = 1) => ({
  value,
  max,
  state,
  node_id: id,
  prompt_id: 'p',
  display_node_id: id,
  parent_node_id: null,
  real_node_id: id,
});

const apply = (p: PromptProgress, ...messages: ServerMessage[]) =>
  messages.forEach((m) => applyProgressMessage(p, m));

/** One recorded prompt: what was submitted and every message about it, in order, as the client parses them. */
function recordedRun(scenario: string, index = 0): { prompt: ApiPrompt; messages: ServerMessage[] } {
  const lines = loadTranscript(scenario);
  const post = lines.filter(
    (l): l is HttpLine =>
      l.kind === 'http' && l.method === 'POST' && l.path === '/prompt' && l.status === 200,
  )[index]!;
  const promptId = (post.response as { prompt_id: string }).prompt_id;
  const messages: ServerMessage[] = [];
  for (const line of lines) {
    if (line.kind !== 'ws') continue;
    const parsed = parseServerMessage(JSON.stringify(line.msg));
    if (parsed.kind !== 'message') continue;
    if ((parsed.message.data as { prompt_id?: unknown }).prompt_id === promptId)
      messages.push(parsed.message);
  }
  return { prompt: (post.request as { prompt: ApiPrompt }).prompt, messages };
}

/** The progress after each message of a recorded prompt. */
function replay(scenario: string, index = 0): PromptProgress[] {
  const run = recordedRun(scenario, index);
  const p = initialProgress(run.prompt);
  return run.messages.map((m) => (applyProgressMessage(p, m), structuredClone(p)));
}

describe('prompt progress', () => {
  it('starts with every node of the prompt pending', () => {
    assert.deepEqual(initialProgress(prompt), {
      total: 4,
      cached: 0,
      done: 0,
      running: {},
      phase: { '1': 'pending', '2': 'pending', '3': 'pending', '4': 'pending' },
      snapshots: false,
    });
  });

  it('counts cached nodes from execution_cached', () => {
    const p = initialProgress(prompt);
    apply(p, { type: 'execution_cached', data: { nodes: ['1', '2'], prompt_id: 'p' } });
    assert.equal(p.cached, 2);
    assert.equal(progressFraction(p), 0.5);
  });

  it('takes running and finished nodes from a progress_state snapshot', () => {
    const p = initialProgress(prompt);
    apply(p, {
      type: 'progress_state',
      data: {
        prompt_id: 'p',
        nodes: { '1': entry('1', 'finished', 1, 1), '2': entry('2', 'running', 3, 4) },
      },
    });
    assert.deepEqual(p.running, { '2': { value: 3, max: 4 } });
    assert.equal(p.done, 1);
    assert.equal(progressFraction(p), (1 + 0.75) / 4);
  });

  it('records step progress of the reported node', () => {
    const p = initialProgress(prompt);
    apply(p, { type: 'progress', data: { node: '3', value: 5, max: 10 } });
    assert.deepEqual(p.running['3'], { value: 5, max: 10 });
  });

  it('gives step progress that names no node to the node running last', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'executing', data: { node: '2', prompt_id: 'p' } },
      { type: 'progress', data: { value: 2, max: 8 } },
    );
    assert.deepEqual(p.running, { '2': { value: 2, max: 8 } });
  });

  it('marks every uncached node done on execution_success', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'execution_cached', data: { nodes: ['1'], prompt_id: 'p' } },
      { type: 'execution_success', data: { prompt_id: 'p' } },
    );
    assert.equal(p.done, 3);
    assert.equal(progressFraction(p), 1);
  });

  it('ignores messages that say nothing about nodes', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'status', data: { status: { exec_info: { queue_remaining: 1 } } } },
      { type: 'feature_flags', data: { supports_preview_metadata: true } },
      { type: 'execution_start', data: { prompt_id: 'p' } },
    );
    assert.deepEqual(p, initialProgress(prompt));
  });

  it('marks the node before done when the next starts, for servers without progress_state', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'executing', data: { node: '1', prompt_id: 'p' } },
      { type: 'executing', data: { node: '2', prompt_id: 'p' } },
    );
    assert.equal(p.done, 1);
    assert.deepEqual(Object.keys(p.running), ['2']);
  });

  it('keeps nodes running side by side once the server sends progress_state', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'progress_state', data: { prompt_id: 'p', nodes: { '1': entry('1', 'running') } } },
      { type: 'executing', data: { node: '1', prompt_id: 'p' } },
      {
        type: 'progress_state',
        data: { prompt_id: 'p', nodes: { '1': entry('1', 'running'), '4': entry('4', 'running') } },
      },
      { type: 'executing', data: { node: '4', prompt_id: 'p' } },
    );
    assert.equal(p.done, 0);
    assert.deepEqual(Object.keys(p.running), ['1', '4']);
  });

  it('counts a node expanded by the server as the prompt node it stands for', () => {
    const p = initialProgress(prompt);
    const expanded = { ...entry('5.0.0.1', 'running', 1, 2), display_node_id: '2', real_node_id: '2' };
    apply(p, { type: 'progress_state', data: { prompt_id: 'p', nodes: { '5.0.0.1': expanded } } });
    assert.deepEqual(p.running, { '2': { value: 1, max: 2 } });
  });

  it('does not count ids outside the prompt', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'executed', data: { node: '5.0.0.1', output: null, prompt_id: 'p' } },
      { type: 'execution_cached', data: { nodes: ['9'], prompt_id: 'p' } },
    );
    assert.deepEqual(p, initialProgress(prompt));
  });

  it('goes on after an ExecutionBlocked error, which is not the end of the prompt', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'executing', data: { node: '2', prompt_id: 'p' } },
      {
        type: 'execution_error',
        data: {
          prompt_id: 'p',
          node_id: '1',
          node_type: 'EmptyImage',
          exception_type: 'ExecutionBlocked',
          exception_message: 'Execution Blocked: x',
        },
      },
    );
    assert.deepEqual(Object.keys(p.running), ['2']);
  });

  it('clears running nodes when the server is done with the prompt', () => {
    const p = initialProgress(prompt);
    apply(
      p,
      { type: 'executing', data: { node: '2', prompt_id: 'p' } },
      { type: 'executing', data: { node: null, prompt_id: 'p' } },
    );
    assert.deepEqual([p.running, p.phase['2']], [{}, 'pending']);
  });

  describe('over the recordings of ComfyUI 0.8.0', () => {
    it('01: each node runs in turn, then all three are done', () => {
      const seen = replay('01_invert');
      const order = seen.map(lastRunning).filter((n, i, all) => n !== undefined && n !== all[i - 1]);
      assert.deepEqual(order, ['1', '2', '3']);
      assert.deepEqual(seen.at(-1), {
        total: 3,
        cached: 0,
        done: 3,
        running: {},
        phase: { '1': 'done', '2': 'done', '3': 'done' },
        snapshots: true,
      });
    });

    it('09: a cached output node that replays its output is counted once', () => {
      const seen = replay('09_cached_rerun', 1);
      assert.ok(seen.every((p) => finishedCount(p) <= p.total));
      assert.deepEqual([seen.at(-1)!.cached, seen.at(-1)!.done], [3, 0]);
      assert.equal(progressFraction(seen.at(-1)!), 1);
    });

    it('09: nodes served from the cache and the one run again add up to the prompt', () => {
      const last = replay('09_cached_rerun', 2).at(-1)!;
      assert.deepEqual([last.cached, last.done, finishedCount(last)], [2, 1, 3]);
    });

    it('10: a node reports each of its steps', () => {
      const steps = replay('10_websocket_binary')
        .map((p) => p.running['3'])
        .filter((r) => r?.max === 3)
        .map((r) => r!.value);
      assert.deepEqual([...new Set(steps)], [0, 1, 2]);
    });

    it('05: an error leaves the finished nodes done and nothing running', () => {
      const last = replay('05_runtime_error').at(-1)!;
      assert.deepEqual([last.done, last.running, last.phase['2']], [1, {}, 'pending']);
      assert.ok(progressFraction(last) < 1);
    });

    it('04: an interrupt leaves the finished nodes done and nothing running', () => {
      const last = replay('04_interrupt').at(-1)!;
      assert.deepEqual([last.done, last.running, last.phase['4']], [3, {}, 'pending']);
    });
  });
});
