/**
 * Follows one prompt through the server's messages: its state (promptState.ts), its node progress, its
 * previews and its warnings. Pure: no I/O and no timers; the client feeds it messages and acts on what it
 * announces (`settled` when a terminal event arrives, `finished` on `executing {node: null}`).
 */
import type { ApiPrompt, ComfyNodeErrors } from '../workflow/types';
import type { PreviewFrame, TextFrame } from '../protocol/binaryFrames';
import { type ComfyLog, Emitter, silentLog } from './events';
import type { MessageData, ServerMessage } from '../protocol/comfyMessages';
import { assertMove, canMove, isTerminal, type PromptState } from './promptState';

/** A snapshot of a prompt's progress, safe to send anywhere (plain JSON). */
export interface PromptProgress {
  promptId: string;
  state: PromptState;
  /** Nodes in the submitted prompt. */
  nodesTotal: number;
  /** Nodes the server reused from its cache. */
  nodesCached: number;
  /** Nodes finished, cached ones included. */
  nodesDone: number;
  /** The node running now (its display id), if any. */
  currentNode?: string;
  /** Step progress of the current node, when it reports steps. */
  value?: number;
  max?: number;
  /** True once we asked the server to cancel it. */
  cancelRequested: boolean;
}

/** Something the caller should know although the prompt goes on. */
export type PromptWarning =
  /** Some outputs failed validation and will be skipped (200 with `node_errors`). */
  | { kind: 'node_errors'; message: string; nodeErrors: Record<string, ComfyNodeErrors> }
  /** A node blocked its downstream (`execution_error` of type ExecutionBlocked); the run went on. */
  | { kind: 'execution_blocked'; message: string; nodeId: string; nodeType: string };

/** How a prompt ended, as the server's events said. */
export type PromptEnding =
  | { state: 'succeeded' }
  | { state: 'failed'; error: MessageData<'execution_error'> }
  /** `dequeued`: a cancel removed it from the queue before it ran, so the server has no history of it. */
  | { state: 'interrupted'; interrupted?: MessageData<'execution_interrupted'>; dequeued?: boolean }
  | { state: 'lost'; why: string };

const EXECUTION_EVENTS = new Set([
  'execution_start',
  'execution_cached',
  'executing',
  'progress',
  'progress_state',
  'executed',
]);

/** One prompt's tracking. */
export class PromptTracker {
  readonly warnings: PromptWarning[] = [];
  /** Fires on every change of progress or state. */
  readonly progress: Emitter<PromptProgress>;
  readonly previews: Emitter<PreviewFrame>;
  readonly texts: Emitter<TextFrame>;
  /** Fires once, when the state becomes terminal. */
  readonly settled: Emitter<PromptEnding>;
  /** Fires once, on `executing {node: null}` for this prompt: the server is done with it. */
  readonly finished: Emitter<void>;
  /** UI outputs from `executed` messages, node id to output; history is the authority, this a fallback. */
  readonly executedOutputs: Record<string, Record<string, unknown>> = {};
  ending?: PromptEnding;
  /** When the last message about this prompt arrived (ms since epoch). */
  lastEventAt = Date.now();
  sawFinished = false;
  cancelRequested = false;

  private stateValue: PromptState = 'submitting';
  private readonly buffered: (() => void)[] = [];
  private readonly nodeIds: Set<string>;
  private readonly cached = new Set<string>();
  private readonly done = new Set<string>();
  private current?: { node: string; display: string; value?: number; max?: number };

  constructor(
    public promptId: string,
    prompt: ApiPrompt,
    log: ComfyLog = silentLog,
  ) {
    this.nodeIds = new Set(Object.keys(prompt));
    this.progress = new Emitter(log);
    this.previews = new Emitter(log);
    this.texts = new Emitter(log);
    this.settled = new Emitter(log);
    this.finished = new Emitter(log);
  }

  /** The prompt's state. */
  get state(): PromptState {
    return this.stateValue;
  }

  /** True while the server may still run it. */
  get active(): boolean {
    return !isTerminal(this.stateValue);
  }

  /** A plain snapshot of the progress. */
  snapshot(): PromptProgress {
    const count = (s: Set<string>): number => [...s].filter((id) => this.nodeIds.has(id)).length;
    return {
      promptId: this.promptId,
      state: this.stateValue,
      nodesTotal: this.nodeIds.size,
      nodesCached: count(this.cached),
      nodesDone: count(this.done),
      currentNode: this.current?.display,
      value: this.current?.value,
      max: this.current?.max,
      cancelRequested: this.cancelRequested,
    };
  }

