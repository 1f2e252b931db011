/**
 * The flags of `run` and `jobs resume` that limit each output downloaded from a server, and their
 * mapping onto core/comfy's download limits (seconds and MiB on the command line, ms and bytes inside).
 */
import type { ParseArgsConfig } from 'node:util';
import { downloadLimitsOf } from '../core/run/downloadSettings';
import type { RunnerOptions } from '../core/run/runner';
import { RunnerError } from '../core/util/runnerError';

/** The limits as the runner takes them. */
type DownloadLimits = NonNullable<RunnerOptions['downloads']>;

/** The flags, for a command's `parseArgs` options. */
export const downloadFlags = {
  'download-stall-timeout': { type: 'string' },
  'download-deadline': { type: 'string' },
  'max-output-mb': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** How the flags read in a usage line. */
export const downloadFlagsUsage =
  '[--download-stall-timeout <seconds>] [--download-deadline <seconds>] [--max-output-mb <MiB>]';

/** A number above 0 given to `--name`, or undefined when the flag is not given. */
function positive(name: string, text: unknown, unit: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new RunnerError('bad_input', `--${name} takes a number of ${unit} above 0, not "${text}"`);
  return n;
}

/** The download limits the flags give; only those given are set, so the others keep their defaults. */
export function downloadLimitsFromFlags(values: Record<string, unknown>): DownloadLimits {
  return downloadLimitsOf({
    stallTimeoutSeconds: positive('download-stall-timeout', values['download-stall-timeout'], 'seconds'),
    deadlineSeconds: positive('download-deadline', values['download-deadline'], 'seconds'),
    maxFileMegabytes: positive('max-output-mb', values['max-output-mb'], 'MiB'),
  });
}
