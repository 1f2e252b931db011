/**
 * Helpers for scheduler tests: job specs, a scheduler that writes no run records and probes only when
 * asked, an event recorder, and a way to let pending promise callbacks run.
 */
import type { NewJob } from '../../../src/core/jobs/job';
import type { JobState } from '../../../src/core/jobs/jobState';
import { Scheduler } from '../../../src/core/scheduler/scheduler';
import type { SchedulerEvent } from '../../../src/core/scheduler/schedulerEvents';
import type { SchedulerOptions } from '../../../src/core/scheduler/schedulerOptions';
import type { ApiPrompt } from '../../../src/core/workflow/types';

let counter = 0;

/** A job spec whose prompt uses the given node classes (one node each). */
export function spec(extra: Partial<NewJob> = {}, classes: string[] = ['KSampler']): NewJob {
  const prompt: ApiPrompt = {};
  classes.forEach((c, i) => (prompt[String(i + 1)] = { class_type: c, inputs: {} }));
  counter++;
  return {
    workflow: { file: `wf${counter}.json`, sourceHash: 'h', promptHash: 'p' },
    prompt,
    overrides: [],
    outDir: `/nonexistent/out-${counter}`,
    ...extra,
  };
}

/** A scheduler for tests: no run records, no probe timer. */
export function testScheduler(options: SchedulerOptions): Scheduler {
  return new Scheduler({ writeRunRecords: false, healthIntervalMs: 0, ...options });
}

/** Lets every callback already due run (promise jobs and those they queue). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Records a scheduler's events. */
export function record(s: Scheduler): SchedulerEvent[] {
  const events: SchedulerEvent[] = [];
  s.subscribe((e) => events.push(e));
  return events;
}

/** The states a job went through, from the recorded events, starting with `queued`. */
export function statePath(events: SchedulerEvent[], jobId: string): JobState[] {
  const path: JobState[] = ['queued'];
  for (const e of events) if (e.type === 'job/state' && e.jobId === jobId) path.push(e.to);
  return path;
}

/** The state of a job. */
export function stateOf(s: Scheduler, jobId: string): JobState | undefined {
  return s.job(jobId)?.state;
}
