/**
 * Choosing the target for a job among those that can take one now: only targets that can run it, a
 * free slot before a prefetch slot, and among prefetch slots the one likely to free soonest.
 */
import type { Job } from '../../jobs/job';
import { progressFraction, type PromptProgress } from '../../protocol/promptProgress';
import type { CapabilityCheck } from '../pool/capabilityCheck';
import { hasFreeSlot, type PoolTarget } from '../pool/poolTarget';

/**
 * The best target for `job` among `candidates` (targets that can take a job now), or undefined when
 * none of them can run it. Ties go to the target that joined the pool first.
 */
export function pickTarget(
  job: Job,
  candidates: readonly PoolTarget[],
  check: CapabilityCheck,
  progressOf: (jobId: string) => PromptProgress | undefined,
): PoolTarget | undefined {
  let best: PoolTarget | undefined;
  let bestRank = Infinity;
  for (const t of candidates) {
    if (!check.canRun(job, t)) continue;
    const rank = rankOf(t, progressOf);
    if (rank < bestRank) {
      best = t;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * Lower is better. A target with a free slot ranks in [0, 1) by the share of its slots in use, which
 * spreads jobs evenly. A target with only its prefetch slot free ranks in [1, 2] by the expected wait
 * before the job starts: 1 minus the progress of its job closest to done.
 */
function rankOf(t: PoolTarget, progressOf: (jobId: string) => PromptProgress | undefined): number {
  if (hasFreeSlot(t)) return t.inFlight.size / t.slots;
  let closest = 0;
  for (const id of t.inFlight) {
    const p = progressOf(id);
    if (p) closest = Math.max(closest, progressFraction(p));
  }
  return 2 - closest;
}
