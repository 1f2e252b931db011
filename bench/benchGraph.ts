/**
 * The prompts of the progress benchmarks, over the test nodes: a chain (built as the engine bench builds
 * its 10,000-node chain, test/fakes/testNodes.ts `chainPrompt`) or a wide graph, where every node but the
 * source reads the source and is an output, so the nodes are independent of each other.
 */
import type { ApiPrompt } from '../src/core/workflow/types';
import { apiNode, chainPrompt } from '../test/fakes/testNodes';

/** The two shapes measured. */
export type GraphShape = 'chain' | 'wide';

/**
 * A prompt of `size` nodes besides its ends. `wide` needs the `BenchSink` class (progressStatesChild.ts
 * adds it to the test registry): an output node that does nothing.
 */
export function benchGraph(shape: GraphShape, size: number): ApiPrompt {
  if (shape === 'chain') return chainPrompt(size);
  const prompt: ApiPrompt = { '0': apiNode('TestSource', { value: 0 }) };
  for (let i = 1; i <= size; i++) prompt[String(i)] = apiNode('BenchSink', { input: ['0', 0] });
  return prompt;
}
