import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRunnerError } from '../../../src/core/util/runnerError';
import {
  ancestors,
  canonicalJson,
  compareNodeIds,
  type CycleDetails,
  dependencySets,
  findCycle,
  independentBranches,
  isLink,
  linksOf,
  outputNodes,
  promptHash,
  sortedNodeIds,
  topologicalOrder,
} from '../../../src/core/workflow/graph';
import type { ApiPrompt, NodeDefs } from '../../../src/core/workflow/types';

/** Builds a prompt from `id: [class, {input: value}]`, where a value `@3` or `@3.1` is a link. */
function prompt(spec: Record<string, [string, Record<string, unknown>?]>): ApiPrompt {
  const out: ApiPrompt = {};
  for (const [id, [cls, inputs = {}]] of Object.entries(spec)) {
    const resolved: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(inputs)) {
      const m = typeof v === 'string' ? /^@([^.]+)(?:\.(\d+))?$/.exec(v) : null;
      resolved[name] = m ? [m[1], Number(m[2] ?? 0)] : v;
    }
    out[id] = { class_type: cls, inputs: resolved };
  }
  return out;
}

/** A chain 1 <- 2 <- ... <- n, each node linking to the one before. */
function chain(n: number): ApiPrompt {
  const out: ApiPrompt = { '1': { class_type: 'Src', inputs: {} } };
  for (let i = 2; i <= n; i++) out[String(i)] = { class_type: 'Step', inputs: { x: [String(i - 1), 0] } };
  return out;
}

/** Quadratic reference: repeatedly take the smallest id whose dependencies are all placed. */
function naiveOrder(p: ApiPrompt): string[] {
  const order: string[] = [];
  const left = Object.keys(p).sort(compareNodeIds);
  while (left.length > 0) {
    const i = left.findIndex((id) => linksOf(p[id]).every(([, [dep]]) => order.includes(dep)));
    order.push(...left.splice(i, 1));
  }
  return order;
}

const defs = { Save: { output_node: true }, Step: { output_node: false } } as unknown as NodeDefs;

// Two branches sharing node 1, and one standalone branch (5 -> 6).
const branching = prompt({
  '1': ['Src'],
  '2': ['Step', { x: '@1' }],
  '3': ['Save', { images: '@2' }],
  '4': ['Save', { images: '@1', prefix: 'b' }],
  '5': ['Src'],
  '6': ['Save', { images: '@5' }],
  '7': ['Step', { x: '@5' }],
});

