/**
 * Which targets of the pool can run a job, and if none can, why, server by server. The check itself is
 * replaceable ({@link CapabilityMatcher}); by default it is capabilities.ts's, over the node definitions
 * each target reported. Answers are cached per job and target until the target's definitions change.
 */
import type { NodeDefs } from '../../workflow/types';
import { matchServer, promptRequirements, type ServerMatch, type ServerVerdict } from './promptRequirements';
import type { Job } from '../../jobs/job';
import { placementAllows, placementReason, type PoolTarget } from './poolTarget';

/** Decides whether a target with these node definitions can run the job, and if not, every reason why. */
export type CapabilityMatcher = (job: Job, defs: NodeDefs) => ServerMatch;

/** The default matcher: the prompt's node classes and model files against the target's definitions. */
export const matchCapabilities: CapabilityMatcher = (job, defs) =>
  matchServer(promptRequirements(job.prompt, defs), defs);

/** What one target is to one job. */
export type TargetVerdict =
  | { kind: 'capable' }
  /** Its definitions have not arrived yet: it may turn out capable. */
  | { kind: 'unknown' }
  /** It cannot run the job: excluded by the job's placement, or lacking nodes or models. */
  | { kind: 'incapable'; reasons: string[] };

/** What the pool as a whole is to one job. */
export type JobAssessment =
  | { kind: 'runnable' }
  /** No target is known to run it, but some have not reported their definitions yet. */
  | { kind: 'undecided' }
  /** No target can run it; each target's reasons, in pool order. */
  | { kind: 'blocked'; servers: ServerVerdict[] };

const CAPABLE: TargetVerdict = { kind: 'capable' };
const UNKNOWN: TargetVerdict = { kind: 'unknown' };

interface CachedVerdict {
  defsVersion: number;
  verdict: TargetVerdict;
}

/** Capability checks with a cache per job and target. */
export class CapabilityCheck {
  private readonly cache = new Map<string, Map<string, CachedVerdict>>();

  constructor(private readonly matcher: CapabilityMatcher) {}

  /** What `t` is to `job`, ignoring whether it is enabled, up or busy: those change by the minute. */
  verdict(job: Job, t: PoolTarget): TargetVerdict {
    if (!placementAllows(t, job.runOn)) return { kind: 'incapable', reasons: [placementReason(job.runOn)] };
    return this.defsVerdict(job, t);
  }

  /**
   * True when `t` is known to run `job`. The dispatch loop asks this of every skipped job each time a
   * slot frees, so it allocates nothing and builds no explanation.
   */
  canRun(job: Job, t: PoolTarget): boolean {
    return placementAllows(t, job.runOn) && this.defsVerdict(job, t).kind === 'capable';
  }

  private defsVerdict(job: Job, t: PoolTarget): TargetVerdict {
    if (t.defs === null) return CAPABLE;
    if (t.defs === undefined) return UNKNOWN;
    let perTarget = this.cache.get(job.id);
    const cached = perTarget?.get(t.name);
    if (cached && cached.defsVersion === t.defsVersion) return cached.verdict;
    const verdict = this.match(job, t.defs);
    if (!perTarget) this.cache.set(job.id, (perTarget = new Map()));
    perTarget.set(t.name, { defsVersion: t.defsVersion, verdict });
    return verdict;
  }

  /** Whether any target of the pool can run the job, and if none can, why. */
  assess(job: Job, targets: readonly PoolTarget[]): JobAssessment {
    const servers: ServerVerdict[] = [];
    let undecided = false;
    for (const t of targets) {
      const v = this.verdict(job, t);
      if (v.kind === 'capable') return { kind: 'runnable' };
      if (v.kind === 'unknown') undecided = true;
      else servers.push({ server: t.name, reasons: v.reasons });
    }
    return undecided ? { kind: 'undecided' } : { kind: 'blocked', servers };
  }

  /** Drops what is cached about a job that left the queue. */
  forget(jobId: string): void {
    this.cache.delete(jobId);
  }

  /** A matcher that throws counts as "cannot run it", with the error as the reason. */
  private match(job: Job, defs: NodeDefs): TargetVerdict {
    try {
      const m = this.matcher(job, defs);
      return m.ok ? CAPABLE : { kind: 'incapable', reasons: m.reasons };
    } catch (e) {
      return {
        kind: 'incapable',
        reasons: [`capability check failed: ${e instanceof Error ? e.message : String(e)}`],
      };
    }
  }
}
