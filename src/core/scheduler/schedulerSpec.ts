/**
 * Checking a new job's spec before it is queued, and tidying it so that the job is plain JSON.
 */
import { RunnerError } from '../util/runnerError';
import type { NewJob } from '../jobs/job';

/**
 * Throws `bad_input` when the spec's id is taken, its priority is not a finite number, or it depends
 * on a job `isKnown` does not know (a dependency must exist when its dependent is added, so no cycle
 * can form).
 */
export function checkNewJob(spec: NewJob, isKnown: (id: string) => boolean): void {
  if (spec.id !== undefined && isKnown(spec.id)) {
    throw new RunnerError('bad_input', `a job with id ${spec.id} already exists`);
  }
  if (spec.priority !== undefined && !Number.isFinite(spec.priority)) {
    throw new RunnerError('bad_input', `priority must be a finite number, not ${spec.priority}`);
  }
  for (const dep of spec.dependsOn ?? []) {
    if (!isKnown(dep)) throw new RunnerError('bad_input', `the job depends on unknown job ${dep}`);
  }
}

/** The spec with its own copy of `dependsOn` and without keys set to undefined, as JSON would have it. */
export function tidySpec(spec: NewJob): NewJob {
  const copy = { ...spec, dependsOn: spec.dependsOn && [...spec.dependsOn] };
  return Object.fromEntries(Object.entries(copy).filter(([, v]) => v !== undefined)) as NewJob;
}
