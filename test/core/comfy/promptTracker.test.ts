import assert from 'node:assert/strict';
import { EventRouter } from '../../../src/core/comfy/eventRouter';
import type { ServerMessage } from '../../../src/core/protocol/comfyMessages';
import { canMove, isTerminal, type PromptState } from '../../../src/core/comfy/promptState';
import { type PromptEnding, PromptTracker } from '../../../src/core/comfy/promptTracker';
import { finishedCount, lastRunning } from '../../../src/core/protocol/promptProgress';
import type { ApiPrompt } from '../../../src/core/workflow/types';

const prompt: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0] } },
};

const msg = (type: string, data: Record<string, unknown>): ServerMessage => ({ type, data }) as ServerMessage;

function accepted(id = 'p'): PromptTracker {
  const t = new PromptTracker(id, prompt);
  t.accepted({});
  return t;
}

const promptStates: PromptState[] = [
  'submitting',
  'queued',
  'running',
  'succeeded',
  'failed',
  'interrupted',
  'lost',
];
const terminalPromptStates: PromptState[] = ['succeeded', 'failed', 'interrupted', 'lost'];

/**
 * The legal moves, written out by hand from the lifecycle src/core/comfy/promptState.ts describes, so that
 * a change to its table fails here. A submitted prompt is accepted into the queue or never heard of again;
 * a queued one runs, ends without running (all cached, or history tells its end), is removed by a cancel,
 * or is lost; a running one ends or is lost.
 */
const promptMoves: Record<PromptState, PromptState[]> = {
  submitting: ['queued', 'lost'],
  queued: ['running', 'succeeded', 'failed', 'interrupted', 'lost'],
  running: ['succeeded', 'failed', 'interrupted', 'lost'],
  succeeded: [],
  failed: [],
  interrupted: [],
  lost: [],
};

describe('prompt states', () => {
  it('lets a queued prompt run, and a running one end', () => {
    assert.equal(canMove('queued', 'running'), true);
    assert.equal(canMove('running', 'succeeded'), true);
  });

  it('allows exactly the moves of the lifecycle and no others', () => {
    for (const from of promptStates) {
      const allowed = promptStates.filter((to) => canMove(from, to));
      assert.deepEqual(allowed, promptMoves[from], from);
    }
  });

  it('never leaves a terminal state', () => {
    for (const s of terminalPromptStates) {
      assert.equal(isTerminal(s), true);
      for (const to of promptStates) assert.equal(canMove(s, to), false, `${s} -> ${to}`);
    }
    for (const s of promptStates.filter((x) => !terminalPromptStates.includes(x)))
      assert.equal(isTerminal(s), false, s);
  });
});

