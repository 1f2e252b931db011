/**
 * How `comfy-runner run` shows jobs: on a terminal, a live block with one line per job (state, nodes
 * done, the running node and its steps); elsewhere, one line per state change; with `--json`, one JSON
 * object per ComfyUI event and a summary at the end.
 */
import type { Job, RestartRecord } from '../core/jobs/job';
import { finishedCount, progressFraction, type PromptProgress } from '../core/protocol/promptProgress';
import { jobLabel } from '../core/run/jobLabel';
import { restartText } from '../core/run/jobsOverviewItems';
import type { RunnerEvent } from '../core/run/runner';
import type { RunnerErrorReason } from '../core/util/runnerError';
import { paint, type CliIo } from './output';

/** The summary line of one job, as printed last with `--json`. */
export interface JobSummary {
  id: string;
  workflow: string;
  /** The job's run label ({@link jobLabel}): `#3 seed=1234`; empty for a single run of the file as is. */
  label: string;
  state: Job['state'];
  server: string | null;
  outputs: string[];
  error: {
    message: string;
    /** Why, as a machine reads it (`execution_failed`, `timeout`, `too_large`, ...). */
    reason: RunnerErrorReason;
    node_id?: string;
    node_type?: string;
    exception_type?: string;
  } | null;
  /** The runs cut short by the runner stopping during them, each followed by a new run, oldest first. */
  restarts: RestartRecord[];
  /** For a part of a split run: the run's id, the part's number of how many, and its output nodes. */
  split: { run: string; part: number; of: number; outputs: string[] } | null;
}

/** The summary of a job. */
export function summarize(job: Job): JobSummary {
  return {
    id: job.id,
    workflow: job.workflow.file,
    label: jobLabel(job),
    state: job.state,
    server: job.server ?? null,
    outputs: job.outputs.map((o) => `${job.outDir}/${o.path}`),
    error: job.error
      ? {
          message: job.error.message,
          reason: job.error.reason,
          node_id: job.error.node_id,
          node_type: job.error.node_type,
          exception_type: job.error.exception_type,
        }
      : null,
    restarts: job.restarts ?? [],
    split: job.split
      ? { run: job.split.id, part: job.split.index, of: job.split.size, outputs: job.split.outputs }
      : null,
  };
}

const stateColour = { succeeded: 'green', failed: 'red', cancelled: 'yellow', lost: 'red' } as const;

function bar(fraction: number, width = 16): string {
  const full = Math.round(fraction * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/**
 * How every line names a job: its id's first 8 characters, its workflow file and its run label; a part of
 * a split run adds which part it is and its output nodes (`part 2/3 #6 #9`).
 */
export function jobName(job: Job): string {
  const label = jobLabel(job);
  const split = job.split;
  const part = split
    ? ` part ${split.index}/${split.size} ${split.outputs.map((id) => `#${id}`).join(' ')}`
    : '';
  return `${job.id.slice(0, 8)} ${job.workflow.file}${label ? ` ${label}` : ''}${part}`;
}

/** One line for a job on the live view. */
export function jobLine(
  job: Job,
  progress: PromptProgress | undefined,
  classOf: (nodeId: string) => string,
): string {
  const label = jobName(job);
  const colour = stateColour[job.state as keyof typeof stateColour];
  const state = colour ? paint(job.state, colour) : job.state;
  if (!progress || job.state === 'queued') return `${label}  ${state}`;
  const nodes = `${finishedCount(progress)}/${progress.total} nodes`;
  const running = Object.entries(progress.running)
    .map(([id, r]) => `${classOf(id)}#${id}${r.max > 1 ? ` ${Math.round((100 * r.value) / r.max)}%` : ''}`)
    .join(', ');
  return `${label}  ${state}  ${bar(progressFraction(progress))} ${nodes}${running ? `  ${running}` : ''}`;
}

/**
 * How often the live block is redrawn at most. Every redraw words every job, so one per event would
 * cost time growing with the square of the jobs (a run of 200 jobs spent 90 ms of CPU per job on it).
 */
export const redrawMs = 100;

/** The terminal's side of following jobs: told every event, disposed once the jobs ended. */
export interface JobsView {
  event(event: RunnerEvent): void;
  /** Stops redrawing (a redraw still pending is dropped: the summary comes next). */
  dispose(): void;
}

/**
 * Wires scheduler events to the terminal in the chosen style. On a terminal the live block shows
 * `followed` and every job added since, each as its newest event left it, redrawn at most every
 * {@link redrawMs}: at once after a quiet spell, and again once the events of the spell are in.
 */
export function attachView(
  io: CliIo,
  json: boolean,
  followed: readonly Job[],
  progressOf: (id: string) => PromptProgress | undefined,
): JobsView {
  const jobs = new Map(followed.map((j) => [j.id, j]));
  const classOf = (job: Job) => (id: string) => job.prompt[id]?.class_type ?? '?';
  let timer: NodeJS.Timeout | undefined;
  let drawnAt = -Infinity;
  const redraw = () => {
    timer = undefined;
    drawnAt = performance.now();
    io.status?.([...jobs.values()].map((j) => jobLine(j, progressOf(j.id), classOf(j))));
  };
  const redrawSoon = () => {
    if (timer) return;
    const wait = drawnAt + redrawMs - performance.now();
    if (wait <= 0) return redraw();
    timer = setTimeout(redraw, wait);
    timer.unref();
  };
  const onTerminal = (event: RunnerEvent) => {
    if (event.type === 'job/added') jobs.set(event.job.id, event.job);
    if (event.type === 'job/state') jobs.set(event.jobId, event.job);
    if (event.type === 'job/progress' || event.type === 'job/state' || event.type === 'job/added')
      redrawSoon();
  };
  const onEvent = (event: RunnerEvent) => {
    if (json) {
      if (event.type === 'job/comfy')
        io.out(JSON.stringify({ type: event.event.type, job: event.jobId, data: event.event.data }));
      if (event.type === 'job/state')
        io.out(
          JSON.stringify({ type: 'job_state', job: event.jobId, data: { from: event.from, to: event.to } }),
        );
      return;
    }
    if (io.isTty) return onTerminal(event);
    if (event.type === 'job/state') io.out(`${jobName(event.job)}: ${event.to}`);
  };
  return { event: onEvent, dispose: () => clearTimeout(timer) };
}

/** Prints the end of a run: each job's outcome, its outputs folder, and errors with node and exception. */
export function printSummary(io: CliIo, jobs: Job[], json: boolean): void {
  if (json) {
    io.out(JSON.stringify({ type: 'summary', jobs: jobs.map(summarize) }));
    return;
  }
  for (const job of jobs) {
    const colour = stateColour[job.state as keyof typeof stateColour];
    io.out(
      `${jobName(job)}: ${colour ? paint(job.state, colour) : job.state}, ${job.outputs.length} output(s) in ${job.outDir}`,
    );
    (job.restarts ?? []).forEach((r, i) => io.out(`  ${restartText(r, i + 1)}`));
    if (job.error) {
      const where = job.error.node_id ? ` (node ${job.error.node_id} ${job.error.node_type ?? ''})` : '';
      io.err(`  ${paint('error', 'red')}${where}: ${job.error.message}`);
      for (const line of job.error.traceback ?? []) io.err(`    ${line.trimEnd()}`);
    }
    for (const w of job.warnings) io.err(`  ${paint('warning', 'yellow')}: ${w}`);
  }
}
