/**
 * The download limits as people give them, on a command line or in a setting: seconds and MiB. Every
 * front end turns them into the runner's limits (milliseconds and bytes) here.
 */
import type { DownloadLimits } from '../comfy/downloadLimits';

/** Limits on each output download from a server, in the units people use; each one may be left out. */
export interface DownloadSettings {
  /** Fail a download that receives nothing for this many seconds. */
  readonly stallTimeoutSeconds?: number;
  /** Fail a download of one file not complete this many seconds after it began. */
  readonly deadlineSeconds?: number;
  /** Fail a file larger than this many MiB. */
  readonly maxFileMegabytes?: number;
}

/** The runner's limits for `settings`; only the limits given are set, so the others keep their defaults. */
export function downloadLimitsOf(settings: DownloadSettings): DownloadLimits {
  const { stallTimeoutSeconds: stall, deadlineSeconds: deadline, maxFileMegabytes: mib } = settings;
  return {
    ...(stall !== undefined && { stallTimeoutMs: stall * 1000 }),
    ...(deadline !== undefined && { deadlineMs: deadline * 1000 }),
    ...(mib !== undefined && { maxBytes: Math.round(mib * 1024 * 1024) }),
  };
}