describe('PromptTracker', () => {
  it('buffers events that arrive before the POST reply and applies them after it', () => {
    const t = new PromptTracker('p', prompt);
    t.handle(msg('execution_start', { prompt_id: 'p' }));
    assert.equal(t.state, 'submitting');
    t.accepted({});
    assert.equal(t.state, 'running');
  });

  it('warns about outputs that failed validation on a 200', () => {
    const t = new PromptTracker('p', prompt);
    t.accepted({ '9': { class_type: 'SaveImage', dependent_outputs: ['9'], errors: [] } });
    assert.deepEqual(
      t.warnings.map((w) => w.kind),
      ['node_errors'],
    );
  });

  it('counts cached nodes as done', () => {
    const t = accepted();
    t.handle(msg('execution_cached', { prompt_id: 'p', nodes: ['1', '2'] }));
    assert.equal(t.snapshot().nodes.cached, 2);
    assert.equal(finishedCount(t.snapshot().nodes), 2);
  });

  it('marks the previous node done when the next starts, for servers without progress_state', () => {
    const t = accepted();
    t.handle(msg('executing', { prompt_id: 'p', node: '1' }));
    t.handle(msg('executing', { prompt_id: 'p', node: '2' }));
    assert.equal(t.snapshot().nodes.done, 1);
    assert.deepEqual(Object.keys(t.snapshot().nodes.running), ['2']);
  });

  it('takes step progress for the current node from progress', () => {
    const t = accepted();
    t.handle(msg('executing', { prompt_id: 'p', node: '2' }));
    t.handle(msg('progress', { prompt_id: 'p', node: '2', value: 4, max: 20 }));
    assert.deepEqual(t.snapshot().nodes.running['2'], { value: 4, max: 20 });
  });

  it('does not count ids outside the prompt, such as expanded nodes', () => {
    const t = accepted();
    t.handle(msg('executed', { prompt_id: 'p', node: '5.0.0.1', output: null }));
    assert.equal(finishedCount(t.snapshot().nodes), 0);
  });

  it('treats ExecutionBlocked as a warning and goes on', () => {
    const t = accepted();
    t.handle(
      msg('execution_error', {
        prompt_id: 'p',
        node_id: '2',
        node_type: 'ImageInvert',
        exception_type: 'ExecutionBlocked',
        exception_message: 'Execution Blocked: x',
        traceback: [],
      }),
    );
    t.handle(msg('execution_success', { prompt_id: 'p' }));
    assert.equal(t.state, 'succeeded');
    assert.deepEqual(
      t.warnings.map((w) => w.kind),
      ['execution_blocked'],
    );
  });

  it('settles once, on the first terminal event', () => {
    const t = accepted();
    const endings: PromptEnding[] = [];
    t.settled.on((e) => endings.push(e));
    t.handle(msg('execution_interrupted', { prompt_id: 'p', node_id: '2', node_type: 'X' }));
    t.handle(msg('execution_success', { prompt_id: 'p' }));
    assert.deepEqual(
      endings.map((e) => e.state),
      ['interrupted'],
    );
    assert.equal(t.state, 'interrupted');
  });

  it('announces executing with a null node as finished, even after a terminal event', () => {
    const t = accepted();
    let finished = 0;
    t.finished.on(() => finished++);
    t.handle(msg('execution_success', { prompt_id: 'p' }));
    t.handle(msg('executing', { prompt_id: 'p', node: null }));
    t.handle(msg('executing', { prompt_id: 'p', node: null }));
    assert.equal(finished, 1);
  });
});

describe('EventRouter', () => {
  it('routes by prompt id and keeps prompts apart', () => {
    const router = new EventRouter();
    const [a, b] = [accepted('a'), accepted('b')];
    router.add(a);
    router.add(b);
    router.message(msg('execution_start', { prompt_id: 'b' }));
    assert.deepEqual([a.state, b.state], ['queued', 'running']);
  });

  it('replays events kept for an id the server chose itself once the tracker moves to it', () => {
    const router = new EventRouter();
    const t = new PromptTracker('ours', prompt);
    router.add(t);
    router.message(msg('execution_start', { prompt_id: 'theirs' }));
    router.rekey(t, 'theirs');
    t.accepted({});
    assert.equal(t.promptId, 'theirs');
    assert.equal(t.state, 'running');
  });

  it('gives the node named after a reconnect to the prompt that is running', () => {
    const router = new EventRouter();
    const t = accepted();
    router.add(t);
    router.message(msg('execution_start', { prompt_id: 'p' }));
    router.message(msg('executing', { node: '3' }));
    assert.equal(lastRunning(t.snapshot().nodes), '3');
  });

  it('gives legacy previews to the prompt that is running', () => {
    const router = new EventRouter();
    const [a, b] = [accepted('a'), accepted('b')];
    router.add(a);
    router.add(b);
    const got: string[] = [];
    a.previews.on(() => got.push('a'));
    b.previews.on(() => got.push('b'));
    router.message(msg('execution_start', { prompt_id: 'b' }));
    router.binary({ type: 'preview', eventType: 1, mimeType: 'image/jpeg', image: new Uint8Array() });
    assert.deepEqual(got, ['b']);
  });
});
