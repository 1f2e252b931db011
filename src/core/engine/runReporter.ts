/**
 * The order and payloads of one prompt run's events (their types are ComfyUI's, from
 * protocol/executionMessages.ts): what the executor reports as nodes start, step, publish previews and
 * finish, turned into ComfyUI's messages in ComfyUI's order.
 */
import type { ExecutionData } from '../protocol/executionMessages';
import type { EngineEvent } from './engineEvents';
import type { PreviewImage, UiOutput } from './types';

type ExecutionErrorData = ExecutionData<'execution_error'>;
type ExecutionInterruptedData = ExecutionData<'execution_interrupted'>;
/** One node's entry in a `progress_state` snapshot; `parent_node_id` is always null (no expansion here). */
type NodeProgressState = ExecutionData<'progress_state'>['nodes'][string];

/**
 * Above this many non-pending nodes, `progress_state` snapshots are spaced out (see {@link RunReporter}).
 * Up to it a snapshot is at most ~12 KB and sending every one costs little; past it, a snapshot on every
 * change costs time and bytes growing with the square of the prompt's size.
 */
export const SMALL_SNAPSHOT_LIMIT = 64;
/** The least time between two large `progress_state` snapshots. */
export const LARGE_SNAPSHOT_INTERVAL_MS = 100;
/** The least time between two `progress` events of one node (the final step always goes out). */
const PROGRESS_INTERVAL_MS = 50;

/**
 * How often `progress_state` goes out: `coalesced` spaces out large snapshots (see {@link RunReporter});
 * `every-change` sends one on every change whatever the prompt's size, as ComfyUI does, for comparisons.
 */
export type ProgressStatePolicy = 'coalesced' | 'every-change';

/**
 * Emits the events of one prompt run in ComfyUI's order (comfyui-protocol.md 3.6): `progress_state`
 * before `executing` when a node starts, before `progress` on a step, after `executed` when it finishes.
 * Each `progress_state` is a full snapshot, as ComfyUI sends. A snapshot costs time linear in the nodes
 * it lists, so (policy `coalesced`) once more than {@link SMALL_SNAPSHOT_LIMIT} nodes are listed,
 * snapshots go out at most every 100 ms instead of on every change: the newest state once the interval
 * has passed (on a timer, so a long node without steps does not hold it back) and always one before the
 * terminal event. Every snapshot is current where it stands among the events; smaller prompts see every
 * change, as on the server. `progress` is throttled to one event per node every 50 ms, except steps that
 * carry a preview.
 */
