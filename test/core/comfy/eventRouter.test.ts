import assert from 'node:assert/strict';
import { EventRouter } from '../../../src/core/comfy/eventRouter';
import { PromptTracker } from '../../../src/core/comfy/promptTracker';
import { parseServerMessage, type ServerMessage } from '../../../src/core/protocol/comfyMessages';

/** A message parsed as the socket parses it. */
function message(type: string, data: Record<string, unknown>): ServerMessage {
  const parsed = parseServerMessage(JSON.stringify({ type, data }));
  assert.equal(parsed.kind, 'message');
  return (parsed as { message: ServerMessage }).message;
}

const prompt = { '1': { class_type: 'SaveImage', inputs: {} } };

describe('the event router', () => {
  describe('watch', () => {
    it('tells a watcher every message about its prompt id, after the prompt’s tracker, and no other', () => {
      const router = new EventRouter();
      const tracker = new PromptTracker('p1', prompt);
      tracker.accepted({});
      router.add(tracker);
      const seen: string[] = [];
      tracker.progress.on((p) => seen.push(`tracker ${p.state}`));
      router.watch('p1', (m) => seen.push(`watcher ${m.type}`));
      router.message(message('execution_start', { prompt_id: 'p1' }));
      router.message(message('execution_start', { prompt_id: 'p2' }));
      router.message(message('status', { status: { exec_info: { queue_remaining: 1 } } }));
      router.message(message('executing', { node: '1', prompt_id: 'p1' }));
      assert.deepEqual(seen, [
        'tracker running',
        'watcher execution_start',
        'tracker running',
        'watcher executing',
      ]);
    });

    it('tells a watcher about a prompt nobody tracks yet, as a watch from before its submission needs', () => {
      const router = new EventRouter();
      const seen: ServerMessage[] = [];
      router.watch('p1', (m) => seen.push(m));
      router.message(message('execution_start', { prompt_id: 'p1' }));
      assert.deepEqual(seen, [{ type: 'execution_start', data: { prompt_id: 'p1' } }]);
    });

    it('moves a watcher to the id an old server chose and replays what arrived for that id', () => {
      const router = new EventRouter();
      const tracker = new PromptTracker('ours', prompt);
      router.add(tracker);
      const seen: string[] = [];
      const watch = router.watch('ours', (m) =>
        seen.push(`${m.type} ${(m.data as { prompt_id: string }).prompt_id}`),
      );
      router.message(message('execution_start', { prompt_id: 'theirs' }));
      tracker.accepted({});
      router.rekey(tracker, 'theirs');
      router.message(message('execution_success', { prompt_id: 'theirs' }));
      assert.deepEqual(seen, ['execution_start theirs', 'execution_success theirs']);
      assert.equal(tracker.state, 'succeeded');
      watch.dispose();
      router.message(message('executing', { node: null, prompt_id: 'theirs' }));
      assert.equal(seen.length, 2);
    });

    it('stops telling a watcher once it is disposed', () => {
      const router = new EventRouter();
      const seen: ServerMessage[] = [];
      router.watch('p1', (m) => seen.push(m)).dispose();
      router.message(message('execution_start', { prompt_id: 'p1' }));
      assert.deepEqual(seen, []);
    });

    it('keeps telling the other watchers and logs when one throws', () => {
      const logged: string[] = [];
      const router = new EventRouter((level, text) => logged.push(`${level}: ${text}`));
      const seen: ServerMessage[] = [];
      router.watch('p1', () => {
        throw new Error('a bug in a view');
      });
      router.watch('p1', (m) => seen.push(m));
      router.message(message('execution_start', { prompt_id: 'p1' }));
      assert.equal(seen.length, 1);
      assert.deepEqual(logged, ['error: A prompt message watcher threw']);
    });
  });
});
