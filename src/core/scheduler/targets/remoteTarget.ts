/**
 * A ComfyUI server as a run target, through our wire client: local input files are uploaded first and the
 * prompt uses the names the server returned; the prompt is submitted under an id we choose (so every
 * event of it is forwarded from the first); outputs are downloaded into the job's folder, laid out as the
 * embedded target lays them out (remoteResults.ts); a prompt the server no longer knows ends `lost`;
 * aborting the signal cancels the prompt on the server (dequeued if it waits, interrupted if it runs).
 *
 * Submission is idempotent. The prompt id is chosen, and kept through `hooks.submitting` (a durable
 * scheduler writes it to its store), before the POST. When the POST fails in a way that may have reached
 * the server (a timeout, a dropped connection), the server is asked about that id before anything else
 * happens: a prompt it has is followed, and only a prompt it does not have counts as not submitted. A
 * restarted runner takes jobs back the same way (`resume`), under the same client id and prompt id.
 *
 * Downloads go to a hidden staging folder inside the job's folder and are renamed into place one by
 * one, so a file under its final name is always complete.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ComfyClient } from '../../comfy/client';
import { lookupPatiently, submitOutcomeUnknown, type PromptLookup } from '../../comfy/lookup';
import type { PromptRun } from '../../comfy/promptRun';
import type { ApiPrompt, NodeDefs } from '../../workflow/types';
import type { Job } from '../../jobs/job';
import { uploadLocalInputs, withLocalInputs } from './remoteInputs';
import { lostRemote, settleRemote } from './remoteResults';
import { rejectionWithProblems } from './rejectionWithProblems';
import type { ProbeResult, RunHooks, RunResult, RunTarget } from './runTarget';

/** Options of {@link remoteTarget}. */
export interface RemoteTargetOptions {
  /**
   * The client of the server; the target owns it and disposes it. Jobs taken back after a restart are
   * followed best under the client id that submitted them (the server sends a prompt's events to it).
   */
  client: ComfyClient;
  /** The folder LoadImage file names are looked up in before they are uploaded. */
  inputDir: string;
  /** The name shown to the user. @default the server's URL */
  name?: string;
  /** The server's node definitions, when the caller has them already. @default fetched on first run */
  definitions?: NodeDefs;
}

/** The server's `/object_info`, used to validate prompts before they are sent. */
export async function fetchNodeDefinitions(client: ComfyClient): Promise<NodeDefs> {
  const defs = await client.http.json(
    { route: 'object_info' },
    z.record(z.string(), z.looseObject({ input: z.looseObject({}) })),
  );
  return defs as unknown as NodeDefs;
}

/** What runs and resumptions on one server share. */
interface Remote {
  readonly client: ComfyClient;
  readonly name: string;
  readonly inputDir: string;
  readonly definitions: () => Promise<NodeDefs>;
}

/** One job on the server under one prompt id. */
interface Attempt {
  readonly job: Job;
  readonly hooks: RunHooks;
  readonly signal: AbortSignal;
  readonly promptId: string;
}

/** How an attempt gets hold of its prompt on the server; `confirmed` when the server said it has it. */
type Opener = (staging: string) => Promise<{ run: PromptRun; confirmed: boolean }>;

/** A run target over a ComfyUI server. */
export function remoteTarget(options: RemoteTargetOptions): RunTarget {
  const { client, inputDir } = options;
  let version: string | undefined;
  let defs: Promise<NodeDefs> | undefined = options.definitions && Promise.resolve(options.definitions);
  // Asked once and remembered; asked again after a failure.
  const definitions = (): Promise<NodeDefs> =>
    (defs ??= fetchNodeDefinitions(client).catch((e: unknown) => {
      defs = undefined;
      throw e;
    }));
  const name = options.name ?? client.http.server.base.href.replace(/\/$/, '');
  const remote: Remote = { client, name, inputDir, definitions };
  const noteVersion = async () => {
    version ??= (await client.capabilities().catch(() => undefined))?.version;
  };
  return {
    name,
    get version() {
      return version;
    },
    // Local input files count as present: they are uploaded before each prompt.
    capabilities: async () => withLocalInputs(await definitions(), inputDir),
    health: () => serverHealth(client),
    run: async (job, hooks, signal) => {
      await noteVersion();
      return runRemote(remote, job, hooks, signal);
    },
    resume: async (job, hooks, signal) => {
      await noteVersion();
      return resumeRemote(remote, job, hooks, signal);
    },
    dispose: () => client.dispose(),
  };
}

