/**
 * What serve instances' own history says about the prompts they ran, for the benchmarks that measure
 * how busy a client keeps its servers (makespan.bench.ts, clientCost.bench.ts): when each prompt started
 * and ended there, the time a server's slot stood empty between two prompts, and quantiles to print.
 */

type Messages = [string, { timestamp?: number }][];

/** When one prompt started and ended on its server, in the server's ms since the epoch. */
export interface PromptTimes {
  start: number;
  end: number;
}

/** When each prompt started and ended on a server, by prompt id, from the server's history. */
export async function serverTimes(url: string): Promise<Map<string, PromptTimes>> {
  const history = (await (await fetch(`${url}/history`)).json()) as Record<
    string,
    { status: { messages: Messages } }
  >;
  const times = new Map<string, PromptTimes>();
  for (const [id, entry] of Object.entries(history)) {
    const at = (type: string) => entry.status.messages.find(([t]) => t === type)?.[1].timestamp;
    const start = at('execution_start');
    const end = at('execution_success');
    if (start !== undefined && end !== undefined) times.set(id, { start, end });
  }
  return times;
}

/** What the servers' history says about a batch of prompts. */
export interface ServerFigures {
  /** Between one prompt ending on a server and the next starting there: the slot stood empty. */
  gaps: number[];
  /** Each prompt's execution beyond its wait: the engine's own cost and the timer's lateness. */
  beyondWait: number[];
}

/**
 * The figures of a batch of prompts, given per server in any order: sorted by start on each server,
 * the gaps between consecutive prompts, and each prompt's time beyond `waitMs`.
 */
export function figuresOf(runsPerServer: readonly PromptTimes[][], waitMs: number): ServerFigures {
  const figures: ServerFigures = { gaps: [], beyondWait: [] };
  for (const unsorted of runsPerServer) {
    const runs = [...unsorted].sort((a, b) => a.start - b.start);
    runs.forEach((r, k) => {
      figures.beyondWait.push(r.end - r.start - waitMs);
      if (k > 0) figures.gaps.push(r.start - runs[k - 1].end);
    });
  }
  return figures;
}

/** The `q` quantile of `values` (the nearest rank at or below); NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** The median and p99 of `values` in ms, as the benchmarks print them. */
export const spread = (values: readonly number[]): string =>
  `median ${quantile(values, 0.5).toFixed(1)} ms, p99 ${quantile(values, 0.99).toFixed(1)} ms`;