  /** The server accepted the prompt: it is queued, and events that came before the reply are applied. */
  accepted(nodeErrors: Record<string, ComfyNodeErrors>): void {
    this.moveTo('queued');
    const skipped = Object.keys(nodeErrors);
    if (skipped.length > 0) {
      const message = `${skipped.length} node(s) failed validation; the outputs they feed will be skipped`;
      this.warnings.push({ kind: 'node_errors', message, nodeErrors });
    }
    this.buffered.splice(0).forEach((apply) => apply());
  }

  /** Applies one message about this prompt (buffered while the submission is in flight). */
  handle(message: ServerMessage): void {
    if (this.stateValue === 'submitting') return void this.buffered.push(() => this.handle(message));
    this.lastEventAt = Date.now();
    if (message.type === 'executing' && message.data.node === null) return this.onFinished();
    if (!this.active) return;
    if (EXECUTION_EVENTS.has(message.type) && this.stateValue === 'queued') this.moveTo('running');
    this.apply(message);
    this.progress.fire(this.snapshot());
  }

  /** Applies a preview that belongs to this prompt. */
  preview(frame: PreviewFrame): void {
    if (this.stateValue === 'submitting') return void this.buffered.push(() => this.preview(frame));
    this.lastEventAt = Date.now();
    if (this.active) this.previews.fire(frame);
  }

  /** Applies a progress text of one of this prompt's nodes. */
  text(frame: TextFrame): void {
    if (this.active) this.texts.fire(frame);
  }

  /** The server runs it though no event said so (found by a resync): queued becomes running. */
  startedElsewhere(): void {
    if (this.stateValue !== 'queued') return;
    this.moveTo('running');
    this.progress.fire(this.snapshot());
  }

  /** Ends the prompt from outside the event stream: history, a cancel of a queued prompt, or loss. */
  settle(ending: PromptEnding): void {
    if (!this.active || !canMove(this.stateValue, ending.state)) return;
    this.moveTo(ending.state);
    this.ending = ending;
    this.current = undefined;
    this.progress.fire(this.snapshot());
    this.settled.fire(ending);
  }

  private apply(message: ServerMessage): void {
    switch (message.type) {
      case 'execution_cached':
        return message.data.nodes.forEach((n) => (this.cached.add(n), this.done.add(n)));
      case 'executing':
        return this.onExecuting(message.data.node!, message.data.display_node ?? message.data.node!);
      case 'progress':
        return this.onProgress(message.data);
      case 'progress_state':
        return this.onProgressState(message.data);
      case 'executed':
        this.done.add(message.data.node);
        if (message.data.output) this.executedOutputs[message.data.node] = message.data.output;
        return;
      case 'execution_success':
        return this.settle({ state: 'succeeded' });
      case 'execution_error':
        return this.onError(message.data);
      case 'execution_interrupted':
        return this.settle({ state: 'interrupted', interrupted: message.data });
      default:
        return;
    }
  }

  private onExecuting(node: string, display: string): void {
    // Servers without progress_state only say which node starts; the one before it has finished.
    if (this.current && this.current.node !== node) this.done.add(this.current.node);
    this.current = { node, display };
  }

  private onProgress(data: MessageData<'progress'>): void {
    const node = data.node ?? this.current?.node;
    if (!node) return;
    if (!this.current || this.current.node !== node) this.current = { node, display: node };
    this.current.value = data.value;
    this.current.max = data.max;
  }

  private onProgressState(data: MessageData<'progress_state'>): void {
    let running: (typeof data.nodes)[string] | undefined;
    for (const [id, node] of Object.entries(data.nodes)) {
      if (node.state === 'finished') this.done.add(node.real_node_id ?? id);
      else if (node.state === 'running') running = node;
    }
    if (!running) return void (this.current = undefined);
    const node = running.real_node_id ?? running.node_id;
    this.current = { node, display: running.display_node_id ?? node, value: running.value, max: running.max };
  }

  private onError(data: MessageData<'execution_error'>): void {
    if (data.exception_type === 'ExecutionBlocked') {
      const message = data.exception_message;
      this.warnings.push({
        kind: 'execution_blocked',
        message,
        nodeId: data.node_id,
        nodeType: data.node_type,
      });
      return;
    }
    this.settle({ state: 'failed', error: data });
  }

  private onFinished(): void {
    if (this.sawFinished) return;
    this.sawFinished = true;
    if (this.stateValue === 'queued') this.moveTo('running');
    this.current = undefined;
    this.finished.fire();
  }

  private moveTo(next: PromptState): void {
    assertMove(this.stateValue, next);
    this.stateValue = next;
  }
}
