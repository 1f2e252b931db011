/**
 * The scheduler's options, each with its default, and how the single-target form that
 * `comfy-runner run` uses maps onto a pool of one.
 */
import { RunnerError } from '../util/runnerError';
import type { Job } from '../jobs/job';
import type { RecordUrgency } from './jobBook';
import { matchCapabilities, type CapabilityMatcher } from './pool/capabilityCheck';
import type { PoolTargetOptions, TargetProbe } from './pool/poolTarget';
import { defaultRetryOutDir, shouldAutoRetry, type AutoRetryPolicy, type RetryOutDir } from './retryPolicy';
import type { RunTarget } from './targets/runTarget';

/** Options of a scheduler. */
export interface SchedulerOptions {
  /**
   * A single target, for callers with one place to run (the command line on the embedded engine): the
   * same as `targets: [{ target, slots: concurrency }]`. Used alongside `targets`, it joins first.
   * @default undefined
   */
  readonly target?: RunTarget;
  /**
   * The pool; more targets can join later with `addTarget`.
   * @default []
   */
  readonly targets?: readonly PoolTargetOptions[];
  /**
   * The most jobs on targets at once, over the whole pool (prefetched ones included); settable later.
   * @default Infinity (each target's slots decide), or 2 with `target`
   */
  readonly concurrency?: number;
  /**
   * What a job that sets no `onNoTarget` does when no target can run it: wait for one, or fail at once.
   * A pool of one (`target`) fails, since waiting there would hang a command-line run for good.
   * @default 'wait', or 'fail' with `target`
   */
  readonly onNoTarget?: 'wait' | 'fail';
  /**
   * Start with the queue paused: jobs can be added or restored, and nothing is dispatched until `resume`.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * The least time between two progress events of one job, in ms; events in between are coalesced.
   * @default 100
   */
  readonly progressIntervalMs?: number;
  /**
   * Asks a target's health. Without it, targets are up unless a submission finds one unreachable.
   * @default undefined (always up)
   */
  readonly probe?: TargetProbe;
  /**
   * Time between two rounds of health probes, in ms; 0 probes only on `refreshHealth`. The timer never
   * keeps the process alive.
   * @default 15000
   */
  readonly healthIntervalMs?: number;
  /**
   * Decides whether a target can run a job, given its node definitions.
   * @default matchCapabilities (node classes and model files, from capabilities.ts)
   */
  readonly matcher?: CapabilityMatcher;
  /**
   * The one decision on automatic resubmission after a failure before the job started.
   * @default shouldAutoRetry (no, unless the target opted in and the failure qualifies)
   */
  readonly shouldAutoRetry?: AutoRetryPolicy;
  /**
   * The output folder of an explicit retry.
   * @default `<old outDir>-retry<attempt>`
   */
  readonly retryOutDir?: RetryOutDir;
  /**
   * Called with a copy of a job's record whenever it changes (added, state, prompt id, warnings,
   * blocked reason, priority, automatic retries), so that a store can keep it. Node timings are saved
   * with the next such change rather than on every node. It may return a promise that resolves once the
   * record is kept: a target then waits for it before submitting a prompt under a new prompt id
   * (`RunHooks.submitting`); elsewhere nobody waits, and a rejection is the store's to report. Any
   * other return value is ignored (typed `unknown` so that plain callbacks need not return void).
   * `urgency` says whether resuming depends on the change (`now`) or it only shows how the job goes
   * (`soon`: it started running, a warning), which a store may hold back a while and write with the
   * job's next change.
   * @default undefined
   */
  readonly onJobChanged?: (job: Job, urgency: RecordUrgency) => unknown;
  /**
   * Write `run.json` in a job's folder when a run ends.
   * @default true
   */
  readonly writeRunRecords?: boolean;
  /**
   * The clock, in ms since the epoch.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** The options with every default filled in. */
export interface ResolvedSchedulerOptions {
  readonly targets: PoolTargetOptions[];
  readonly concurrency: number;
  readonly onNoTarget: 'wait' | 'fail';
  readonly paused: boolean;
  readonly progressIntervalMs: number;
  readonly probe?: TargetProbe;
  readonly healthIntervalMs: number;
  readonly matcher: CapabilityMatcher;
  readonly shouldAutoRetry: AutoRetryPolicy;
  readonly retryOutDir: RetryOutDir;
  readonly onJobChanged?: (job: Job, urgency: RecordUrgency) => unknown;
  readonly writeRunRecords: boolean;
  readonly now: () => number;
}

/** Fills in the defaults; throws `bad_input` for a cap below 1. */
export function resolveOptions(o: SchedulerOptions): ResolvedSchedulerOptions {
  const concurrency = checkConcurrency(o.concurrency ?? (o.target ? 2 : Infinity));
  const single = o.target
    ? [{ target: o.target, slots: Number.isFinite(concurrency) ? concurrency : 1 }]
    : [];
  return {
    targets: [...single, ...(o.targets ?? [])],
    concurrency,
    onNoTarget: o.onNoTarget ?? (o.target ? 'fail' : 'wait'),
    paused: o.paused ?? false,
    progressIntervalMs: o.progressIntervalMs ?? 100,
    probe: o.probe,
    healthIntervalMs: o.healthIntervalMs ?? 15_000,
    matcher: o.matcher ?? matchCapabilities,
    shouldAutoRetry: o.shouldAutoRetry ?? shouldAutoRetry,
    retryOutDir: o.retryOutDir ?? defaultRetryOutDir,
    onJobChanged: o.onJobChanged,
    writeRunRecords: o.writeRunRecords ?? true,
    now: o.now ?? Date.now,
  };
}

/** A global cap: a whole number of at least 1, or Infinity. */
export function checkConcurrency(n: number): number {
  if (n === Infinity || (Number.isInteger(n) && n >= 1)) return n;
  throw new RunnerError('bad_input', `concurrency must be a whole number of at least 1, not ${n}`);
}
