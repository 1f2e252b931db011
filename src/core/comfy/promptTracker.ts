/**
 * Follows one prompt through the server's messages: its state (promptState.ts), its node progress (the
 * protocol's one reducer, protocol/promptProgress.ts), its previews and its warnings. Pure: no I/O and no
 * timers; the client feeds it messages and acts on what it announces (`settled` when a terminal event
 * arrives, `finished` on `executing {node: null}`).
 */
import type { ApiPrompt, ComfyNodeErrors } from '../workflow/types';
import type { PreviewFrame, TextFrame } from '../protocol/binaryFrames';
import { type ComfyLog, Emitter, silentLog } from './events';
import type { MessageData, ServerMessage } from '../protocol/comfyMessages';
import {
  applyProgressMessage,
  completeProgress,
  initialProgress,
  stopProgress,
  type PromptProgress,
} from '../protocol/promptProgress';
import { assertMove, canMove, isTerminal, type PromptState } from './promptState';

/** A snapshot of a prompt: its state and its node progress, safe to send anywhere (plain JSON). */
export interface PromptSnapshot {
  promptId: string;
  state: PromptState;
  /** Its nodes: how many there are, which came from the cache, run (with their steps) or are done. */
  nodes: PromptProgress;
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
  readonly progress: Emitter<PromptSnapshot>;
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
  private readonly nodes: PromptProgress;

  constructor(
    public promptId: string,
    prompt: ApiPrompt,
    log: ComfyLog = silentLog,
  ) {
    this.nodes = initialProgress(prompt);
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

  /** A plain snapshot of the state and progress; a copy, which the tracker never changes. */
  snapshot(): PromptSnapshot {
    return {
      promptId: this.promptId,
      state: this.stateValue,
      nodes: structuredClone(this.nodes),
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
    applyProgressMessage(this.nodes, message);
    this.apply(message);
    this.progress.fireLazy(() => this.snapshot());
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
    this.progress.fireLazy(() => this.snapshot());
  }

  /** Ends the prompt from outside the event stream: history, a cancel of a queued prompt, or loss. */
  settle(ending: PromptEnding): void {
    if (!this.active || !canMove(this.stateValue, ending.state)) return;
    this.moveTo(ending.state);
    this.ending = ending;
    if (ending.state === 'succeeded') completeProgress(this.nodes);
    else stopProgress(this.nodes);
    this.progress.fireLazy(() => this.snapshot());
    this.settled.fire(ending);
  }

  /** What a message means for the prompt beyond its node progress: outputs, warnings, its end. */
  private apply(message: ServerMessage): void {
    switch (message.type) {
      case 'executed':
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
    stopProgress(this.nodes);
    this.finished.fire();
  }

  private moveTo(next: PromptState): void {
    assertMove(this.stateValue, next);
    this.stateValue = next;
  }
}