export class RunReporter {
  /** The nodes that ran to completion in this prompt, in completion order. */
  readonly executed: string[] = [];
  private readonly states = new Map<string, NodeProgressState>();
  private readonly lastProgress = new Map<string, number>();
  private lastSnapshotAt = 0;
  private snapshotOwed = false;
  /** The timer that sends an owed snapshot once the interval has passed. */
  private owedTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly promptId: string,
    private readonly emit: (event: EngineEvent) => void,
    private readonly policy: ProgressStatePolicy = 'coalesced',
  ) {}

  /** `execution_start`. */
  start(): void {
    this.emit({ type: 'execution_start', data: { prompt_id: this.promptId, timestamp: Date.now() } });
  }

  /** `execution_cached` with the nodes served from the cache. */
  cached(nodes: string[]): void {
    this.emit({ type: 'execution_cached', data: { nodes, prompt_id: this.promptId, timestamp: Date.now() } });
  }

  /** A node starts: it shows as running, then `executing`. */
  nodeStarted(id: string): void {
    this.setState(id, 0, 1, 'running');
    this.emit({ type: 'executing', data: { node: id, display_node: id, prompt_id: this.promptId } });
  }

  /**
   * A step of a running node; dropped when it comes too soon after the node's previous one, unless it
   * carries a preview. With a preview the order is ComfyUI's progress hook's: `progress_state`, the
   * preview, `progress` (the server moves a legacy type-1 frame after `progress`, where ComfyUI sends it).
   */
  nodeProgress(id: string, value: number, max: number, preview?: PreviewImage): void {
    const now = performance.now();
    const last = this.lastProgress.get(id);
    if (!preview && last !== undefined && value < max && now - last < PROGRESS_INTERVAL_MS) return;
    this.lastProgress.set(id, now);
    this.setState(id, value, max, 'running');
    if (preview) {
      const { format, bytes } = preview;
      const data = { prompt_id: this.promptId, node: id, display_node: id, format, bytes };
      this.emit({ type: 'preview', data });
    }
    this.emit({ type: 'progress', data: { value, max, prompt_id: this.promptId, node: id } });
  }

  /** A node finished: `executed` if it has UI output, then it shows as finished. */
  nodeFinished(id: string, ui: UiOutput | undefined): void {
    this.executed.push(id);
    if (ui) this.emitExecuted(id, ui);
    this.finishState(id);
  }

  /** A cached output node replays its UI (null if it had none) and shows as finished, as ComfyUI does. */
  cachedOutput(id: string, ui: UiOutput | undefined): void {
    this.emitExecuted(id, ui ?? null);
    this.finishState(id);
  }

  /** `execution_success`. */
  success(): void {
    this.flushSnapshot();
    this.emit({ type: 'execution_success', data: { prompt_id: this.promptId, timestamp: Date.now() } });
  }

  /** `execution_error`; returns its payload. */
  error(fields: Omit<ExecutionErrorData, 'prompt_id' | 'executed' | 'timestamp'>): ExecutionErrorData {
    this.flushSnapshot();
    const data: ExecutionErrorData = {
      prompt_id: this.promptId,
      node_id: fields.node_id,
      node_type: fields.node_type,
      executed: [...this.executed],
      exception_message: fields.exception_message,
      exception_type: fields.exception_type,
      traceback: fields.traceback,
      current_inputs: fields.current_inputs,
      current_outputs: fields.current_outputs,
      timestamp: Date.now(),
    };
    this.emit({ type: 'execution_error', data });
    return data;
  }

  /** `execution_interrupted`; returns its payload. */
  interrupted(nodeId: string, nodeType: string): ExecutionInterruptedData {
    this.flushSnapshot();
    const data: ExecutionInterruptedData = {
      prompt_id: this.promptId,
      node_id: nodeId,
      node_type: nodeType,
      executed: [...this.executed],
      timestamp: Date.now(),
    };
    this.emit({ type: 'execution_interrupted', data });
    return data;
  }

  /** The closing `executing {node: null}`. */
  done(): void {
    this.cancelOwed();
    this.emit({ type: 'executing', data: { node: null, prompt_id: this.promptId } });
  }

  private emitExecuted(id: string, output: UiOutput | null): void {
    this.emit({ type: 'executed', data: { node: id, display_node: id, output, prompt_id: this.promptId } });
  }

  private finishState(id: string): void {
    const max = this.states.get(id)?.max ?? 1;
    this.setState(id, max, max, 'finished');
  }

  private setState(id: string, value: number, max: number, state: NodeProgressState['state']): void {
    // Entries are replaced, never changed, so every snapshot can share them.
    this.states.set(id, {
      value,
      max,
      state,
      node_id: id,
      prompt_id: this.promptId,
      display_node_id: id,
      parent_node_id: null,
      real_node_id: id,
    });
    if (this.snapshotOwed) return;
    const wait = this.snapshotWait();
    if (wait <= 0) return this.emitSnapshot();
    this.snapshotOwed = true;
    this.owedTimer = setTimeout(() => this.emitSnapshot(), wait);
    this.owedTimer.unref();
  }

  /** How long the next snapshot must wait; zero or less sends it now. */
  private snapshotWait(): number {
    if (this.policy === 'every-change' || this.states.size <= SMALL_SNAPSHOT_LIMIT) return 0;
    return this.lastSnapshotAt + LARGE_SNAPSHOT_INTERVAL_MS - performance.now();
  }

  private flushSnapshot(): void {
    if (this.snapshotOwed) this.emitSnapshot();
  }

  private cancelOwed(): void {
    clearTimeout(this.owedTimer);
    this.owedTimer = undefined;
    this.snapshotOwed = false;
  }

  private emitSnapshot(): void {
    this.cancelOwed();
    this.lastSnapshotAt = performance.now();
    const nodes: Record<string, NodeProgressState> = {};
    for (const [id, entry] of this.states) nodes[id] = entry;
    this.emit({ type: 'progress_state', data: { prompt_id: this.promptId, nodes } });
  }
}
