import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  HIGH_WATER_BYTES,
  ProgressCoalescer,
  type CoalescedSocket,
  type ProgressStateMessage,
} from '../../../src/core/server/progressCoalescer';

/** A socket that keeps what it was sent, and whose backlog a test sets. */
class FakeSocket implements CoalescedSocket {
  bufferedAmount = 0;
  readyState = 1;
  readonly sent: ProgressStateMessage[] = [];

  send(text: string): void {
    this.sent.push(JSON.parse(text) as ProgressStateMessage);
  }

  /** How many nodes each snapshot it got listed. */
  sizes(): number[] {
    return this.sent.map((m) => Object.keys(m.data.nodes).length);
  }
}

/** A snapshot listing `count` finished nodes of prompt `p`. */
function snapshot(count: number, promptId = 'p'): ProgressStateMessage {
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) nodes[String(i)] = { state: 'finished', node_id: String(i) };
  return { type: 'progress_state', data: { prompt_id: promptId, nodes } };
}

describe('progress_state coalescing per socket', () => {
  let coalescer: ProgressCoalescer;
  afterEach(() => coalescer.close());

  it('sends every small snapshot at once to a socket that keeps up', () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    for (let n = 1; n <= 5; n++) coalescer.snapshot(snapshot(n), [ws]);
    assert.deepEqual(ws.sizes(), [1, 2, 3, 4, 5]);
  });

  it('sends a large snapshot at once, then holds the next ones and sends only the newest later', async () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    for (let n = 100; n < 110; n++) coalescer.snapshot(snapshot(n), [ws]);
    assert.deepEqual(ws.sizes(), [100]);
    await sleep(150);
    assert.deepEqual(ws.sizes(), [100, 109]);
  });

  it('holds every snapshot, small ones too, while the socket has more than the high-water mark queued', async () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    ws.bufferedAmount = HIGH_WATER_BYTES + 1;
    for (let n = 1; n <= 20; n++) coalescer.snapshot(snapshot(n), [ws]);
    await sleep(60);
    assert.deepEqual(ws.sizes(), []);
    ws.bufferedAmount = 0;
    await sleep(60);
    assert.deepEqual(ws.sizes(), [20]);
  });

  it('sends a held snapshot before a later message of its prompt when the socket has drained', () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    ws.bufferedAmount = HIGH_WATER_BYTES + 1;
    coalescer.snapshot(snapshot(3), [ws]);
    ws.bufferedAmount = 0;
    coalescer.overtaken('p', [ws]);
    assert.deepEqual(ws.sizes(), [3]);
  });

  it('drops a held snapshot that a later message of its prompt overtakes on a backed-up socket', async () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    ws.bufferedAmount = HIGH_WATER_BYTES + 1;
    coalescer.snapshot(snapshot(3), [ws]);
    coalescer.overtaken('p', [ws]);
    ws.bufferedAmount = 0;
    await sleep(60);
    assert.deepEqual(ws.sizes(), []);
  });

  it('sends the newest snapshot before the prompt ends to a socket that missed it, backed up or not', () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    ws.bufferedAmount = HIGH_WATER_BYTES + 1;
    coalescer.snapshot(snapshot(3), [ws]);
    coalescer.overtaken('p', [ws]);
    coalescer.snapshot(snapshot(4), [ws]);
    coalescer.overtaken('p', [ws]);
    coalescer.end('p');
    assert.deepEqual(ws.sizes(), [4]);
  });

  it('sends nothing more at the end to a socket that already has the newest snapshot', () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    coalescer.snapshot(snapshot(3), [ws]);
    coalescer.end('p');
    assert.deepEqual(ws.sizes(), [3]);
  });

  it('keeps the snapshots of each socket apart: a backed-up one does not hold back another', () => {
    coalescer = new ProgressCoalescer();
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    slow.bufferedAmount = HIGH_WATER_BYTES + 1;
    for (let n = 1; n <= 3; n++) coalescer.snapshot(snapshot(n), [slow, fast]);
    assert.deepEqual(fast.sizes(), [1, 2, 3]);
    assert.deepEqual(slow.sizes(), []);
  });

  it('keeps the snapshots of each prompt apart', () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    ws.bufferedAmount = HIGH_WATER_BYTES + 1;
    coalescer.snapshot(snapshot(3, 'a'), [ws]);
    coalescer.snapshot(snapshot(5, 'b'), [ws]);
    coalescer.end('a');
    assert.deepEqual(
      ws.sent.map((m) => m.data.prompt_id),
      ['a'],
    );
  });

  it('sends every snapshot at once when coalescing is off', () => {
    coalescer = new ProgressCoalescer(false);
    const ws = new FakeSocket();
    ws.bufferedAmount = HIGH_WATER_BYTES + 1;
    for (let n = 100; n < 105; n++) coalescer.snapshot(snapshot(n), [ws]);
    assert.deepEqual(ws.sizes(), [100, 101, 102, 103, 104]);
  });

  it('sends the message unchanged', () => {
    coalescer = new ProgressCoalescer();
    const ws = new FakeSocket();
    const message = snapshot(2);
    coalescer.snapshot(message, [ws]);
    assert.deepEqual(ws.sent, [message]);
  });
});

/** The global gc function, exposed for this process on first use. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('progress_state coalescing and closed sockets', () => {
  it('keeps no reference to a socket that closed while its prompt runs', async () => {
    const coalescer = new ProgressCoalescer();
    let ws: FakeSocket | undefined = new FakeSocket();
    const ref = new WeakRef(ws);
    coalescer.snapshot(snapshot(1), [ws]);
    ws.readyState = 3;
    coalescer.forget(ws);
    ws = undefined;
    await sleep(0);
    collectGarbage();
    assert.equal(ref.deref(), undefined);
    coalescer.close();
  });
});
