/**
 * A stand-in for the core's Runner in tests of the views: its jobs come from a JobStream, the test sends
 * their events by hand, and the calls the views make (cancel, retry, reorder, stats, verdicts) are
 * recorded and answered as the test says.
 */
import type { SystemStats } from '../../src/core/comfy/systemStats';
import type { Runner, RunnerEvent, RunnerListener, RunnerSnapshot } from '../../src/core/run/runner';
import type { WorkflowVerdict } from '../../src/core/run/workflowVerdicts';
import type { TargetView } from '../../src/core/scheduler/pool/poolTarget';
import { JobStream } from './jobEvents';

/** A target as a snapshot lists it. */
export function targetView(name: string, change: Partial<TargetView> = {}): TargetView {
  return {
    name,
    tags: [],
    enabled: true,
    health: 'up',
    slots: 1,
    prefetch: true,
    used: 0,
    capabilities: 'known',
    ...change,
  };
}

/** The fake; see the file comment. */
export class FakeRunner {
  readonly stream = new JobStream();
  readonly targets: TargetView[] = [targetView('embedded'), targetView('gpu-1')];
  readonly calls = { cancel: [] as string[], retry: [] as string[], reorder: [] as [string, string][] };
  /** What `serverStats` answers per server: stats, or an error to reject with. */
  readonly stats = new Map<string, SystemStats | Error>();
  /** What `whyNot` answers, or an error to reject with. */
  verdicts: WorkflowVerdict[] | Error = [];
  readonly whyNotAsked: { file: string; content?: string | Uint8Array }[] = [];
  private readonly listeners = new Set<RunnerListener>();

  /** The fake as the views take it. */
  get runner(): Runner {
    return this as unknown as Runner;
  }

  /** Sends events to the subscribers, as the runner would. */
  emit(...events: RunnerEvent[]): void {
    for (const e of events) for (const l of this.listeners) l(e);
  }

  subscribe(listener: RunnerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): RunnerSnapshot {
    const { jobs, paused } = this.stream.snapshot();
    const count = (s: string) => jobs.filter((v) => v.job.state === s).length;
    return {
      paused,
      concurrency: null,
      running: count('running') + count('dispatching'),
      queued: count('queued'),
      jobs,
      targets: structuredClone(this.targets),
      storeDir: '/out/.store',
      out: '/out',
    };
  }

  job(id: string) {
    const job = this.stream.jobs.get(id);
    return job && structuredClone(job);
  }

  splitParts(id: string) {
    const run = this.stream.jobs.get(id)?.split?.id ?? id;
    const parts = [...this.stream.jobs.values()].filter((j) => j.split?.id === run);
    return parts.sort((a, b) => a.split!.index - b.split!.index).map((p) => structuredClone(p));
  }

  cancel(id: string): boolean {
    this.calls.cancel.push(id);
    return true;
  }

  retry(id: string) {
    this.calls.retry.push(id);
    return this.stream.add().job;
  }

  reorder(id: string, where: string): boolean {
    this.calls.reorder.push([id, where]);
    return true;
  }

  serverStats(name: string): Promise<SystemStats> {
    const answer = this.stats.get(name) ?? { devices: [] };
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  whyNot(source: { file: string; content?: string | Uint8Array }): Promise<WorkflowVerdict[]> {
    this.whyNotAsked.push(source);
    return this.verdicts instanceof Error ? Promise.reject(this.verdicts) : Promise.resolve(this.verdicts);
  }
}
