/**
 * The embedded engine as a run target: runs a job's prompt in-process and collects what its output nodes
 * wrote into the job's folder, the way a remote server's outputs are downloaded.
 */
import { randomUUID } from 'node:crypto';
import { RunnerError } from '../../util/runnerError';
import type { Engine } from '../../engine/executor';
import { isPreviewEvent, type EngineEvent } from '../../engine/engineEvents';
import type { ExecutionData } from '../../protocol/executionMessages';
import { copyFileAtomic } from '../../util/atomicWrite';
import { joinInside } from '../../util/safePath';
import type { Job, JobError, JobOutput } from '../../jobs/job';
import { describeOutput, outputDestination } from '../../jobs/runRecord';
import { outputRefs } from '../../protocol/outputRefs';
import { rejectionWithProblems } from './rejectionWithProblems';
import type { RunHooks, RunResult, RunTarget } from './runTarget';

/** Folders the engine reads and writes, needed to find its outputs. */
export interface EmbeddedFolders {
  outputDir: string;
  tempDir: string;
}

/** A run target over an {@link Engine}. */
export function embeddedTarget(engine: Engine, folders: EmbeddedFolders, name = 'embedded'): RunTarget {
  return {
    name,
    version: 'embedded',
    // The engine's own `/object_info`, so a pool sends it only jobs whose node classes it has.
    capabilities: () => engine.definitions(),
    run: (job, hooks, signal) => runOnEngine(engine, folders, job, hooks, signal),
    dispose: () => engine.dispose(),
  };
}

async function runOnEngine(
  engine: Engine,
  folders: EmbeddedFolders,
  job: Job,
  hooks: RunHooks,
  signal: AbortSignal,
): Promise<RunResult> {
  const promptId = randomUUID();
  hooks.accepted(promptId);
  const onEvent = (event: EngineEvent) => {
    // Previews are image bytes, not one of ComfyUI's JSON events: like a remote target, this one hands
    // the scheduler only the JSON events.
    if (isPreviewEvent(event)) return;
    if (event.type === 'execution_start') hooks.started();
    hooks.event(event);
  };
  let outcome;
  try {
    outcome = await engine.execute(job.prompt, {
      promptId,
      extraData: job.extraPngInfo ? { extra_pnginfo: job.extraPngInfo } : {},
      onEvent,
      signal,
    });
  } catch (e) {
    throw rejectionWithProblems(e, job);
  }
  const outputs = await collectOutputs(outcome.outputs, folders, job.outDir);
  if (outcome.status === 'error') return { status: 'error', outputs, error: executionError(outcome.error) };
  return { status: outcome.status, outputs };
}

function executionError(data: ExecutionData<'execution_error'> | undefined): JobError {
  if (!data) return { message: 'execution failed', reason: 'execution_failed' };
  return {
    message: `${data.exception_type}: ${data.exception_message}`,
    reason: 'execution_failed',
    node_id: data.node_id,
    node_type: data.node_type,
    exception_type: data.exception_type,
    traceback: data.traceback,
  };
}

async function collectOutputs(
  ui: Record<string, Record<string, unknown[]>>,
  folders: EmbeddedFolders,
  outDir: string,
): Promise<JobOutput[]> {
  const outputs: JobOutput[] = [];
  for (const ref of outputRefs(ui)) {
    const base = ref.type === 'temp' ? folders.tempDir : folders.outputDir;
    const from = joinInside(base, ref.subfolder, ref.filename);
    const to = outputDestination(outDir, ref);
    if (!from || !to)
      throw new RunnerError('protocol', `output name escapes its folder: ${ref.subfolder}/${ref.filename}`);
    await copyFileAtomic(from, to);
    outputs.push(await describeOutput(outDir, to, ref));
  }
  return outputs;
}
