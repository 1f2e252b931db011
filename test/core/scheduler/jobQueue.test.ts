import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JobQueue, type QueueMove } from '../../../src/core/scheduler/jobQueue';

/** The queue's documented behaviour on a plain array, sorted by hand. */
class ModelQueue {
  items: { id: string; p: number }[] = [];
  add(id: string, p: number, first: boolean): void {
    const at = first ? this.items.findIndex((i) => i.p <= p) : this.items.findIndex((i) => i.p < p);
    this.items.splice(at === -1 ? this.items.length : at, 0, { id, p });
  }
  remove(id: string): void {
    this.items = this.items.filter((i) => i.id !== id);
  }
  move(id: string, where: QueueMove): void {
    const from = this.items.findIndex((i) => i.id === id);
    const last = this.items.length - 1;
    const to = { toTop: 0, up: from - 1, down: from + 1, toBottom: last }[where];
    if (from === -1 || to < 0 || to > last || to === from) return;
    const anchor = this.items[to]!;
    const [item] = this.items.splice(from, 1);
    item!.p = anchor.p;
    this.items.splice(to, 0, item!);
  }
}

describe('job queue', () => {
  it('orders by priority, higher first, then first in first out', () => {
    const q = new JobQueue();
    q.add('a', 0);
    q.add('b', 5);
    q.add('c', 0);
    q.add('d', 5);
    q.add('e', -1);
    q.add('f', 0, true);
    assert.deepEqual(q.ids(), ['b', 'd', 'f', 'a', 'c', 'e']);
    q.remove('d');
    assert.deepEqual(q.ids(), ['b', 'f', 'a', 'c', 'e']);
    assert.equal(q.size, 5);
    assert.equal(
      q.firstOf((id) => (id === 'a' || id === 'c' ? id.toUpperCase() : undefined)),
      'A',
    );
  });

  it('moves to the top and one place up or down, taking the neighbour priority across buckets', () => {
    const q = new JobQueue();
    for (const [id, p] of [
      ['a', 2],
      ['b', 1],
      ['c', 1],
      ['d', 0],
    ] as const)
      q.add(id, p);
    assert.equal(q.move('c', 'toTop'), 2);
    assert.deepEqual(q.ids(), ['c', 'a', 'b', 'd']);
    assert.equal(q.move('b', 'down'), 0);
    assert.deepEqual(q.ids(), ['c', 'a', 'd', 'b']);
    assert.equal(q.move('d', 'up'), 2);
    assert.deepEqual(q.ids(), ['c', 'd', 'a', 'b']);
    assert.equal(q.move('c', 'toBottom'), 0);
    assert.deepEqual(q.ids(), ['d', 'a', 'b', 'c']);
    assert.equal(q.move('d', 'up'), 2, 'the first job stays first');
    assert.equal(q.move('nope', 'up'), undefined);
    assert.equal(q.setPriority('c', 9), true);
    assert.deepEqual(q.ids(), ['c', 'd', 'a', 'b']);
  });

  it('agrees with a plain sorted array under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        p: fc.integer({ min: -2, max: 2 }),
        first: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constant('move' as const),
        pick: fc.nat(),
        where: fc.constantFrom<QueueMove>('toTop', 'up', 'down', 'toBottom'),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new JobQueue();
        const m = new ModelQueue();
        let n = 0;
        for (const o of ops) {
          const ids = m.items.map((i) => i.id);
          if (o.kind === 'add') {
            const id = `j${n++}`;
            q.add(id, o.p, o.first);
            m.add(id, o.p, o.first);
          } else if (ids.length > 0) {
            const id = ids[o.pick % ids.length]!;
            if (o.kind === 'remove') {
              q.remove(id);
              m.remove(id);
            } else {
              q.move(id, o.where);
              m.move(id, o.where);
            }
          }
          assert.deepEqual(
            q.ids(),
            m.items.map((i) => i.id),
          );
          for (const i of m.items) assert.equal(q.priorityOf(i.id), i.p);
        }
      }),
    );
  });
});
