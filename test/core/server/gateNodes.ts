/**
 * A node that waits until the test opens its gate, so tests can hold a prompt "running" for exactly as long
 * as they need, without timing. It checks for interrupts while it waits, like a long ComfyUI node with
 * progress callbacks. Prompts built here end in TestCounter, which writes one output file.
 */
import { createRegistry, type NodeRegistry } from '../../../src/core/engine/registry';
import type { NodeImpl } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { apiNode, testNodes } from '../../fakes/testNodes';

const opened = new Set<string>();

/** Opens and resets gates. */
export const gates = {
  open(tag: string): void {
    opened.add(tag);
  },
  reset(): void {
    opened.clear();
  },
};

const gateNode: NodeImpl = {
  classType: 'TestGate',
  def: {
    input: { required: { tag: ['STRING', { default: '' }] } },
    input_order: { required: ['tag'] },
    output: ['TEST_VALUE'],
    output_is_list: [false],
    output_name: ['TEST_VALUE'],
    name: 'TestGate',
    display_name: 'TestGate',
    description: 'Waits until its gate is opened',
    python_module: 'tests',
    category: 'testing',
    output_node: false,
  },
  async run(inputs, ctx) {
    const tag = inputs.tag as string;
    while (!opened.has(tag)) {
      ctx.checkpoint();
      await new Promise((r) => setTimeout(r, 5));
    }
    return { outputs: [tag] };
  },
};

/** The test nodes plus TestGate. */
export const gatedRegistry: NodeRegistry = createRegistry(testNodes, [gateNode]);

/** A prompt that waits at gate `tag`, then writes `tag_0000n_.txt` through TestCounter (node 2). */
export function gatedPrompt(tag: string): ApiPrompt {
  return {
    '1': apiNode('TestGate', { tag }),
    '2': apiNode('TestCounter', { input: ['1', 0], tag }),
  };
}

/** A prompt that runs straight through and writes `tag_0000n_.txt`. */
export function quickPrompt(tag: string): ApiPrompt {
  return {
    '1': apiNode('TestSource', { value: 1 }),
    '2': apiNode('TestCounter', { input: ['1', 0], tag }),
  };
}
