/**
 * Shared set-up for tests that run the client against a replayed recording: a fake server, a client with
 * short timings (the replay has no real delays), a temporary output folder, and clean-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComfyClient, type ComfyClientOptions } from '../../../src/core/comfy/client';
import type { PromptRun } from '../../../src/core/comfy/promptRun';
import type { PromptSnapshot } from '../../../src/core/comfy/promptTracker';
import { RunnerError } from '../../../src/core/util/runnerError';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { type ReplayOptions, ReplayServer } from '../../fakes/replayServer';
import { type HttpLine, loadTranscript } from '../../fakes/replayTranscript';

/** Timings short enough for a replay, long enough not to trip on a busy machine. */
export const fastTimings: Partial<ComfyClientOptions> = {
  pollIntervalMs: 40,
  silenceMs: 250,
  lostAfterMs: 400,
  finishGraceMs: 150,
  historyAttempts: 5,
  historyDelayMs: 20,
  socket: { initialBackoffMs: 20, maxBackoffMs: 100, pingIntervalMs: 5_000 },
};

/** One test's fake server, client and output folder. */
export interface Rig {
  fake: ReplayServer;
  client: ComfyClient;
  outputDir: string;
}

const rigs: Rig[] = [];

/** Starts a fake for `scenario` and a client for it; {@link closeRigs} cleans up. */
export async function startRig(
  scenario: string,
  fakeOptions: ReplayOptions = {},
  clientOptions: Partial<ComfyClientOptions> = {},
): Promise<Rig> {
  const fake = await ReplayServer.start(scenario, fakeOptions);
  const client = new ComfyClient({ baseUrl: fake.baseUrl, ...fastTimings, ...clientOptions });
  const rig = { fake, client, outputDir: mkdtempSync(join(tmpdir(), 'comfy-replay-')) };
  rigs.push(rig);
  return rig;
}

/** Disposes every rig started since the last call. */
export async function closeRigs(): Promise<void> {
  for (const rig of rigs.splice(0)) {
    await rig.client.dispose();
    await rig.fake.stop().catch(() => undefined);
    rmSync(rig.outputDir, { recursive: true, force: true });
  }
}

/** Resolves with the first progress snapshot that satisfies `when` (checking the current one first). */
export function progressWhere(run: PromptRun, when: (p: PromptSnapshot) => boolean): Promise<PromptSnapshot> {
  return new Promise((resolve) => {
    if (when(run.progress())) return resolve(run.progress());
    const sub = run.onProgress((p) => {
      if (!when(p)) return;
      sub.dispose();
      resolve(p);
    });
  });
}

/** The RunnerError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejectionOf(p: Promise<unknown>): Promise<RunnerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RunnerError) return e;
    throw e;
  }
  throw new Error('expected a RunnerError, but the promise resolved');
}

/** The prompts the recorder posted, in order, exactly as it sent them. */
export function recordedPrompts(scenario: string): ApiPrompt[] {
  return loadTranscript(scenario)
    .filter((l): l is HttpLine => l.kind === 'http' && l.method === 'POST' && l.path === '/prompt')
    .map((l) => (l.request as { prompt?: ApiPrompt } | undefined)?.prompt)
    .filter((p): p is ApiPrompt => p !== undefined);
}
