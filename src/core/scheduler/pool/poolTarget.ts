/**
 * One target of the pool as the scheduler sees it: its slots, tags, switch and health, the node
 * definitions it reported, and the jobs it holds. The checks here are pure; the pool keeps the state live.
 */
import type { NodeDefs } from '../../workflow/types';
import type { JobPlacement } from '../../jobs/job';
import type { AutoRetryOptions } from '../retryPolicy';
import type { ProbeResult, RunTarget } from '../targets/runTarget';

/** Whether a target takes jobs: `unknown` until its first probe answers. */
export type TargetHealth = 'unknown' | 'up' | 'down';

/** Asks whether a target can take jobs now; a rejection counts as down, its message as the reason. */
export type TargetProbe = (target: RunTarget) => Promise<ProbeResult>;

/** How a target joins the pool. */
export interface PoolTargetOptions {
  /** The target; its `name` names it in the pool and must be unique there. */
  readonly target: RunTarget;
  /**
   * How many jobs the target runs at once.
   * @default 1
   */
  readonly slots?: number;
  /**
   * One job more than `slots` is submitted ahead, so the server starts it the moment a slot frees
   * instead of waiting a round trip for our next submission.
   * @default false
   */
  readonly prefetch?: boolean;
  /**
   * Labels jobs can ask for through `runOn.tags` ("sdxl", "24gb").
   * @default []
   */
  readonly tags?: readonly string[];
  /**
   * Whether the target takes new jobs; jobs running on it finish either way.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Opt-in automatic resubmission of jobs whose submission to this target failed before they started.
   * @default undefined (a failure is final)
   */
  readonly autoRetry?: AutoRetryOptions;
  /**
   * The target's node definitions when the caller has them already (it asked the server before
   * planning jobs): the pool starts with them instead of asking again, until the target comes back
   * after being down.
   * @default asked of the target
   */
  readonly definitions?: NodeDefs;
}

/** A target in the pool, with its live state. */
export interface PoolTarget {
  readonly target: RunTarget;
  readonly name: string;
  readonly slots: number;
  readonly prefetch: boolean;
  readonly tags: readonly string[];
  readonly autoRetry?: AutoRetryOptions;
  enabled: boolean;
  health: TargetHealth;
  /** Why the target is down, as a UI shows it. */
  healthReason?: string;
  /** Its node definitions: undefined until loaded, null for a target that runs anything. */
  defs: NodeDefs | null | undefined;
  /** Bumped whenever `defs` change, so cached capability checks know to look again. */
  defsVersion: number;
  /** Ids of the jobs submitted to it and not yet ended. */
  readonly inFlight: Set<string>;
}

/** A target as a UI shows it: plain JSON. */
export interface TargetView {
  name: string;
  version?: string;
  tags: string[];
  enabled: boolean;
  health: TargetHealth;
  healthReason?: string;
  slots: number;
  prefetch: boolean;
  /** Jobs submitted to it and not yet ended, prefetched ones included. */
  used: number;
  /** `any` for a target that reports no definitions; `loading` until they arrive. */
  capabilities: 'any' | 'loading' | 'known';
}

/** A pool target from its options, not yet probed. */
export function createPoolTarget(options: PoolTargetOptions): PoolTarget {
  const slots = options.slots ?? 1;
  if (!Number.isInteger(slots) || slots < 1) {
    throw new RangeError(`target ${options.target.name}: slots must be a whole number of at least 1`);
  }
  return {
    target: options.target,
    name: options.target.name,
    slots,
    prefetch: options.prefetch ?? false,
    tags: [...(options.tags ?? [])],
    autoRetry: options.autoRetry,
    enabled: options.enabled ?? true,
    health: 'unknown',
    defs: undefined,
    defsVersion: 0,
    inFlight: new Set(),
  };
}

/** The most jobs a target holds at once: its slots plus the prefetched one. */
export function capacity(t: PoolTarget): number {
  return t.slots + (t.prefetch ? 1 : 0);
}

/** True when a job sent now would start at once rather than wait in the server's queue. */
export function hasFreeSlot(t: PoolTarget): boolean {
  return t.inFlight.size < t.slots;
}

/** True when the target may be sent a job now: enabled, up, its definitions known, room left. */
export function canTakeJob(t: PoolTarget): boolean {
  return t.enabled && t.health === 'up' && t.defs !== undefined && t.inFlight.size < capacity(t);
}

/** True when a job placed as `placement` may run on the target (by name or by one shared tag). */
export function placementAllows(t: PoolTarget, placement: JobPlacement | undefined): boolean {
  const names = placement?.targets;
  const tags = placement?.tags;
  if (!names?.length && !tags?.length) return true;
  return (names?.includes(t.name) ?? false) || (tags?.some((tag) => t.tags.includes(tag)) ?? false);
}

/** Why a placement excludes a target, for the blocked explanation. */
export function placementReason(placement: JobPlacement | undefined): string {
  const parts: string[] = [];
  if (placement?.targets?.length) parts.push(`targets ${placement.targets.join(', ')}`);
  if (placement?.tags?.length) parts.push(`tags ${placement.tags.join(', ')}`);
  return `not among the job's ${parts.join(' or ')}`;
}

/** The plain JSON view of a target. */
export function targetView(t: PoolTarget): TargetView {
  return {
    name: t.name,
    ...(t.target.version !== undefined && { version: t.target.version }),
    tags: [...t.tags],
    enabled: t.enabled,
    health: t.health,
    ...(t.healthReason !== undefined && { healthReason: t.healthReason }),
    slots: t.slots,
    prefetch: t.prefetch,
    used: t.inFlight.size,
    capabilities: t.defs === null ? 'any' : t.defs === undefined ? 'loading' : 'known',
  };
}
