/**
 * One job on one target, from submission to result: the flight's live facts, the hooks the target
 * calls, the call itself turned into a result that never throws, and what that result makes of the job.
 */
import { isRunnerError } from '../../util/runnerError';
import type { Job, JobError } from '../../jobs/job';
import type { ServerMessage } from '../../protocol/comfyMessages';
import type { PoolTarget } from '../pool/poolTarget';
import type { RunHooks, RunResult } from '../targets/runTarget';
import type { JobBook } from '../jobBook';

/** A job submitted to a target and not yet ended. */
export interface Flight {
  readonly target: PoolTarget;
  readonly abort: AbortController;
  /** The target reported a prompt id: the server has the prompt and may run it whatever we do. */
  accepted: boolean;
  /** The target reported that execution began. */
  started: boolean;
  /** The user asked to cancel; the job ends cancelled when the target confirms. */
  cancelRequested: boolean;
}

/** Starts the run (or the resumption) on the target; the dispatcher passes one or the other. */
export type RunStarter = (hooks: RunHooks, signal: AbortSignal) => Promise<RunResult>;

/** The named operation that ends a job, from how its run ended. */
export type Landing = 'succeed' | 'cancel' | 'lose' | 'fail';

/** A new flight on a target. */
export function newFlight(target: PoolTarget, accepted: boolean, started: boolean): Flight {
  return { target, abort: new AbortController(), accepted, started, cancelRequested: false };
}

/** Runs `start`; a throw (synchronous or not) becomes an `error` result, so a flight always lands. */
export async function runFlight(start: RunStarter, hooks: RunHooks, signal: AbortSignal): Promise<RunResult> {
  try {
    return await start(hooks, signal);
  } catch (e) {
    return { status: 'error', outputs: [], error: toJobError(e) };
  }
}

/**
 * How a result ends the job. Any failure after the user asked to cancel counts as the cancellation
 * confirmed (the target may report an abort as an error); a success still counts, its outputs exist.
 */
export function landingOf(result: RunResult, flight: Flight): Landing {
  if (result.status === 'success') return 'succeed';
  if (result.status === 'interrupted' || flight.cancelRequested) return 'cancel';
  if (result.error?.reason === 'lost') return 'lose';
  return 'fail';
}

/**
 * The hooks a target calls during a flight. `live` says whether the flight is still the job's current
 * one: a late callback from a run that already ended (or was retried) must not touch the job.
 */
export function flightHooks(job: Job, flight: Flight, book: JobBook, live: () => boolean): RunHooks {
  return {
    submitting: async (promptId: string) => {
      if (!live()) return;
      job.promptId = promptId;
      await book.keep(job);
    },
    accepted: (promptId: string) => {
      if (!live()) return;
      flight.accepted = true;
      job.promptId = promptId;
      job.times.accepted ??= book.now();
      book.changed(job);
    },
    started: () => {
      if (!live()) return;
      flight.started = true;
      if (job.state === 'dispatching') book.move(job, 'start');
    },
    event: (message: ServerMessage) => {
      if (live()) book.noteEvent(job, message);
    },
    warning: (message: string) => {
      if (!live()) return;
      job.warnings.push(message);
      book.emit(() => ({ type: 'job/warning', jobId: job.id, message }));
      book.changed(job, 'soon');
    },
    preview: (image) => {
      if (!live()) return;
      book.emit(() => ({
        type: 'job/preview',
        jobId: job.id,
        mimeType: image.mimeType,
        image: Buffer.from(image.bytes).toString('base64'),
        ...(image.node !== undefined && { node: image.node }),
      }));
    },
  };
}

/** A job error from anything thrown by a target. */
export function toJobError(e: unknown): JobError {
  if (isRunnerError(e)) {
    const details = (e.details ?? {}) as { node_errors?: Record<string, unknown> };
    return {
      message: e.message,
      reason: e.reason,
      ...(e.location.nodeId !== undefined && { node_id: e.location.nodeId }),
      ...(e.location.classType !== undefined && { node_type: e.location.classType }),
      ...(details.node_errors !== undefined && { node_errors: details.node_errors }),
    };
  }
  return { message: e instanceof Error ? e.message : String(e), reason: 'internal' };
}