describe('graph utilities', () => {
  describe('isLink and linksOf', () => {
    it('accepts a string id with a non-negative integer slot as a link', () => {
      assert.equal(isLink(['4', 0]), true);
      assert.equal(isLink(['12:5', 2]), true);
    });

    it('rejects numeric ids, fractional or negative slots and other lengths', () => {
      for (const v of [[4, 0], ['4', 0.5], ['4', -1], ['4'], ['4', 0, 1], 'x', null, { 0: '4', 1: 0 }]) {
        assert.equal(isLink(v), false, JSON.stringify(v));
      }
    });

    it('lists only the linked inputs of a node, in input order', () => {
      const node = { class_type: 'X', inputs: { b: ['2', 1], seed: 3, a: ['1', 0], text: 'hi' } };
      assert.deepEqual(linksOf(node), [
        ['b', ['2', 1]],
        ['a', ['1', 0]],
      ]);
    });
  });

  describe('compareNodeIds', () => {
    it('orders numeric ids by value and colon paths segment by segment', () => {
      const ids = ['10', '9', '12:10', '12:5', '2', '12', 'a'];
      assert.deepEqual(ids.sort(compareNodeIds), ['2', '9', '10', '12', '12:5', '12:10', 'a']);
    });
  });

  describe('sortedNodeIds', () => {
    it('returns the ids in the same order as compareNodeIds, leaving its input alone', () => {
      const ids = new Set(['10', '9', '12:10', '12:5', '2', '12', 'a']);
      assert.deepEqual(sortedNodeIds(ids), ['2', '9', '10', '12', '12:5', '12:10', 'a']);
      assert.deepEqual([...ids], ['10', '9', '12:10', '12:5', '2', '12', 'a']);
    });
  });

  describe('outputNodes', () => {
    it('lists the nodes whose class is an output node, in id order', () => {
      assert.deepEqual(outputNodes(branching, defs), ['3', '4', '6']);
    });

    it('keeps only the partial execution targets that are output nodes', () => {
      assert.deepEqual(outputNodes(branching, defs, ['6', '3', '2']), ['3', '6']);
    });

    it('ignores classes missing from the definitions', () => {
      assert.deepEqual(outputNodes(prompt({ '1': ['Unknown'] }), defs), []);
    });
  });

  describe('ancestors and dependencySets', () => {
    it('collects every direct and indirect dependency but not the node itself', () => {
      assert.deepEqual([...ancestors(branching, '3')].sort(), ['1', '2']);
    });

    it('ignores links to nodes that are not in the prompt', () => {
      const p = prompt({ '1': ['Save', { images: '@99' }] });
      assert.deepEqual([...ancestors(p, '1')], []);
    });

    it('includes the node itself when it lies on a cycle', () => {
      const p = prompt({ '1': ['Step', { x: '@2' }], '2': ['Step', { x: '@1' }] });
      assert.deepEqual([...ancestors(p, '1')].sort(), ['1', '2']);
    });

    it('gives each output its ancestors plus itself', () => {
      const sets = dependencySets(branching, ['3', '6']);
      assert.deepEqual([...sets.get('3')!].sort(), ['1', '2', '3']);
      assert.deepEqual([...sets.get('6')!].sort(), ['5', '6']);
    });

    it('walks a 10,000-node chain without overflowing the stack', () => {
      assert.equal(ancestors(chain(10_000), '10000').size, 9_999);
    });
  });

  describe('topologicalOrder', () => {
    it('puts dependencies first and breaks ties by node id', () => {
      assert.deepEqual(topologicalOrder(branching), ['1', '2', '3', '4', '5', '6', '7']);
    });

    it('orders by numeric id rather than string order among ready nodes', () => {
      const p = prompt({ '10': ['Src'], '9': ['Src'], '2': ['Save', { a: '@10', b: '@9' }] });
      assert.deepEqual(topologicalOrder(p), ['9', '10', '2']);
    });

    it('keeps only the nodes the roots need', () => {
      assert.deepEqual(topologicalOrder(branching, ['6', '3']), ['1', '2', '3', '5', '6']);
    });

    it('handles a node that links to the same dependency twice', () => {
      const p = prompt({ '1': ['Src'], '2': ['Blend', { a: '@1', b: '@1' }] });
      assert.deepEqual(topologicalOrder(p), ['1', '2']);
    });

    it('throws a bad_input error carrying the cycle', () => {
      const p = prompt({ '1': ['Src'], '2': ['Step', { x: '@4', y: '@1' }], '3': ['Step', { x: '@2' }] });
      p['4'] = { class_type: 'Step', inputs: { x: ['3', 0] } };
      assert.throws(
        () => topologicalOrder(p),
        (e: unknown) =>
          isRunnerError(e, 'bad_input') && [...(e.details as CycleDetails).cycle].sort().join() === '2,3,4',
      );
    });

    it('does not report a cycle outside the part the roots need', () => {
      const p = prompt({ '1': ['Src'], '2': ['Save', { x: '@1' }], '3': ['Step', { x: '@3' }] });
      assert.deepEqual(topologicalOrder(p, ['2']), ['1', '2']);
    });

    it('matches the naive smallest-ready-first order on random acyclic prompts', () => {
      // Node i may only link to nodes j < i, which keeps every generated prompt acyclic.
      const dag = fc
        .array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 25 })
        .map((deps) => {
          const p: ApiPrompt = {};
          deps.forEach((ds, i) => {
            const inputs = Object.fromEntries(
              i === 0 ? [] : ds.map((d, k) => [`in${k}`, [String(d % i), 0]]),
            );
            p[String(i)] = { class_type: 'Step', inputs };
          });
          return p;
        });
      fc.assert(fc.property(dag, (p) => assert.deepEqual(topologicalOrder(p), naiveOrder(p))));
    });

    it('orders a 10,000-node chain and a 10,000-node fan-in', () => {
      const fan: ApiPrompt = { sink: { class_type: 'Save', inputs: {} } };
      for (let i = 0; i < 10_000; i++) {
        fan[String(i)] = { class_type: 'Src', inputs: {} };
        fan.sink.inputs[`in${i}`] = [String(i), 0];
      }
      assert.equal(topologicalOrder(chain(10_000)).at(-1), '10000');
      assert.equal(topologicalOrder(fan).at(-1), 'sink');
    });
  });

  describe('findCycle', () => {
    it('returns null for an acyclic prompt', () => {
      assert.equal(findCycle(branching), null);
    });

    it('returns the cycle so that each node depends on the next', () => {
      const p = prompt({
        '1': ['Step', { x: '@2' }],
        '2': ['Step', { x: '@3' }],
        '3': ['Step', { x: '@1' }],
      });
      assert.deepEqual(findCycle(p), ['1', '2', '3']);
    });

    it('reports a node linking to itself as a cycle of one', () => {
      assert.deepEqual(findCycle(prompt({ '1': ['Src'], '2': ['Step', { x: '@2' }] })), ['2']);
    });

    it('finds a cycle at the end of a 10,000-node chain', () => {
      const p = chain(10_000);
      p['1'].inputs.x = ['10000', 0];
      assert.equal(findCycle(p)?.length, 10_000);
    });
  });

  describe('independentBranches', () => {
    it('groups outputs that share an ancestor and separates the others', () => {
      assert.deepEqual(independentBranches(branching, ['6', '4', '3']), [['3', '4'], ['6']]);
    });

    it('joins groups transitively through a chain of shared ancestors', () => {
      const p = prompt({
        a: ['Src'],
        b: ['Src'],
        '1': ['Save', { x: '@a' }],
        '2': ['Save', { x: '@a', y: '@b' }],
        '3': ['Save', { y: '@b' }],
      });
      assert.deepEqual(independentBranches(p, ['1', '3', '2']), [['1', '2', '3']]);
    });

    it('puts an output in the same group as an output it depends on', () => {
      const p = prompt({ '1': ['Src'], '2': ['Save', { x: '@1' }], '3': ['Save', { x: '@2' }] });
      assert.deepEqual(independentBranches(p, ['2', '3']), [['2', '3']]);
    });

    it('splits 5,000 separate branches in one pass', () => {
      const p: ApiPrompt = {};
      const outs: string[] = [];
      for (let i = 0; i < 5_000; i++) {
        p[`${i}:src`] = { class_type: 'Src', inputs: {} };
        p[`${i}:save`] = { class_type: 'Save', inputs: { images: [`${i}:src`, 0] } };
        outs.push(`${i}:save`);
      }
      assert.equal(independentBranches(p, outs).length, 5_000);
    });
  });

  describe('promptHash', () => {
    const base: ApiPrompt = {
      '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, color: 0 }, _meta: { title: 'A' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    };

    it('is a 64-digit hex SHA-256', () => {
      assert.match(promptHash(base), /^[0-9a-f]{64}$/);
    });

    it('does not depend on key order or on _meta', () => {
      const reordered: ApiPrompt = {
        '2': {
          inputs: { filename_prefix: 'x', images: ['1', 0] },
          class_type: 'SaveImage',
          _meta: { title: 'S' },
        },
        '1': { inputs: { color: 0, height: 64, width: 64 }, class_type: 'EmptyImage' },
      };
      assert.equal(promptHash(reordered), promptHash(base));
    });

    it('changes when an input value changes', () => {
      const changed = structuredClone(base);
      changed['1'].inputs.width = 65;
      assert.notEqual(promptHash(changed), promptHash(base));
    });

    it('changes when a class changes', () => {
      const changed = structuredClone(base);
      changed['2'].class_type = 'PreviewImage';
      assert.notEqual(promptHash(changed), promptHash(base));
    });

    it('changes when a link is rewired to another slot', () => {
      const changed = structuredClone(base);
      changed['2'].inputs.images = ['1', 1];
      assert.notEqual(promptHash(changed), promptHash(base));
    });
  });

  describe('canonicalJson', () => {
    it('sorts keys at every depth and matches JSON.stringify otherwise', () => {
      const v = { b: [1, { d: 'x', c: null }], a: { f: true, e: 1.5 }, u: undefined };
      assert.equal(canonicalJson(v), '{"a":{"e":1.5,"f":true},"b":[1,{"c":null,"d":"x"}]}');
    });

    it('writes deeply nested values without recursion', () => {
      let deep: unknown = 0;
      for (let i = 0; i < 100_000; i++) deep = [deep];
      assert.equal(canonicalJson(deep).length, 200_001);
    });
  });
});
