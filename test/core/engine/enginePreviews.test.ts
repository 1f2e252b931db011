/**
 * Previews through the engine: SaveImageWebsocket (workflow 10) on a worker and on the main thread, and
 * the pairing of NodeContext.preview with progress steps.
 */
import assert from 'node:assert/strict';
import { decode, encode } from 'fast-png';
import type { EngineEvent, PreviewEventData } from '../../../src/core/engine/engineEvents';
import { createEngine, type Engine, type EngineOptions } from '../../../src/core/engine/executor';
import { createRegistry } from '../../../src/core/engine/registry';
import type { NodeImpl } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { loadTranscript, loadWorkflow } from '../../fakes/replayTranscript';
import { testDirs } from '../../fakes/testDirs';
import { apiNode, runCollecting, testNodes } from '../../fakes/testNodes';

/** Event types as a sequence, with the end of the prompt apart as `executing:null`. */
function sequence(events: readonly { type: string; data?: unknown }[]): string[] {
  return events.map((e) =>
    e.type === 'executing' && (e.data as { node?: unknown }).node === null ? 'executing:null' : e.type,
  );
}

/** What the executor sent for workflow 10 in ComfyUI 0.8.0, a type-4 frame standing for `preview`. */
function recordedSequence(): string[] {
  const lines = loadTranscript('10_websocket_binary').flatMap((l) => {
    if (l.kind === 'ws_binary') return [{ type: 'preview' }];
    if (l.kind !== 'ws' || ['status', 'feature_flags'].includes(l.msg.type)) return [];
    return [l.msg];
  });
  return sequence(lines);
}

function previewsOf(events: EngineEvent[]): PreviewEventData[] {
  return events.flatMap((e) => (e.type === 'preview' ? [e.data] : []));
}

const engines: Engine[] = [];

function engine(options: Partial<EngineOptions> = {}): Engine {
  const e = createEngine({ ...testDirs(), maxConcurrency: 1, ...options });
  engines.push(e);
  return e;
}

describe('engine previews', () => {
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.dispose();
  });

  it('SaveImageWebsocket on a worker emits what ComfyUI 0.8.0 sent for workflow 10, previews in place', async () => {
    const { events } = await runCollecting(engine(), loadWorkflow('10_websocket_images'));
    assert.deepEqual(sequence(events), recordedSequence());
  });

  it('SaveImageWebsocket on the main thread emits the same sequence', async () => {
    const { events } = await runCollecting(engine({ workers: false }), loadWorkflow('10_websocket_images'));
    assert.deepEqual(sequence(events), recordedSequence());
  });

  it('each preview is followed by the progress step of its image, 0 to 2 of 3', async () => {
    const { events } = await runCollecting(engine(), loadWorkflow('10_websocket_images'));
    const after = events.flatMap((e, i) => (e.type === 'preview' ? [events[i + 1]] : []));
    assert.deepEqual(
      after.map((e) => e.data),
      [0, 1, 2].map((value) => ({ value, max: 3, prompt_id: 'p1', node: '3' })),
    );
  });

  it('node 3 shows in progress_state with the values and states ComfyUI 0.8.0 sent', async () => {
    const { events } = await runCollecting(engine(), loadWorkflow('10_websocket_images'));
    const node3 = (list: readonly { type: string; data?: unknown }[]) =>
      list.flatMap((e) => {
        const entry = (e.data as { nodes?: Record<string, { value: number; max: number; state: string }> })
          .nodes?.['3'];
        return e.type === 'progress_state' && entry ? [[entry.value, entry.max, entry.state]] : [];
      });
    const recorded = loadTranscript('10_websocket_binary').flatMap((l) => (l.kind === 'ws' ? [l.msg] : []));
    assert.deepEqual(node3(events), node3(recorded));
  });

  it('previews carry the node and a PNG of each image, inverted green as workflow 10 makes it', async () => {
    const { events } = await runCollecting(engine(), loadWorkflow('10_websocket_images'));
    const previews = previewsOf(events);
    assert.equal(previews.length, 3);
    for (const p of previews) {
      assert.deepEqual([p.prompt_id, p.node, p.display_node, p.format], ['p1', '3', '3', 'PNG']);
      const png = decode(p.bytes);
      assert.deepEqual([png.width, png.height, png.channels], [128, 96, 3]);
      assert.deepEqual([...png.data.slice(0, 3)], [255, 0, 255]);
    }
  });

  it('SaveImageWebsocket reports no UI output, so it sends no executed and leaves no outputs', async () => {
    const { events, outcome } = await runCollecting(engine(), loadWorkflow('10_websocket_images'));
    assert.ok(!events.some((e) => e.type === 'executed'));
    assert.deepEqual(outcome, { status: 'success', promptId: 'p1', outputs: {} });
  });

  it('SaveImageWebsocket is never served from the cache: a re-run sends its previews again', async () => {
    const e = engine();
    await runCollecting(e, loadWorkflow('10_websocket_images'));
    const { events } = await runCollecting(e, loadWorkflow('10_websocket_images'), { promptId: 'p2' });
    const cached = events.find((x) => x.type === 'execution_cached');
    assert.deepEqual(cached?.data, { nodes: ['1', '2'], prompt_id: 'p2', timestamp: cached?.data.timestamp });
    assert.equal(previewsOf(events).length, 3);
  });

  it('a preview that no progress call picks up goes out with a step at the node’s position', async () => {
    const bytes = encode({ width: 2, height: 1, data: new Uint8Array(6), channels: 3, depth: 8 });
    const previewer: NodeImpl = {
      ...testNodes.find((n) => n.classType === 'TestCounter')!,
      classType: 'TestPreviewer',
      run: (_inputs, ctx) => {
        ctx.progress(1, 4);
        ctx.preview({ format: 'PNG', bytes });
        return { outputs: [] };
      },
    };
    const nodes = createRegistry(testNodes, [previewer]);
    const prompt: ApiPrompt = { '1': apiNode('TestPreviewer', { tag: 'p' }) };
    const { events } = await runCollecting(engine({ nodes, workers: false }), prompt);
    const i = events.findIndex((e) => e.type === 'preview');
    assert.deepEqual(sequence(events.slice(i - 1, i + 3)), [
      'progress_state',
      'preview',
      'progress',
      'progress_state',
    ]);
    assert.deepEqual(events[i + 1].data, { value: 1, max: 4, prompt_id: 'p1', node: '1' });
  });
});
