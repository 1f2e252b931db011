/**
 * The replaying server's memory: which recorded prompts our client has posted (and under which ids), where
 * the replay stands, and which client requests have arrived that the replay has not yet waited for.
 */
import { isDeepStrictEqual } from 'node:util';
import { type GateKind, type RecordedPrompt, type Scenario } from './replayScenario';

/** Where a posted prompt is, as the server would see it. */
export type Phase = 'pending' | 'running' | 'done' | 'deleted';

/** A recorded prompt that our client has posted. */
export interface PostedPrompt {
  recorded: RecordedPrompt;
  /** The id our client chose (or the recorded one if it chose none). */
  id: string;
  number: number;
  phase: Phase;
  body: { prompt?: unknown; extra_data?: Record<string, unknown>; client_id?: string };
}

/** The replay's memory. */
export class ReplayState {
  /** Next entry of `scenario.entries` to play. */
  cursor = 0;
  /** Set by a simulated restart: the server forgot everything and plays nothing more. */
  restarted = false;
  /** The last node that started, for the `executing` a reconnecting socket gets. */
  lastNode: string | null = null;
  readonly posted = new Map<number, PostedPrompt>();
  /** Files uploaded, with the whole multipart body as text for assertions. */
  readonly uploads: { filename: string; form: string }[] = [];
  private readonly credits: Record<GateKind, number> = {
    prompt: 0,
    queue: 0,
    interrupt: 0,
    upload: 0,
    history: 0,
  };
  private readonly ids = new Map<string, string>();
  private actualClientId = '';

  constructor(readonly scenario: Scenario) {}

  /** Records the client id of a connecting socket, so recorded `sid`s and `client_id`s are rewritten to it. */
  setClientId(id: string): void {
    this.actualClientId = id;
  }

  /** Matches a posted body to the first unposted recorded prompt with the same graph, else the next unposted. */
  matchPrompt(body: PostedPrompt['body']): RecordedPrompt | undefined {
    const free = this.scenario.prompts.filter((p) => !this.posted.has(p.ordinal));
    return (
      free.find((p) => isDeepStrictEqual((p.line.request as { prompt?: unknown })?.prompt, body.prompt)) ??
      free[0]
    );
  }

  /** Registers a posted prompt under the id the client chose. */
  post(recorded: RecordedPrompt, body: PostedPrompt['body'], chosenId: string | undefined): PostedPrompt {
    const id = chosenId ?? recorded.recordedId ?? '';
    if (recorded.recordedId) this.ids.set(recorded.recordedId, id);
    const number = (recorded.line.response as { number?: number } | undefined)?.number ?? recorded.ordinal;
    const posted: PostedPrompt = { recorded, id, number, phase: 'pending', body };
    if (recorded.line.status === 200) this.posted.set(recorded.ordinal, posted);
    else this.posted.set(recorded.ordinal, { ...posted, phase: 'deleted' });
    return posted;
  }

  /** Finds a posted prompt by the id our client knows it by. */
  byId(id: string): PostedPrompt | undefined {
    return [...this.posted.values()].find((p) => p.id === id && p.recorded.line.status === 200);
  }

  /** A client request that a gate may wait for. */
  credit(kind: GateKind): void {
    this.credits[kind] += 1;
  }

  /** True (and the credit is used) if a request of that kind has arrived. */
  consume(kind: GateKind): boolean {
    if (this.credits[kind] === 0) return false;
    this.credits[kind] -= 1;
    return true;
  }

  /** Rewrites recorded prompt ids and the recorded client id to ours, in values and in keys. */
  rewrite<T>(value: T): T {
    const swap = (s: string): string =>
      this.ids.get(s) ??
      (s === this.scenario.recordedClientId && this.actualClientId ? this.actualClientId : s);
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return swap(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [swap(k), walk(x)]));
      }
      return v;
    };
    return walk(value) as T;
  }

  /** Marks prompts as running when the replay sends something about them, and done once their history exists. */
  advance(promptId: string | undefined): void {
    const p = promptId ? this.byId(promptId) : undefined;
    if (p && p.phase === 'pending') p.phase = 'running';
    for (const q of this.posted.values()) {
      if (q.phase !== 'deleted' && q.recorded.readyAt <= this.cursor) q.phase = 'done';
    }
  }

  /** `queue_running` and `queue_pending` as tuples, pending sorted as the server's heap would pop them. */
  queue(): { queue_running: unknown[]; queue_pending: unknown[] } {
    if (this.restarted) return { queue_running: [], queue_pending: [] };
    const tuple = (p: PostedPrompt): unknown[] => [
      p.number,
      p.id,
      p.body.prompt,
      { ...p.body.extra_data, client_id: p.body.client_id },
      [],
    ];
    const all = [...this.posted.values()];
    const pending = all.filter((p) => p.phase === 'pending').sort((a, b) => a.number - b.number);
    return {
      queue_running: all.filter((p) => p.phase === 'running').map(tuple),
      queue_pending: pending.map(tuple),
    };
  }

  /** The history entry of a prompt, once the replay has reached the point where the server had written it. */
  history(id: string): unknown {
    const p = this.byId(id);
    if (this.restarted || !p || p.phase !== 'done' || !p.recorded.history) return undefined;
    return this.rewrite(p.recorded.history);
  }
}
