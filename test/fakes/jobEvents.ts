/**
 * Jobs and the runner events about them, made by hand for the tests and the benchmark of the views:
 * a job is created as the scheduler creates it, moved through the named operations of jobState.ts, and
 * each change comes out as the event the runner would send.
 */
import { applyOperation, createJob, type Job, type JobBatch, type JobSplit } from '../../src/core/jobs/job';
import type { JobOperation } from '../../src/core/jobs/jobState';
import { initialProgress, type PromptProgress } from '../../src/core/protocol/promptProgress';
import type { RunnerEvent } from '../../src/core/run/runner';
import type { JobView } from '../../src/core/scheduler/schedulerView';
import type { ApiPrompt } from '../../src/core/workflow/types';

/** A three-node prompt: load, sample (titled), save. */
export const testPrompt: ApiPrompt = {
  '1': { class_type: 'LoadImage', inputs: { image: 'a.png' } },
  '2': { class_type: 'KSampler', inputs: { seed: 1 }, _meta: { title: 'Sampler' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0] } },
};

/** What a test job may be given. */
export interface TestJobSpec {
  id?: string;
  file?: string;
  batch?: JobBatch;
  priority?: number;
  seed?: number;
  dependsOn?: string[];
  split?: JobSplit;
  /** @default testPrompt */
  prompt?: ApiPrompt;
  retryOf?: string;
}

/** The jobs of a test and the events their changes make. */
export class JobStream {
  readonly jobs = new Map<string, Job>();
  private clock = 1_000_000;
  private count = 0;

  /** The stream's clock: every change moves it on by a second. */
  now(): number {
    return this.clock;
  }

  /** A new queued job and its `job/added` event. */
  add(spec: TestJobSpec = {}): RunnerEvent & { type: 'job/added' } {
    const id = spec.id ?? `job-${++this.count}`;
    const overrides = spec.seed === undefined ? [] : [{ node: '2', input: 'seed', value: spec.seed }];
    const job = createJob(
      {
        id,
        workflow: { file: spec.file ?? '/w/poster.json', sourceHash: 's', promptHash: 'p' },
        prompt: spec.prompt ?? testPrompt,
        overrides,
        outDir: spec.split ? `/out/${spec.split.id}` : `/out/${id}`,
        ...(spec.batch && { batch: spec.batch }),
        ...(spec.priority !== undefined && { priority: spec.priority }),
        ...(spec.dependsOn && { dependsOn: spec.dependsOn }),
        ...(spec.split && { split: spec.split }),
        ...(spec.retryOf && { retryOf: spec.retryOf }),
      },
      this.tick(),
    );
    this.jobs.set(id, job);
    return { type: 'job/added', job: structuredClone(job) };
  }

  /** `count` jobs of one batch, from run 1. */
  addBatch(batchId: string, count: number, file = '/w/sweep.json'): (RunnerEvent & { type: 'job/added' })[] {
    return Array.from({ length: count }, (_, i) =>
      this.add({ file, batch: { id: batchId, index: i + 1, size: count }, seed: 100 + i }),
    );
  }

  /**
   * The `count` parts of one run split by branch, `<runId>-1` and on, all in one folder: part i runs
   * the output node titled by `outputs[i - 1]` (`3`, the save node, when not given), of `spec.prompt`.
   */
  addSplit(
    runId: string,
    count: number,
    outputs: string[] = [],
    spec: Pick<TestJobSpec, 'prompt'> = {},
  ): (RunnerEvent & { type: 'job/added' })[] {
    return Array.from({ length: count }, (_, i) =>
      this.add({
        ...spec,
        id: `${runId}-${i + 1}`,
        split: { id: runId, index: i + 1, size: count, outputs: [outputs[i] ?? '3'] },
      }),
    );
  }

  /** Applies an operation (and a change of the record) and gives the `job/state` event. */
  move(id: string, op: JobOperation, change: (job: Job) => void = () => undefined): RunnerEvent {
    const job = this.jobs.get(id)!;
    const from = job.state;
    if (op === 'dispatch') job.server ??= 'gpu-1';
    change(job);
    applyOperation(job, op, this.tick());
    return { type: 'job/state', jobId: id, from, to: job.state, job: structuredClone(job) };
  }

  /** Dispatches and starts a job: two events. */
  start(id: string): RunnerEvent[] {
    return [this.move(id, 'dispatch', (j) => (j.promptId = `prompt-${id}`)), this.move(id, 'start')];
  }

  /** Starts and ends a job in one of the end states: the events in order. */
  finish(id: string, op: 'succeed' | 'fail' | 'cancel' | 'lose' = 'succeed'): RunnerEvent[] {
    const events = this.jobs.get(id)!.state === 'queued' ? this.start(id) : [];
    events.push(
      this.move(id, op, (j) => {
        if (op === 'succeed')
          j.outputs = [{ path: 'a.png', nodeId: '3', kind: 'images', index: 0, size: 1, sha256: 'x' }];
        if (op === 'fail') j.error = { message: 'CUDA out of memory\nmore', reason: 'execution_failed' };
        if (op === 'lose') j.error = { message: 'the server forgot the prompt', reason: 'lost' };
      }),
    );
    return events;
  }

  /** A `job/progress` event: node 2 at `value` of `max` steps, node 1 done. */
  progress(id: string, value: number, max: number): RunnerEvent {
    const p: PromptProgress = initialProgress(testPrompt);
    p.phase['1'] = 'done';
    p.done = 1;
    p.phase['2'] = 'running';
    p.running['2'] = { value, max };
    return { type: 'job/progress', jobId: id, progress: p };
  }

  /** A snapshot of every job as the runner gives it, with the queue order given (else as added). */
  snapshot(queueOrder?: string[]): { jobs: JobView[]; paused: boolean } {
    const queued = queueOrder ?? [...this.jobs.values()].filter((j) => j.state === 'queued').map((j) => j.id);
    const position = new Map(queued.map((id, i) => [id, i]));
    const jobs = [...this.jobs.values()].map((job) => {
      const view: JobView = { job: structuredClone(job), progress: initialProgress(job.prompt) };
      const at = position.get(job.id);
      if (at !== undefined) view.position = at;
      return view;
    });
    return { jobs, paused: false };
  }

  private tick(): number {
    this.clock += 1_000;
    return this.clock;
  }
}
