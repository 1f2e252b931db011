/**
 * Node classes for engine tests and benchmarks only; never registered in the built-in registry. Tests
 * build a registry with `createRegistry(testNodes)` and point the engine's workers at this module
 * (`testWorkerRegistry`) so the heavy `TestSpin` runs on worker threads. Nodes that run on the main
 * thread write what they did into `testRecorder`; worker threads have their own, unused copy. The
 * helpers at the end build an engine over these nodes and collect a run's events.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { EngineEvent, ExecutionOutcome } from '../../src/core/engine/engineEvents';
import {
  createEngine,
  type Engine,
  type EngineOptions,
  type ExecuteOptions,
} from '../../src/core/engine/executor';
import { createRegistry, type NodeRegistry } from '../../src/core/engine/registry';
import { NodeException, type NodeContext, type NodeImpl } from '../../src/core/engine/types';
import type { ApiNode, ApiPrompt, InputSpec, NodeDef } from '../../src/core/workflow/types';
import type { WorkerRegistryModule } from '../../src/core/engine/workerPool';
import { testDirs } from './testDirs';

/** The link type every test node passes around. */
const VALUE = 'TEST_VALUE';
const INT: InputSpec = ['INT', { default: 0, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }];
const STRING: InputSpec = ['STRING', { default: '' }];
const OPTIONAL_INPUT = { input: [VALUE] as InputSpec };

/** When a node ran, in `performance.timeOrigin + performance.now()` milliseconds (comparable across threads). */
export interface Interval {
  nodeId: string;
  start: number;
  end: number;
}

/** What main-thread test nodes did. Call `reset()` before each test. */
export const testRecorder = {
  /** Node ids in the order they started. */
  runs: [] as string[],
  /** Start and end of every TestDelay that finished. */
  intervals: [] as Interval[],
  /** Runs per TestCounter tag. */
  counts: new Map<string, number>(),
  /** The input each TestCounter tag received last. */
  values: new Map<string, unknown>(),
  /** What TestFingerprint reports per tag; change it to make the node's cache key change. */
  fingerprints: new Map<string, string>(),
  reset(): void {
    this.runs = [];
    this.intervals = [];
    this.counts.clear();
    this.values.clear();
    this.fingerprints.clear();
  },
};

/** A wall-clock stamp that agrees between threads. */
export function stamp(): number {
  return performance.timeOrigin + performance.now();
}

function def(
  name: string,
  required: Record<string, InputSpec>,
  outputs: string[],
  outputNode = false,
  optional: Record<string, InputSpec> = OPTIONAL_INPUT,
): NodeDef {
  return {
    input: { required, optional },
    input_order: { required: Object.keys(required), optional: Object.keys(optional) },
    output: outputs,
    output_is_list: outputs.map(() => false),
    output_name: outputs,
    name,
    display_name: name,
    description: `Test node ${name}`,
    python_module: 'tests',
    category: 'testing',
    output_node: outputNode,
  };
}

function node(
  classType: string,
  nodeDef: NodeDef,
  run: NodeImpl['run'],
  extra: Partial<Pick<NodeImpl, 'heavy' | 'fingerprint'>> = {},
): NodeImpl {
  return { classType, def: nodeDef, run, ...extra };
}

function record(ctx: NodeContext): void {
  testRecorder.runs.push(ctx.nodeId);
}

/** Busy work of `iterations` steps, checking for interrupts and reporting progress every 100k steps. */
function spin(iterations: number, ctx: NodeContext): number {
  let x = 0;
  for (let done = 0; done < iterations;) {
    ctx.checkpoint();
    const chunk = Math.min(100_000, iterations - done);
    for (let i = 0; i < chunk; i++) x += Math.sqrt(i + done) * 1e-9;
    done += chunk;
    ctx.progress(done, iterations);
  }
  return x;
}

