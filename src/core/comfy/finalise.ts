/**
 * What happens once the server is done with a prompt: read `/history/{id}` (the authority on status and
 * outputs; retried briefly because it can lag the last event), settle the tracker from it if the events did
 * not, download the outputs, and turn the ending into a result or a {@link RunnerError}.
 */
import { RunnerError } from '../util/runnerError';
import { getHistoryEntry } from './endpoints';
import type { ComfyHttp } from './http';
import type { MessageData } from '../protocol/comfyMessages';
import { executionErrorMessage, executionInterruptedMessage } from '../protocol/comfyMessages';
import type { DownloadLimits } from './downloadLimits';
import { type DownloadedFile, downloadOutputs, type OutputFolder } from './outputs';
import { distinctFiles, outputRefs } from '../protocol/outputRefs';
import type { PromptEnding, PromptTracker, PromptWarning } from './promptTracker';
import type { HistoryEntry } from './replies';

/** A prompt that ran to the end. */
export interface PromptResult {
  promptId: string;
  /** Node id to UI output, from history (or from `executed` messages if history had nothing). */
  outputs: Record<string, Record<string, unknown>>;
  /** Downloaded files; empty when no output folder was given. */
  files: DownloadedFile[];
  warnings: PromptWarning[];
  /** The history entry, when the server had one. */
  history?: HistoryEntry;
}

/** What the details of a failed, interrupted or lost prompt's error carry. */
export interface PromptFailureDetails {
  promptId: string;
  /** The `execution_error` payload, for `execution_failed`. */
  error?: MessageData<'execution_error'>;
  /** The `execution_interrupted` payload, when there was one. */
  interrupted?: MessageData<'execution_interrupted'>;
  /** True when we asked for the cancel; false means someone else (another client, the browser UI). */
  cancelledByUs?: boolean;
  /** Outputs produced before the end; kept by the server and downloaded like a success's. */
  outputs: Record<string, Record<string, unknown>>;
  files: DownloadedFile[];
  warnings: PromptWarning[];
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Reads a prompt's history entry, re-reading while it is still `{}`. */
export async function readHistory(
  api: ComfyHttp,
  promptId: string,
  attempts = 10,
  delayMs = 200,
): Promise<HistoryEntry | undefined> {
  for (let i = 0; i < attempts; i++) {
    const entry = await getHistoryEntry(api, promptId);
    if (entry) return entry;
    if (i + 1 < attempts) await sleep(delayMs);
  }
  return undefined;
}

/** The ending a history entry records. */
export function endingFromHistory(entry: HistoryEntry): PromptEnding {
  const messages = entry.status?.messages ?? [];
  const find = (type: string): unknown => messages.find((m) => m[0] === type)?.[1];
  if (entry.status?.status_str === 'success') return { state: 'succeeded' };
  const interrupted = executionInterruptedMessage.safeParse(find('execution_interrupted'));
  if (interrupted.success) return { state: 'interrupted', interrupted: interrupted.data };
  const error = executionErrorMessage.safeParse(find('execution_error'));
  if (error.success) return { state: 'failed', error: error.data };
  if (!entry.status) return { state: 'succeeded' };
  return { state: 'failed', error: unknownError(entry) };
}

function unknownError(entry: HistoryEntry): MessageData<'execution_error'> {
  const promptId = String(entry.prompt?.[1] ?? '');
  const message = `The server recorded status "${entry.status?.status_str}" without an error message`;
  return { prompt_id: promptId, node_id: '', node_type: '', exception_message: message, exception_type: '' };
}

/**
 * Concludes a prompt the server is done with: settles it from its history entry (if the events did not),
 * downloads its outputs into `outputDir` (if given, each held to `limits`), and resolves with the result or throws the failure.
 * Without a history entry, the ending the events gave stands, with the outputs `executed` messages listed;
 * with neither, the prompt is lost.
 */
export async function concludePrompt(
  api: ComfyHttp,
  tracker: PromptTracker,
  history: HistoryEntry | undefined,
  outputDir: OutputFolder | undefined,
  limits?: DownloadLimits,
): Promise<PromptResult> {
  if (history) tracker.settle(endingFromHistory(history));
  else if (!tracker.ending) tracker.settle({ state: 'lost', why: 'the server has no history of it' });
  const outputs =
    history && Object.keys(history.outputs).length > 0 ? history.outputs : tracker.executedOutputs;
  const ending = tracker.ending!;
  const downloadable = ending.state !== 'lost' && !(ending.state === 'interrupted' && ending.dequeued);
  // A server file listed twice (a cached node re-reporting it) is downloaded once.
  const files =
    outputDir && downloadable
      ? await downloadOutputs(api, distinctFiles(outputRefs(outputs)), outputDir, limits)
      : [];
  if (ending.state === 'succeeded') {
    return { promptId: tracker.promptId, outputs, files, warnings: tracker.warnings, history };
  }
  throw failure(tracker, ending, { promptId: tracker.promptId, outputs, files, warnings: tracker.warnings });
}

/** The error for a prompt that did not succeed. */
export function failure(
  tracker: PromptTracker,
  ending: PromptEnding,
  base: PromptFailureDetails,
): RunnerError {
  const id = tracker.promptId;
  switch (ending.state) {
    case 'failed': {
      const e = ending.error;
      const details = { ...base, error: e };
      const location = { nodeId: e.node_id, classType: e.node_type };
      return new RunnerError(
        'execution_failed',
        `${e.node_type} (node ${e.node_id}) failed: ${e.exception_message.trim()}`,
        location,
        details,
      );
    }
    case 'interrupted': {
      const byUs = tracker.cancelRequested;
      const details = { ...base, interrupted: ending.interrupted, cancelledByUs: byUs };
      const who = byUs ? 'cancelled' : 'interrupted by another client';
      return new RunnerError('interrupted', `Prompt ${id} was ${who}`, {}, details);
    }
    case 'lost':
      return new RunnerError('lost', `Prompt ${id} is lost: ${ending.why}`, {}, base);
    default:
      return new RunnerError('internal', `Prompt ${id} ended as ${ending.state}`);
  }
}
