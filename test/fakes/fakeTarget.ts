/**
 * A run target the test drives by hand: every `run` call is recorded and stays pending until the test
 * accepts, starts, succeeds, fails or interrupts it. Optionally it reports node definitions (for
 * capability matching), confirms aborts by itself, or finishes every run at once (benchmarks).
 */
import { RunnerError, type RunnerErrorReason } from '../../src/core/util/runnerError';
import type { Job } from '../../src/core/jobs/job';
import type { RunHooks, RunResult, RunTarget } from '../../src/core/scheduler/targets/runTarget';
import type { InputSpec, NodeDef, NodeDefs } from '../../src/core/workflow/types';

/** One call of `run` (or `resume`) on a fake target, with the controls to end it. */
export interface FakeRun {
  readonly job: Job;
  readonly hooks: RunHooks;
  readonly signal: AbortSignal;
  /** True for a `resume` call. */
  readonly resumed: boolean;
  /** Whether the run was ended by the test (or by an abort it confirmed). */
  settled: boolean;
  /** Reports the prompt accepted and execution started, as a server does. */
  start(): void;
  /** Ends the run with success. */
  succeed(): void;
  /** Ends the run by rejecting with a RunnerError of this reason. */
  fail(reason: RunnerErrorReason, message?: string): void;
  /** Ends the run with an `error` result (an execution error), not a throw. */
  error(message?: string): void;
  /** Ends the run as interrupted (the target confirms a cancellation). */
  interrupt(): void;
}

/** Options of a fake target. */
export interface FakeTargetOptions {
  /** Node definitions it reports; without, it has no `capabilities` and runs anything. */
  defs?: NodeDefs | (() => Promise<NodeDefs>);
  /** Confirm an abort by resolving `interrupted` at once. Default true. */
  confirmAbort?: boolean;
  /** Succeed every run in the next microtask. Default false. */
  instant?: boolean;
  /** Offer `resume` for restored jobs. Default false. */
  resumable?: boolean;
  /** Called at every `run` call, before anything else (benchmarks time it). */
  onRun?: (run: FakeRun) => void;
}

/** A fake run target; see the file comment. */
export class FakeTarget implements RunTarget {
  readonly runs: FakeRun[] = [];
  readonly version = 'fake';
  capabilities?: () => Promise<NodeDefs>;
  resume?: (job: Job, hooks: RunHooks, signal: AbortSignal) => Promise<RunResult>;
  disposed = false;

  constructor(
    readonly name: string,
    private readonly options: FakeTargetOptions = {},
  ) {
    const defs = options.defs;
    if (defs) this.capabilities = typeof defs === 'function' ? defs : () => Promise.resolve(defs);
    if (options.resumable) this.resume = (job, hooks, signal) => this.call(job, hooks, signal, true);
  }

  run(job: Job, hooks: RunHooks, signal: AbortSignal): Promise<RunResult> {
    return this.call(job, hooks, signal, false);
  }

  /** The runs not yet ended. */
  pending(): FakeRun[] {
    return this.runs.filter((r) => !r.settled);
  }

  /** The latest run of a job on this target. */
  runOf(jobId: string): FakeRun {
    const run = this.runs.filter((r) => r.job.id === jobId).pop();
    if (!run) throw new Error(`job ${jobId} never ran on ${this.name}`);
    return run;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private call(job: Job, hooks: RunHooks, signal: AbortSignal, resumed: boolean): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const run = fakeRun(job, hooks, signal, resumed, resolve, reject);
      this.runs.push(run);
      this.options.onRun?.(run);
      if (this.options.confirmAbort ?? true) signal.addEventListener('abort', () => run.interrupt());
      if (this.options.instant) queueMicrotask(() => run.succeed());
    });
  }
}

function fakeRun(
  job: Job,
  hooks: RunHooks,
  signal: AbortSignal,
  resumed: boolean,
  resolve: (r: RunResult) => void,
  reject: (e: unknown) => void,
): FakeRun {
  const run: FakeRun = {
    job,
    hooks,
    signal,
    resumed,
    settled: false,
    start: () => {
      hooks.accepted(`prompt-${job.id}`);
      hooks.started();
    },
    succeed: () => end(() => resolve({ status: 'success', outputs: [] })),
    fail: (reason, message = reason) => end(() => reject(new RunnerError(reason, message))),
    error: (message = 'boom') =>
      end(() => resolve({ status: 'error', outputs: [], error: { message, reason: 'execution_failed' } })),
    interrupt: () => end(() => resolve({ status: 'interrupted', outputs: [] })),
  };
  function end(finish: () => void): void {
    if (run.settled) return;
    run.settled = true;
    finish();
  }
  return run;
}

/** A node definition with a name and the given required inputs only, for capability tests. */
export function nodeDef(name: string, required: Record<string, InputSpec> = {}): NodeDef {
  return {
    input: { required },
    output: [],
    output_is_list: [],
    output_name: [],
    name,
    display_name: name,
    description: '',
    python_module: 'nodes',
    category: 'test',
    output_node: false,
  };
}

/** Definitions of these node classes. */
export function defsOf(...classes: string[]): NodeDefs {
  return Object.fromEntries(classes.map((c) => [c, nodeDef(c)]));
}
