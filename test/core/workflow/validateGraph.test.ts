import assert from 'node:assert/strict';
import { validatePrompt } from '../../../src/core/workflow/validate';
import { walkGraph, type NodeCheck } from '../../../src/core/workflow/validateGraph';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { defs, emptyImage, node, saveImage } from './validateFixtures';

/** A chain 1 -> 2 -> ... -> n of ImageInvert nodes fed by an EmptyImage, saved by node "save". */
function chain(
  n: number,
  invertInputs: (i: number) => Record<string, unknown> = (i) => ({ image: [String(i - 1), 0] }),
) {
  const prompt: ApiPrompt = { '0': emptyImage() };
  for (let i = 1; i <= n; i++) prompt[String(i)] = node('ImageInvert', invertInputs(i));
  prompt.save = saveImage(String(n));
  return prompt;
}

describe('validatePrompt: the graph', () => {
  it('reports a two-node cycle on both nodes, naming the cycle path like the server', () => {
    const prompt = {
      '1': node('ImageInvert', { image: ['2', 0] }),
      '2': node('ImageInvert', { image: ['1', 0] }),
      '3': saveImage('2'),
    };
    const result = validatePrompt(prompt, defs);
    assert.equal(result.error?.type, 'prompt_outputs_failed_validation');
    for (const id of ['1', '2']) {
      const [error] = result.node_errors[id].errors;
      assert.equal(error.type, 'dependency_cycle');
      assert.equal(error.message, 'Dependency cycle detected');
      assert.equal(error.extra_info.node_id, id);
      assert.deepEqual([...(error.extra_info.cycle_nodes as string[])].sort(), ['1', '2']);
    }
    assert.equal(
      result.node_errors['1'].errors[0].details,
      '2 (ImageInvert) -> 1 (ImageInvert) -> 2 (ImageInvert)',
    );
  });

  it('names every node of a longer cycle, and only those', () => {
    const prompt = {
      '0': emptyImage(),
      '1': node('ImageBlend', {
        image1: ['0', 0],
        image2: ['3', 0],
        blend_factor: 0.5,
        blend_mode: 'normal',
      }),
      '2': node('ImageInvert', { image: ['1', 0] }),
      '3': node('ImageInvert', { image: ['2', 0] }),
      '4': saveImage('3'),
    };
    const result = validatePrompt(prompt, defs);
    assert.deepEqual(Object.keys(result.node_errors).sort(), ['1', '2', '3']);
    const cycle = result.node_errors['2'].errors[0].extra_info.cycle_nodes as string[];
    assert.deepEqual([...cycle].sort(), ['1', '2', '3']);
  });

  it('reports a node that links to itself as a cycle', () => {
    const prompt = { '1': node('ImageInvert', { image: ['1', 0] }), '2': saveImage('1') };
    const [error] = validatePrompt(prompt, defs).node_errors['1'].errors;
    assert.equal(error.type, 'dependency_cycle');
    assert.deepEqual(error.extra_info.cycle_nodes, ['1']);
  });

  it('lists only nodes with errors of their own, and marks the outputs they block', () => {
    const prompt = {
      '1': node('ImageInvert'),
      '2': node('ImageInvert', { image: ['1', 0] }),
      '3': saveImage('2'),
    };
    const result = validatePrompt(prompt, defs);
    assert.deepEqual(Object.keys(result.node_errors), ['1']);
    assert.deepEqual(result.node_errors['1'].dependent_outputs, ['3']);
  });

  it('names in dependent_outputs exactly the outputs that depend on a node', () => {
    const prompt = {
      '1': node('ImageInvert'),
      '2': saveImage('1'),
      '3': saveImage('1'),
      '4': emptyImage({ width: -1 }),
      '5': saveImage('4'),
      '6': emptyImage(),
      '7': saveImage('6'),
    };
    const result = validatePrompt(prompt, defs);
    assert.deepEqual(result.node_errors['1'].dependent_outputs, ['2', '3']);
    assert.deepEqual(result.node_errors['4'].dependent_outputs, ['5']);
    assert.deepEqual(result.outputs, ['7']);
    assert.equal(result.ok, true);
  });

  it('does not validate nodes no output depends on, as the server does not', () => {
    const prompt = { '1': emptyImage(), '2': saveImage('1'), '3': node('ImageInvert') };
    assert.deepEqual(validatePrompt(prompt, defs).node_errors, {});
  });

  it('validates a 10,000-node chain without overflowing the stack', () => {
    const result = validatePrompt(chain(10_000), defs);
    assert.equal(result.ok, true);
  });

  it('reports a 10,000-node chain with an error on every node', () => {
    const result = validatePrompt(
      chain(10_000, (i) => ({ image: [String(i - 1), 5] })),
      defs,
    );
    assert.equal(Object.keys(result.node_errors).length, 10_000);
    assert.deepEqual(result.node_errors['1'].dependent_outputs, ['save']);
  });

  it('reports a 10,000-node cycle with every node named', () => {
    const prompt = chain(10_000);
    prompt['1'] = node('ImageInvert', { image: ['10000', 0] });
    const result = validatePrompt(prompt, defs);
    assert.equal(Object.keys(result.node_errors).length, 10_000);
    assert.equal((result.node_errors['5000'].errors[0].extra_info.cycle_nodes as string[]).length, 10_000);
  });

  it('handles 5,000 outputs sharing one 5,000-node chain', () => {
    const prompt = chain(5_000, (i) => ({ image: [String(i - 1), i === 1 ? 9 : 0] }));
    for (let i = 0; i < 5_000; i++) prompt[`out${i}`] = saveImage('5000');
    const result = validatePrompt(prompt, defs);
    assert.equal(result.node_errors['1'].dependent_outputs.length, 5_001);
  });
});

describe('walkGraph', () => {
  it('visits every node reachable from the roots once', () => {
    const edges: Record<string, string[]> = { a: ['b', 'c'], b: ['c'], c: [], d: ['a'] };
    const seen: string[] = [];
    const check = (id: string): NodeCheck => {
      seen.push(id);
      return { errors: [], children: edges[id], runnable: true };
    };
    const walk = walkGraph(['a'], check, (id) => id);
    assert.deepEqual(seen.sort(), ['a', 'b', 'c']);
    assert.equal(walk.valid.get('a'), true);
  });

  it('makes a node invalid when a dependency is not runnable, without giving it an error', () => {
    const check = (id: string): NodeCheck => ({
      errors: [],
      children: id === 'a' ? ['b'] : [],
      runnable: id === 'a',
    });
    const walk = walkGraph(['a'], check, (id) => id);
    assert.equal(walk.valid.get('a'), false);
    assert.equal(walk.errors.size, 0);
  });
});
