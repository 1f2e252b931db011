/**
 * Idempotent submission (comfyui-protocol.md 4.6, 7 #6): a prompt goes to the server under an id the
 * caller chose and kept beforehand, so that whatever becomes of the POST, the server can be asked about
 * that id before the prompt is ever submitted again. A POST that fails in a way that may have reached the
 * server (a timeout, a dropped connection) is not taken at its word: the server is asked, a prompt it has
 * is followed, and only a prompt it does not have counts as never submitted. A restarted runner takes its
 * prompts back the same way ({@link resumePrompt}).
 */
import type { ApiPrompt } from '../workflow/types';
import { lookupPatiently, type PromptLookup, submitOutcomeUnknown } from './lookup';
import type { FollowOptions, PromptRun, SubmitOptions } from './promptRun';

/** The client calls idempotent submission is made of (`ComfyClient` has them). */
export interface PromptCalls {
  submit(prompt: ApiPrompt, options: SubmitOptions): Promise<PromptRun>;
  follow(promptId: string, prompt: ApiPrompt, options: FollowOptions): Promise<PromptRun>;
  lookup(promptId: string): Promise<PromptLookup>;
}

/** Options of {@link submitIdempotent}: those of `submit`, with the prompt id required. */
export type IdempotentSubmitOptions = SubmitOptions & {
  /** The id chosen, and kept where it survives a crash, before the call. */
  promptId: string;
};

/** A prompt the client follows now. */
export interface OpenedPrompt {
  readonly run: PromptRun;
  /**
   * True when the server accepted the submission or said it has the prompt; false when it could not be
   * asked, so the prompt is followed on trust (polled, and `lost` if the server stays unreachable).
   */
  readonly confirmed: boolean;
}

/** What {@link resumePrompt} found: the server does not know the id, or the prompt is followed. */
export type Resumption = { kind: 'unknown' } | ({ kind: 'following' } & OpenedPrompt);

/** The listeners and output folder of submit options, for following the same prompt instead. */
function followOptions(options: SubmitOptions): FollowOptions {
  const { outputDir, onProgress, onPreview, onText } = options;
  return { outputDir, onProgress, onPreview, onText };
}

/**
 * The server's answer about a prompt id, asked a few times (right after a failed submission the server
 * may be briefly unreachable); undefined when it could not be asked.
 */
function askPatiently(calls: PromptCalls, promptId: string): Promise<PromptLookup | undefined> {
  return lookupPatiently(() => calls.lookup(promptId)).catch(() => undefined);
}

/**
 * Submits `prompt` once under `options.promptId`. A failure that may have reached the server is followed
 * by a question about the id: a prompt the server has, or that it cannot be asked about, is followed;
 * only a prompt it does not have rethrows the failure, which then means never submitted. Any other
 * failure (a rejection, refused credentials, a refused connection) is thrown as `submit` threw it.
 */
export async function submitIdempotent(
  calls: PromptCalls,
  prompt: ApiPrompt,
  options: IdempotentSubmitOptions,
): Promise<OpenedPrompt> {
  try {
    return { run: await calls.submit(prompt, options), confirmed: true };
  } catch (e) {
    if (!submitOutcomeUnknown(e)) throw e;
    const verdict = await askPatiently(calls, options.promptId);
    if (verdict?.kind === 'unknown') throw e;
    const run = await calls.follow(options.promptId, prompt, followOptions(options));
    return { run, confirmed: verdict !== undefined };
  }
}

/**
 * Takes back a prompt submitted earlier under `promptId` (perhaps by a runner that has since died): the
 * server is asked about it, and a prompt it has (pending, running or finished) is followed, as is one it
 * cannot be asked about now. `unknown` means the server does not have it, and nothing is followed: the
 * caller decides whether it is lost or was never submitted.
 */
export async function resumePrompt(
  calls: PromptCalls,
  promptId: string,
  prompt: ApiPrompt,
  options: FollowOptions,
): Promise<Resumption> {
  const verdict = await askPatiently(calls, promptId);
  if (verdict?.kind === 'unknown') return { kind: 'unknown' };
  const run = await calls.follow(promptId, prompt, options);
  return { kind: 'following', run, confirmed: verdict !== undefined };
}
