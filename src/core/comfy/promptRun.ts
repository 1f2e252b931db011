/**
 * The handle a caller gets for a submitted prompt: its id, live progress and previews, its warnings, its
 * result, and a way to cancel it.
 */
import type { PreviewFrame, TextFrame } from '../protocol/binaryFrames';
import type { Disposable } from './events';
import type { PromptResult } from './finalise';
import type { OutputFolder } from './outputs';
import type { PromptSnapshot, PromptTracker, PromptWarning } from './promptTracker';

/** Options of `ComfyClient.submit`. */
export interface SubmitOptions {
  /** Sent as `extra_data` (e.g. `extra_pnginfo.workflow`, `preview_method`); `client_id` is added. */
  extraData?: Record<string, unknown>;
  /** The prompt id to use; default a fresh lowercase uuid v4, which every server from 2025-07 accepts. */
  promptId?: string;
  /** Download every output into this folder when the prompt ends. Default: no download. */
  outputDir?: OutputFolder;
  /** Queue at the front. */
  front?: boolean;
  /** Explicit priority (lower runs first); overrides `front`. */
  number?: number;
  /** Run only these output nodes and what they need. */
  partialExecutionTargets?: string[];
  /**
   * Listeners attached before the POST, so they see every event, even those that arrive before `submit`
   * resolves (an idle server can start and even finish a prompt before its reply).
   */
  onProgress?: (progress: PromptSnapshot) => void;
  onPreview?: (preview: PreviewFrame) => void;
  onText?: (text: TextFrame) => void;
}

/** Options of `ComfyClient.follow`: the listeners and output folder of {@link SubmitOptions}. */
export type FollowOptions = Pick<SubmitOptions, 'outputDir' | 'onProgress' | 'onPreview' | 'onText'>;

/** Attaches the listeners given in the submit options. */
export function attachListeners(tracker: PromptTracker, options: FollowOptions): void {
  if (options.onProgress) tracker.progress.on(options.onProgress);
  if (options.onPreview) tracker.previews.on(options.onPreview);
  if (options.onText) tracker.texts.on(options.onText);
}

/** A submitted prompt. */
export interface PromptRun {
  /** The id the server knows it by (ours, unless an old server chose its own). */
  readonly promptId: string;
  /** The queue priority the server used. */
  readonly number: number;
  /** Warnings so far: validation errors of skipped outputs (known at once), blocked nodes (later). */
  readonly warnings: readonly PromptWarning[];
  /** Its state and node progress now. */
  progress(): PromptSnapshot;
  /** Every change of progress or state. */
  onProgress(listener: (progress: PromptSnapshot) => void): Disposable;
  /** Preview images of this prompt's nodes. */
  onPreview(listener: (preview: PreviewFrame) => void): Disposable;
  /** Progress texts of this prompt's nodes. */
  onText(listener: (text: TextFrame) => void): Disposable;
  /**
   * Resolves when the prompt succeeded and its outputs are downloaded. Rejects with a RunnerError:
   * `execution_failed`, `interrupted`, `lost`, or a download's `server_unreachable`/`protocol`.
   */
  readonly result: Promise<PromptResult>;
  /** Asks the server to cancel it; the result then rejects with `interrupted`. */
  cancel(): Promise<void>;
}

/** Builds the handle over a tracker. */
export function makePromptRun(
  tracker: PromptTracker,
  number: number,
  result: Promise<PromptResult>,
  cancel: () => Promise<void>,
): PromptRun {
  // Callers that never read `result` must not crash the process with an unhandled rejection.
  result.catch(() => undefined);
  return {
    get promptId() {
      return tracker.promptId;
    },
    number,
    warnings: tracker.warnings,
    progress: () => tracker.snapshot(),
    onProgress: (listener) => tracker.progress.on(listener),
    onPreview: (listener) => tracker.previews.on(listener),
    onText: (listener) => tracker.texts.on(listener),
    result,
    cancel,
  };
}
