/**
 * The pool of targets jobs are dispatched to, and their health. Health comes from an injectable probe,
 * asked when a target joins, on a timer, and on request; a target that comes up (again) reports its
 * node definitions afresh, since a restarted server may have other nodes and models.
 */
import { RunnerError } from '../../util/runnerError';
import { createPoolTarget, type PoolTarget, type PoolTargetOptions, type TargetHealth } from './poolTarget';
import type { TargetProbe } from './poolTarget';
import type { ProbeResult } from '../targets/runTarget';

/** How the pool tells its owner what changed. */
export interface PoolOptions {
  /** Asks a target's health; without it every target is up unless a failure marked it down. */
  readonly probe?: TargetProbe;
  /** Time between two rounds of probes in ms; 0 probes only when asked. */
  readonly healthIntervalMs: number;
  /** A target's health or its reason changed. */
  onHealth(t: PoolTarget, from: TargetHealth): void;
  /** A target's node definitions arrived (or it turned out to run anything). */
  onCapabilities(t: PoolTarget): void;
}

/** The targets, by name and in the order they joined. */
export class Pool {
  private readonly targets: PoolTarget[] = [];
  private readonly byName = new Map<string, PoolTarget>();
  /** The probe or definitions load under way per target, so two never overlap. */
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly timer?: NodeJS.Timeout;

  constructor(private readonly options: PoolOptions) {
    if (options.healthIntervalMs > 0) {
      this.timer = setInterval(() => void this.refresh(), options.healthIntervalMs);
      // The pool must never be what keeps a finished command-line run alive.
      this.timer.unref();
    }
  }

  /** Every target, in the order they joined. */
  list(): readonly PoolTarget[] {
    return this.targets;
  }

  /** The target of that name. */
  get(name: string): PoolTarget | undefined {
    return this.byName.get(name);
  }

  /** Adds a target and starts finding out its health and capabilities. */
  add(options: PoolTargetOptions): PoolTarget {
    const t = createPoolTarget(options);
    if (this.byName.has(t.name)) throw new RunnerError('bad_input', `two targets are named ${t.name}`);
    this.targets.push(t);
    this.byName.set(t.name, t);
    if (options.definitions) this.setDefs(t, options.definitions);
    if (this.probeOf(t)) {
      void this.refreshTarget(t);
      return t;
    }
    // Without a probe a target is up at once, and one without definitions (the embedded engine) can
    // take the first job in the same tick as it is added.
    this.setHealth(t, 'up');
    if (t.defs !== undefined) return t;
    if (t.target.capabilities) void this.refreshTarget(t);
    else this.setDefs(t, null);
    return t;
  }

  /** Marks a target down (a submission found it unreachable) until a probe finds it up again. */
  markDown(t: PoolTarget, reason: string): void {
    this.setHealth(t, 'down', reason);
  }

  /** Probes every target, or the one named, and loads definitions where needed; resolves when done. */
  async refresh(name?: string): Promise<void> {
    const targets = name === undefined ? this.targets : this.targets.filter((t) => t.name === name);
    await Promise.all(targets.map((t) => this.refreshTarget(t)));
  }

  /** Resolves once the probes and definition loads under way have ended (each never rejects). */
  async settled(): Promise<void> {
    await Promise.all([...this.refreshing.values()]);
  }

  /** Stops the probe timer. The pool does not own its targets and leaves them open. */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private refreshTarget(t: PoolTarget): Promise<void> {
    const running = this.refreshing.get(t.name);
    if (running) return running;
    const p = this.probeAndLoad(t).finally(() => this.refreshing.delete(t.name));
    this.refreshing.set(t.name, p);
    return p;
  }

  /** Never rejects: every failure becomes the target's down state and reason. */
  private async probeAndLoad(t: PoolTarget): Promise<void> {
    const result = await this.probe(t);
    if (result.up) this.setHealth(t, 'up');
    else this.setHealth(t, 'down', result.reason);
    if (t.health !== 'up' || t.defs !== undefined) return;
    if (!t.target.capabilities) {
      this.setDefs(t, null);
      return;
    }
    try {
      this.setDefs(t, await t.target.capabilities());
    } catch (e) {
      this.setHealth(t, 'down', `cannot read its node definitions: ${messageOf(e)}`);
    }
  }

  /** The scheduler's probe if it was given one, else the target's own health check, if it has one. */
  private probeOf(t: PoolTarget): (() => Promise<ProbeResult>) | undefined {
    const { probe } = this.options;
    if (probe) return () => probe(t.target);
    const { target } = t;
    return target.health ? () => target.health!() : undefined;
  }

  private async probe(t: PoolTarget): Promise<ProbeResult> {
    const probe = this.probeOf(t);
    if (!probe) return { up: true };
    try {
      return await probe();
    } catch (e) {
      return { up: false, reason: messageOf(e) };
    }
  }

  private setDefs(t: PoolTarget, defs: PoolTarget['defs']): void {
    t.defs = defs;
    t.defsVersion++;
    this.options.onCapabilities(t);
  }

  private setHealth(t: PoolTarget, health: TargetHealth, reason?: string): void {
    const from = t.health;
    if (from === health && t.healthReason === reason) return;
    t.health = health;
    if (reason === undefined) delete t.healthReason;
    else t.healthReason = reason;
    // A server that comes back may have restarted with other nodes: read its definitions again.
    if (health === 'up' && from === 'down' && t.target.capabilities && t.defs !== undefined) {
      t.defs = undefined;
      t.defsVersion++;
    }
    this.options.onHealth(t, from);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
