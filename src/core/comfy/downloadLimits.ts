/**
 * How long and how large one output download from a server may get. A server that stops sending, sends
 * a trickle for ever, or sends without end must not hold a job, or fill the disk; each limit ends the
 * download with a typed reason whose message names the server, the file and the limit.
 */

/** Limits on downloading one output file; each has a default. */
export interface DownloadLimits {
  /**
   * A download that receives no byte for this long fails with `timeout`: the wait for the reply's
   * headers and every gap between two chunks of the body count.
   * @default 30 000 ms
   */
  readonly stallTimeoutMs?: number;
  /**
   * A download of one file that has not finished this long after it began fails with `timeout`, however
   * steadily bytes arrive.
   * @default 600 000 ms (10 minutes)
   */
  readonly deadlineMs?: number;
  /**
   * A file larger than this fails with `too_large` before more is written (at once when the server
   * announces its length). The default leaves room for long videos.
   * @default 2 GiB (2048 MiB)
   */
  readonly maxBytes?: number;
}

/** The limits with every default filled in. */
export type ResolvedDownloadLimits = Required<DownloadLimits>;

/** The limits a download has when none are given. */
export const defaultDownloadLimits: ResolvedDownloadLimits = {
  stallTimeoutMs: 30_000,
  deadlineMs: 600_000,
  maxBytes: 2048 * 1024 * 1024,
};

/** `limits` with every limit not given set to its default. */
export function resolveDownloadLimits(limits: DownloadLimits = {}): ResolvedDownloadLimits {
  return {
    stallTimeoutMs: limits.stallTimeoutMs ?? defaultDownloadLimits.stallTimeoutMs,
    deadlineMs: limits.deadlineMs ?? defaultDownloadLimits.deadlineMs,
    maxBytes: limits.maxBytes ?? defaultDownloadLimits.maxBytes,
  };
}