/** Up when the server answers `/system_stats` as a ComfyUI server; down with the reason otherwise. */
async function serverHealth(client: ComfyClient): Promise<ProbeResult> {
  try {
    await client.ping();
    return { up: true };
  } catch (e) {
    return { up: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Submits the job under a new prompt id, kept before the POST. */
async function runRemote(remote: Remote, job: Job, hooks: RunHooks, signal: AbortSignal): Promise<RunResult> {
  const prompt = await uploadedPrompt(remote, job);
  if (signal.aborted) return { status: 'interrupted', outputs: [] };
  const promptId = randomUUID();
  // Whatever becomes of the POST, this id is what the server is asked about before any resubmission.
  await hooks.submitting?.(promptId);
  if (signal.aborted) return { status: 'interrupted', outputs: [] };
  const attempt = { job, hooks, signal, promptId };
  return followThrough(remote.client, attempt, (staging) => submitOnce(remote, prompt, attempt, staging));
}

/**
 * Takes back a job that was on the server under `job.promptId`: followed if the server has it (finished
 * meanwhile: its outputs are collected), lost if the server accepted it once and no longer knows it, and
 * submitted under the same id if it was never accepted and the server does not have it. A server that
 * cannot be asked now is followed anyway: it is polled, and the job ends lost if it stays unreachable.
 */
async function resumeRemote(
  remote: Remote,
  job: Job,
  hooks: RunHooks,
  signal: AbortSignal,
): Promise<RunResult> {
  const promptId = job.promptId;
  if (promptId === undefined) return runRemote(remote, job, hooks, signal);
  const { client } = remote;
  const attempt = { job, hooks, signal, promptId };
  // A runner that died mid-download may have left part of a file in the staging folder.
  await rm(stagingOf(job, promptId), { recursive: true, force: true });
  const verdict = await askPatiently(client, promptId);
  const accepted = job.state === 'running' || job.times.accepted !== undefined;
  if (verdict?.kind === 'unknown' && accepted) return lostRemote(promptId, remote.name);
  if (verdict?.kind === 'unknown') {
    const prompt = await uploadedPrompt(remote, job);
    if (signal.aborted) return { status: 'interrupted', outputs: [] };
    return followThrough(client, attempt, (staging) => submitOnce(remote, prompt, attempt, staging));
  }
  return followThrough(client, attempt, async (staging) => ({
    run: await client.follow(promptId, job.prompt, { outputDir: staging }),
    confirmed: verdict !== undefined,
  }));
}

/** The job's prompt with local input files uploaded and named as the server named them. */
async function uploadedPrompt(remote: Remote, job: Job): Promise<ApiPrompt> {
  const upload = (data: Uint8Array, filename: string, subfolder: string) =>
    remote.client.uploadImage(data, filename, { subfolder });
  return uploadLocalInputs(job.prompt, await remote.definitions(), remote.inputDir, upload);
}

/** The server's answer about a prompt id, or undefined when it cannot be asked (after a few tries). */
function askPatiently(client: ComfyClient, promptId: string): Promise<PromptLookup | undefined> {
  return lookupPatiently(() => client.lookup(promptId)).catch(() => undefined);
}

/**
 * POSTs the prompt once. A failure that may have reached the server is not taken at its word: the
 * server is asked about the prompt id, and a prompt it has (or that it cannot be asked about) is
 * followed; only a prompt it does not have rethrows the failure, as never submitted.
 */
async function submitOnce(
  remote: Remote,
  prompt: ApiPrompt,
  a: Attempt,
  staging: string,
): Promise<{ run: PromptRun; confirmed: boolean }> {
  const { client } = remote;
  const extraData = a.job.extraPngInfo ? { extra_pnginfo: a.job.extraPngInfo } : undefined;
  try {
    const run = await client.submit(prompt, { promptId: a.promptId, extraData, outputDir: staging });
    return { run, confirmed: true };
  } catch (e) {
    if (!submitOutcomeUnknown(e)) throw rejectionWithProblems(e, a.job);
    const verdict = await askPatiently(client, a.promptId);
    if (verdict?.kind === 'unknown') throw e;
    const run = await client.follow(a.promptId, a.job.prompt, { outputDir: staging });
    return { run, confirmed: verdict !== undefined };
  }
}

/** The hidden folder a prompt's outputs are downloaded to before they are moved into place. */
function stagingOf(job: Job, promptId: string): string {
  return join(job.outDir, `.download-${promptId}`);
}

/** Forwards the socket's messages about one prompt to the hooks, from before it is submitted. */
function forwardEvents(client: ComfyClient, promptId: string, hooks: RunHooks, start: () => void) {
  return client.socket.messages.on((message) => {
    if ((message.data as { prompt_id?: unknown }).prompt_id !== promptId) return;
    if (message.type === 'execution_start') start();
    hooks.event(message);
  });
}

/**
 * Opens the attempt's prompt on the server and follows it to a result: events forwarded, acceptance
 * reported once the server confirmed it, a start found by polling reported too, an abort turned into
 * a cancel on the server, and the staging folder removed however it ends.
 */
async function followThrough(client: ComfyClient, a: Attempt, open: Opener): Promise<RunResult> {
  const { job, hooks, signal, promptId } = a;
  const staging = stagingOf(job, promptId);
  // The start is told once, whether `execution_start` or a poll of a silent prompt shows it first.
  let started = false;
  const start = () => {
    if (!started) hooks.started();
    started = true;
  };
  const forwarding = forwardEvents(client, promptId, hooks, start);
  // Cancelling before the server answered is fine: the client cancels as soon as it has.
  const onAbort = () => void client.cancel(promptId).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { run, confirmed } = await open(staging);
    if (signal.aborted) void run.cancel().catch(() => undefined);
    if (confirmed) hooks.accepted(run.promptId);
    for (const w of run.warnings) hooks.warning(w.message);
    const starts = run.onProgress((p) => {
      if (p.state === 'running') start();
    });
    try {
      if (run.progress().state === 'running') start();
      return await settleRemote(run.result, job);
    } finally {
      starts.dispose();
    }
  } finally {
    forwarding.dispose();
    signal.removeEventListener('abort', onAbort);
    await rm(staging, { recursive: true, force: true });
  }
}
