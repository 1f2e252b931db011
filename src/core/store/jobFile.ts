/**
 * One job as a file: what is written (the fields of {@link Job} and nothing else, so a stray property
 * such as a credential never reaches the disk) and how a file is read back and checked. A file that is
 * not a job is reported with its path, as `bad_input`.
 */
import { z } from 'zod';
import { RunnerError, runnerErrorReasons } from '../util/runnerError';
import { readTextIfExists } from '../util/atomicWrite';
import type { Job } from '../jobs/job';
import type { JobState } from '../jobs/jobState';
import { isJobId } from './storeLayout';

/**
 * Every field of a job, and only those. `satisfies` makes the compiler insist that a field added to
 * {@link Job} is added here too, so it is stored rather than silently dropped.
 */
const jobFields = {
  id: true,
  workflow: true,
  prompt: true,
  extraPngInfo: true,
  overrides: true,
  batch: true,
  split: true,
  state: true,
  server: true,
  promptId: true,
  attempt: true,
  retryOf: true,
  outDir: true,
  outputs: true,
  error: true,
  warnings: true,
  times: true,
  priority: true,
  dependsOn: true,
  runOn: true,
  onNoTarget: true,
  blockedReason: true,
  autoRetries: true,
  restarts: true,
} as const satisfies Record<keyof Job, true>;

const jobStates = {
  queued: true,
  dispatching: true,
  running: true,
  succeeded: true,
  failed: true,
  cancelled: true,
  lost: true,
} as const satisfies Record<JobState, true>;

const stateNames = Object.keys(jobStates) as [JobState, ...JobState[]];

/**
 * The shape a job file must have to be loaded. Nested objects are loose: their fields are the
 * scheduler's business, the store only makes sure the record can be listed, filtered and pruned.
 */
const storedJob = z.object({
  id: z.string(),
  workflow: z.looseObject({ file: z.string(), sourceHash: z.string(), promptHash: z.string() }),
  prompt: z.record(z.string(), z.unknown()),
  extraPngInfo: z.looseObject({ workflow: z.unknown() }).optional(),
  overrides: z.array(z.unknown()),
  // Absent in job files written before batches were recorded.
  batch: z
    .looseObject({ id: z.string(), index: z.number().int().min(1), size: z.number().int().min(1) })
    .optional(),
  // Absent for a whole run, and in job files written before runs could be split.
  split: z
    .looseObject({
      id: z.string(),
      index: z.number().int().min(1),
      size: z.number().int().min(1),
      outputs: z.array(z.string()),
    })
    .optional(),
  state: z.enum(stateNames),
  server: z.string().optional(),
  promptId: z.string().optional(),
  attempt: z.number().int().min(1),
  retryOf: z.string().optional(),
  outDir: z.string(),
  outputs: z.array(z.looseObject({ path: z.string() })),
  error: z.looseObject({ message: z.string(), reason: z.enum(runnerErrorReasons) }).optional(),
  warnings: z.array(z.string()),
  times: z.looseObject({ queued: z.number(), nodes: z.record(z.string(), z.unknown()) }),
  priority: z.number().optional(),
  dependsOn: z.array(z.string()).optional(),
  runOn: z.looseObject({}).optional(),
  onNoTarget: z.enum(['wait', 'fail']).optional(),
  blockedReason: z.string().optional(),
  autoRetries: z.array(z.looseObject({})).optional(),
  restarts: z.array(z.looseObject({ at: z.number() })).optional(),
});

/** The job's own fields, in a fixed order; anything else on the object is left out. */
export function storedFields(job: Job): Job {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(jobFields) as (keyof Job)[]) {
    if (job[key] !== undefined) out[key] = job[key];
  }
  return out as unknown as Job;
}

/** The text of a job file: pretty JSON of {@link storedFields}, ending in a newline. */
export function serializeJob(job: Job): string {
  return `${JSON.stringify(storedFields(job), null, 2)}\n`;
}

/**
 * Parses the text of the job file at `path`, which must hold the job `id`, or of the journal line `line`
 * of `path`, which must hold a job whose id can name a file. Throws `bad_input` naming the file (and line)
 * when the text is not JSON (a truncated file), not a job, or another job's record.
 */
export function parseJob(text: string, path: string, id: string | undefined, line?: number): Job {
  const where = line === undefined ? path : `${path}:${line}`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw badJobFile(path, `${where}: not valid JSON (${(e as Error).message})`);
  }
  if (id === undefined && !isJobId((data as { id?: unknown } | null)?.id)) {
    throw badJobFile(path, `${where}: not a job record (id: not a valid job id)`);
  }
  const parsed = storedJob.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw badJobFile(path, `${where}: not a job record (${at}${issue?.message ?? 'invalid'})`);
  }
  if (id !== undefined && parsed.data.id !== id) {
    throw badJobFile(
      path,
      `${where}: holds job ${JSON.stringify(parsed.data.id)}, not ${JSON.stringify(id)}`,
    );
  }
  return parsed.data as unknown as Job;
}

/**
 * Why `job` cannot be stored, or undefined: the few fields that listing, filtering and pruning read
 * (its state, when it was queued, its attempt), checked by hand before a write. The full shape is
 * checked when a file is read ({@link parseJob}); checking it at every write as well cost 30-170 µs a
 * record, four records a job, for what the compiler already holds the scheduler to.
 */
export function unstorableReason(job: Job): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(jobStates, job.state))
    return `state ${JSON.stringify(job.state)}`;
  if (typeof job.times?.queued !== 'number') return 'times.queued is not a number';
  if (!Number.isInteger(job.attempt) || job.attempt < 1) return `attempt ${JSON.stringify(job.attempt)}`;
  return undefined;
}

/** Reads and parses a job file; undefined when it does not exist. */
export async function readJobFile(path: string, id: string): Promise<Job | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  return parseJob(text, path, id);
}

/** A `bad_input` error about the job file (or journal) `path`; `message` names the place. */
function badJobFile(path: string, message: string): RunnerError {
  return new RunnerError('bad_input', message, { file: path });
}
