/**
 * Asking a server about one prompt id, outside any tracking: what makes submission idempotent. When a
 * `POST /prompt` fails after it may have reached the server (a timeout, a dropped connection), or when a
 * restarted runner takes back a job, the server is asked about the job's prompt id before anything is
 * submitted again (comfyui-protocol.md 4.6 and 7 #6).
 */
import { isRunnerError } from '../util/runnerError';
import type { ComfyHttp } from './http';
import { askServer, type PromptVerdict } from './resync';

/** What the server says about a prompt id: `running`, `pending`, `finished` with its history, or `unknown`. */
export type PromptLookup = PromptVerdict;

/** Asks the server's queue, then its history (and jobs API, when it has one) about one prompt id. */
export async function lookupPrompt(
  api: ComfyHttp,
  promptId: string,
  jobsApi: boolean,
): Promise<PromptLookup> {
  const verdict = (await askServer(api, [promptId], jobsApi)).get(promptId);
  return verdict ?? { kind: 'unknown' };
}

/**
 * Connection errors that happen before a request is written: the server cannot have seen the prompt.
 * Anything else that fails a submission (a reset, a hang-up, a timeout, a proxy's 502) may come after the
 * server read the whole request and queued the prompt.
 */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** True when a failed submission may have reached the server, so its outcome is unknown until asked. */
export function submitOutcomeUnknown(e: unknown): boolean {
  if (!isRunnerError(e, 'server_unreachable', 'timeout')) return false;
  const details = e.details as { code?: unknown; tls?: unknown } | undefined;
  if (details?.tls === true) return false;
  return typeof details?.code !== 'string' || !NEVER_SENT.has(details.code);
}

/** How often and how far apart {@link lookupPatiently} asks. */
export interface LookupRetry {
  /** @default 3 */
  attempts?: number;
  /** @default 500 */
  delayMs?: number;
}

/**
 * Asks `lookup` until it answers, up to `attempts` times: right after a submission failed, the server
 * may be briefly unreachable. Rejects with the last error when it never answers.
 */
export async function lookupPatiently(
  lookup: () => Promise<PromptLookup>,
  retry: LookupRetry = {},
): Promise<PromptLookup> {
  const attempts = Math.max(1, retry.attempts ?? 3);
  for (let i = 1; ; i++) {
    try {
      return await lookup();
    } catch (e) {
      if (i >= attempts || !isRunnerError(e, 'server_unreachable', 'timeout')) throw e;
      await new Promise((r) => setTimeout(r, retry.delayMs ?? 500));
    }
  }
}
