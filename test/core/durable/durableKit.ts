/**
 * Helpers for the durable runner's tests: a store in a fresh folder, a stored job as a dead runner left
 * it, a remote target with loopback timings, what a server ran (its history), and a proxy that lets a
 * `POST /prompt` through and then hangs up instead of passing the reply on.
 */
import { ComfyClient } from '../../../src/core/comfy/client';
import { applyOperation, createJob, type Job } from '../../../src/core/jobs/job';
import type { JobOperation } from '../../../src/core/jobs/jobState';
import { remoteTarget } from '../../../src/core/scheduler/targets/remoteTarget';
import type { RunTarget } from '../../../src/core/scheduler/targets/runTarget';
import type { JobStore } from '../../../src/core/store/jobStore';
import { openStore } from '../../../src/core/store/openStore';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { tempDir } from '../../fakes/tempDirs';
import { fastTimings } from '../comfy/replayHarness';
import { quickPrompt } from '../server/gateNodes';

/** A fresh folder under the system's temporary folder, removed after the test (see tempDirs.ts). */
export { tempDir };

/** A store handle that polls quickly, as `pid` (a pid that does not exist stands for a dead process). */
export function testStore(dir: string, pid = process.pid): Promise<JobStore> {
  return openStore(dir, { pid, pollMs: 50, heartbeatMs: 0 });
}

/** A pid no process has, for an owner that died. */
export const deadPid = 2 ** 22 + 4321;

/**
 * Leaves `jobs` in the store at `dir` as a runner that died would have: written under its ownership,
 * which it never gave up.
 */
export async function leaveBehind(dir: string, jobs: Job[]): Promise<void> {
  const store = await testStore(dir, deadPid);
  await store.acquire();
  for (const job of jobs) await store.put(job);
}

/** A job over `prompt` that went through `ops`, with `patch` applied (server, prompt id, ...). */
export function storedJob(prompt: ApiPrompt, ops: JobOperation[] = [], patch: Partial<Job> = {}): Job {
  const job = createJob(
    {
      workflow: { file: 'w.json', sourceHash: 's', promptHash: 'p' },
      prompt,
      overrides: [],
      outDir: tempDir('durable-job-'),
    },
    Date.now(),
  );
  for (const op of ops) applyOperation(job, op);
  return Object.assign(job, patch);
}

/**
 * The parts of one split run `run` in `outDir`, part i + 1 over a quick prompt of its own that went
 * through `ops[i]`.
 */
export function storedSplitParts(outDir: string, ops: JobOperation[][]): Job[] {
  return ops.map((partOps, i) =>
    storedJob(quickPrompt(`p${i + 1}`), partOps, {
      outDir,
      split: { id: 'run', index: i + 1, size: ops.length, outputs: [String(i + 1)] },
    }),
  );
}

/** A remote target for `url` under a client id, with loopback timings. */
export function loopTarget(url: string, clientId?: string): RunTarget {
  const client = new ComfyClient({ baseUrl: url, clientId, ...fastTimings });
  return remoteTarget({ client, inputDir: tempDir('durable-in-') });
}

/** One prompt the server has in its history: its id and the prompt it ran. */
export interface Ran {
  promptId: string;
  prompt: ApiPrompt;
}

/** Every prompt in the server's history. */
export async function history(url: string): Promise<Ran[]> {
  const all = (await (await fetch(`${url}/history`)).json()) as Record<string, { prompt: unknown[] }>;
  return Object.entries(all).map(([promptId, e]) => ({ promptId, prompt: e.prompt[2] as ApiPrompt }));
}

/** How many times the server ran prompts whose TestCounter (node 2 unless given) has this tag. */
export async function runsOf(url: string, tag: string, node = '2'): Promise<number> {
  return (await history(url)).filter((r) => r.prompt[node]?.inputs.tag === tag).length;
}
