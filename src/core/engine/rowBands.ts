/**
 * Row bands: a heavy node whose output rows are independent of each other can have its work split
 * into bands of rows that several worker threads compute at once, into output tensors on shared
 * memory. The node says how (its {@link RowBands}); the executor decides whether to split and how
 * many bands to make. Each output value is computed by the same operations in the same order whatever
 * the band it falls in, so a split run is bit-identical to a whole one; the node's own `run` is the
 * whole run, through the same code ({@link runAsOneBand}).
 */
import type { NodeContext, NodeResult, RowBands } from './types';

/** Work below this many values runs as one band: handing it to another thread costs more than it saves. */
export const MIN_SPLIT_SIZE = 1 << 18;

/** Runs a node's bands as one band on the calling thread, or returns undefined when it plans nothing. */
export function runAsOneBand<A>(
  bands: RowBands<A>,
  inputs: Record<string, unknown>,
  ctx: NodeContext,
): NodeResult | undefined {
  const plan = bands.plan(inputs);
  if (!plan) return undefined;
  bands.runBand(plan.args, plan.outputs, 0, plan.rows, () => ctx.checkpoint());
  return { outputs: plan.outputs };
}

/** Splits rows `[0, rows)` into at most `count` nearly equal bands, none empty. */
export function splitRows(rows: number, count: number): [number, number][] {
  const n = Math.max(1, Math.min(count, rows));
  return Array.from({ length: n }, (_, i) => [Math.floor((rows * i) / n), Math.floor((rows * (i + 1)) / n)]);
}

/**
 * Calls `each(n, y0, y1)` for every grid element the flat rows `[from, to)` touch, with the element's
 * own rows `[y0, y1)` among its `height`.
 */
export function forEachElementRows(
  from: number,
  to: number,
  height: number,
  each: (n: number, y0: number, y1: number) => void,
): void {
  for (let row = from; row < to;) {
    const n = Math.floor(row / height);
    const y0 = row - n * height;
    const y1 = Math.min(height, y0 + (to - row));
    each(n, y0, y1);
    row += y1 - y0;
  }
}