/** The test node classes. */
export const testNodes: NodeImpl[] = [
  node('TestSource', def('TestSource', { value: INT }, [VALUE]), (inputs, ctx) => {
    record(ctx);
    return { outputs: [inputs.value] };
  }),
  node('TestAdd', def('TestAdd', { add: INT }, [VALUE]), (inputs, ctx) => {
    record(ctx);
    return { outputs: [((inputs.input as number | undefined) ?? 0) + (inputs.add as number)] };
  }),
  node('TestDelay', def('TestDelay', { ms: INT }, [VALUE]), async (inputs, ctx) => {
    record(ctx);
    const start = stamp();
    await new Promise((r) => setTimeout(r, inputs.ms as number));
    testRecorder.intervals.push({ nodeId: ctx.nodeId, start, end: stamp() });
    return { outputs: [inputs.input ?? inputs.ms] };
  }),
  node('TestFail', def('TestFail', { message: STRING, exception_type: STRING }, [VALUE]), (inputs, ctx) => {
    record(ctx);
    const type = inputs.exception_type as string;
    // Without a Python type name the node throws a plain JS error, whose name the engine reports.
    throw type ? new NodeException(type, inputs.message as string) : new RangeError(inputs.message as string);
  }),
  // Its input takes any type, so it can also collect TestSpin's stamps.
  node('TestCounter', def('TestCounter', { tag: STRING }, [VALUE], true, { input: ['*'] }), (inputs, ctx) => {
    record(ctx);
    const tag = inputs.tag as string;
    const n = (testRecorder.counts.get(tag) ?? 0) + 1;
    testRecorder.counts.set(tag, n);
    testRecorder.values.set(tag, inputs.input);
    // Like SaveImage: a new numbered file per run, listed in the UI output.
    const taken = readdirSync(ctx.outputDir).filter((f) => f.startsWith(`${tag}_`)).length;
    const filename = `${tag}_${String(taken + 1).padStart(5, '0')}_.txt`;
    writeFileSync(join(ctx.outputDir, filename), JSON.stringify(inputs.input ?? null));
    return { outputs: [inputs.input], ui: { files: [{ filename, subfolder: '', type: 'output' }] } };
  }),
  node(
    'TestFingerprint',
    def('TestFingerprint', { tag: STRING }, [VALUE]),
    (inputs, ctx) => {
      record(ctx);
      return { outputs: [inputs.input ?? inputs.tag] };
    },
    { fingerprint: (inputs) => testRecorder.fingerprints.get(inputs.tag as string) ?? '' },
  ),
  node(
    'TestSpin',
    def('TestSpin', { iterations: INT }, [VALUE, 'TEST_STAMPS']),
    (inputs, ctx) => {
      const iterations = inputs.iterations as number;
      if (iterations < 0)
        throw new NodeException('ValueError', `iterations must not be negative, got ${iterations}`);
      const start = stamp();
      const x = spin(iterations, ctx);
      return {
        outputs: [((inputs.input as number | undefined) ?? 0) + x, { start, end: stamp(), threadId }],
      };
    },
    { heavy: true },
  ),
];

/** A registry of the test nodes. */
export const testRegistry: NodeRegistry = createRegistry(testNodes);

/** Points engine workers at this module, so they know the test nodes. */
export const testWorkerRegistry: WorkerRegistryModule = { path: __filename, exportName: 'testNodes' };

/**
 * An engine over the test nodes, with workers that know them, in fresh folders; its log (the stacks of
 * nodes that threw) is dropped unless given.
 */
export function testEngine(options: Partial<EngineOptions> = {}): Engine {
  const quiet = { log: () => undefined };
  return createEngine({
    nodes: testRegistry,
    workerRegistry: testWorkerRegistry,
    ...testDirs(),
    ...quiet,
    ...options,
  });
}

/** One API-format node. */
export function apiNode(classType: string, inputs: Record<string, unknown>): ApiNode {
  return { class_type: classType, inputs };
}

/**
 * A chain: TestSource, then `length` nodes of class `middle` (TestAdd: each adds 1 to its input), then a
 * TestCounter tagged `chain`. Node ids are `0` to `length`, and `out`.
 */
export function chainPrompt(length: number, middle = 'TestAdd'): ApiPrompt {
  const prompt: ApiPrompt = { '0': apiNode('TestSource', { value: 0 }) };
  for (let i = 1; i <= length; i++)
    prompt[String(i)] = apiNode(middle, { input: [String(i - 1), 0], add: 1 });
  prompt.out = apiNode('TestCounter', { input: [String(length), 0], tag: 'chain' });
  return prompt;
}

/** Runs a prompt and returns its outcome with every event it emitted. */
export async function runCollecting(
  engine: Engine,
  prompt: ApiPrompt,
  options: Partial<ExecuteOptions> = {},
): Promise<{ outcome: ExecutionOutcome; events: EngineEvent[] }> {
  const events: EngineEvent[] = [];
  const outcome = await engine.execute(prompt, {
    promptId: 'p1',
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { outcome, events };
}
