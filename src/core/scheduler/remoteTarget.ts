/**
 * A ComfyUI server as a run target, through our wire client: local input files are uploaded first and the
 * prompt uses the names the server returned; the prompt is submitted under an id we choose (so every
 * event of it is forwarded from the first); failures become JobErrors with ComfyUI's node, exception
 * and traceback; outputs are downloaded into the job's folder, laid out as the embedded target lays
 * them out; a prompt the server no longer knows ends `lost`; aborting the signal cancels the prompt on the
 * server (dequeued if it waits, interrupted if it runs).
 *
 * Downloads go to a hidden staging folder inside the job's folder and are renamed into place one by
 * one, so a file under its final name is always complete.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ComfyClient } from '../comfy/client';
import type { PromptFailureDetails, PromptResult } from '../comfy/finalise';
import type { DownloadedFile } from '../comfy/outputs';
import { isRunnerError, RunnerError } from '../errors';
import { copyFileAtomic } from '../util/atomicWrite';
import type { NodeDefs } from '../workflow/types';
import type { Job, JobError, JobOutput } from './job';
import { uploadLocalInputs, withLocalInputs } from './remoteInputs';
import { describeOutput, outputDestination, outputRefs } from './runRecord';
import { rejectionWithProblems } from './rejection';
import type { RunHooks, RunResult, RunTarget } from './runTarget';

/** Options of {@link remoteTarget}. */
export interface RemoteTargetOptions {
  /** The client of the server; the target owns it and disposes it. */
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
  return {
    name: options.name ?? client.http.server.base.href.replace(/\/$/, ''),
    get version() {
      return version;
    },
    // Local input files count as present: they are uploaded before each prompt.
    capabilities: async () => withLocalInputs(await definitions(), inputDir),
    run: async (job, hooks, signal) => {
      version ??= (await client.capabilities().catch(() => undefined))?.version;
      return runRemote(client, { defs: await definitions(), inputDir }, job, hooks, signal);
    },
    dispose: () => client.dispose(),
  };
}

/** Forwards the socket's messages about one prompt to the hooks, from before it is submitted. */
function forwardEvents(client: ComfyClient, promptId: string, hooks: RunHooks) {
  return client.socket.messages.on((message) => {
    if ((message.data as { prompt_id?: unknown }).prompt_id !== promptId) return;
    if (message.type === 'execution_start') hooks.started();
    hooks.event(message);
  });
}

async function runRemote(
  client: ComfyClient,
  setup: { defs: NodeDefs; inputDir: string },
  job: Job,
  hooks: RunHooks,
  signal: AbortSignal,
): Promise<RunResult> {
  const upload = (data: Uint8Array, filename: string, subfolder: string) =>
    client.uploadImage(data, filename, { subfolder });
  const prompt = await uploadLocalInputs(job.prompt, setup.defs, setup.inputDir, upload);
  if (signal.aborted) return { status: 'interrupted', outputs: [] };
  const promptId = randomUUID();
  const staging = join(job.outDir, `.download-${promptId}`);
  const forwarding = forwardEvents(client, promptId, hooks);
  // Cancelling before the server answered is fine: the client cancels as soon as it has.
  const onAbort = () => void client.cancel(promptId).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const extraData = job.extraPngInfo ? { extra_pnginfo: job.extraPngInfo } : undefined;
    const run = await client
      .submit(prompt, { promptId, extraData, outputDir: staging })
      .catch((e: unknown) => {
        throw rejectionWithProblems(e, job);
      });
    hooks.accepted(run.promptId);
    for (const w of run.warnings) hooks.warning(w.message);
    return await settle(run.result, job);
  } finally {
    forwarding.dispose();
    signal.removeEventListener('abort', onAbort);
    await rm(staging, { recursive: true, force: true });
  }
}

/** The run's ending as a RunResult, with every output that was produced moved into the job's folder. */
async function settle(result: Promise<PromptResult>, job: Job): Promise<RunResult> {
  let done: PromptResult;
  try {
    done = await result;
  } catch (e) {
    if (!isRunnerError(e, 'execution_failed', 'interrupted', 'lost')) throw e;
    const details = e.details as PromptFailureDetails | undefined;
    const outputs = details ? await collect(details.outputs, details.files, job.outDir) : [];
    if (e.reason === 'interrupted') return { status: 'interrupted', outputs };
    return { status: 'error', outputs, error: jobError(e, details) };
  }
  return { status: 'success', outputs: await collect(done.outputs, done.files, job.outDir) };
}

/** The JobError of a failed or lost prompt. */
function jobError(e: RunnerError, details: PromptFailureDetails | undefined): JobError {
  const error = details?.error;
  if (e.reason !== 'execution_failed' || !error) return { message: e.message, reason: e.reason };
  const traceback = typeof error.traceback === 'string' ? [error.traceback] : error.traceback;
  return {
    message: `${error.exception_type}: ${error.exception_message}`,
    reason: 'execution_failed',
    node_id: error.node_id,
    node_type: error.node_type,
    exception_type: error.exception_type,
    traceback,
  };
}

const keyOf = (f: { type: string; subfolder: string; filename: string }) =>
  `${f.type}\u0000${f.subfolder}\u0000${f.filename}`;

/** Moves downloaded files to where the embedded target would have put them; one JobOutput per listed file. */
async function collect(
  ui: Record<string, Record<string, unknown>>,
  files: DownloadedFile[],
  outDir: string,
): Promise<JobOutput[]> {
  const downloaded = new Map(files.map((f) => [keyOf(f), f.path]));
  const placed = new Map<string, string>();
  const outputs: JobOutput[] = [];
  for (const ref of outputRefs(ui as Record<string, Record<string, unknown[]>>)) {
    const from = placed.get(keyOf(ref)) ?? downloaded.get(keyOf(ref));
    const to = outputDestination(outDir, ref);
    if (!from) continue;
    if (!to)
      throw new RunnerError('protocol', `output name escapes its folder: ${ref.subfolder}/${ref.filename}`);
    if (placed.has(keyOf(ref))) await copyFileAtomic(from, to);
    else {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
      placed.set(keyOf(ref), to);
    }
    outputs.push(await describeOutput(outDir, to, ref));
  }
  return outputs;
}
