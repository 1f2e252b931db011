/**
 * The embedded engine as a run target: runs a job's prompt in-process with the job's folder as the
 * prompt's output folder (previews in its `previews` subfolder), so every output file is written once,
 * where the job keeps it, and described from the bytes the engine wrote: nothing is copied or read back.
 */
import { mkdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { RunnerError } from '../../util/runnerError';
import type { Engine } from '../../engine/executor';
import { isPreviewEvent, type EngineEvent } from '../../engine/engineEvents';
import type { WrittenFile } from '../../engine/types';
import type { ExecutionData } from '../../protocol/executionMessages';
import type { Job, JobError, JobOutput } from '../../jobs/job';
import { collectionDir, describeOutput, outputDestination } from '../../jobs/runRecord';
import { outputRefs } from '../../protocol/outputRefs';
import { rejectionWithProblems } from './rejectionWithProblems';
import type { RunHooks, RunResult, RunTarget } from './runTarget';

/** A run target over an {@link Engine}; disposing the target disposes the engine. */
export function embeddedTarget(engine: Engine, name = 'embedded'): RunTarget {
  return {
    name,
    version: 'embedded',
    inProcess: true,
    // The engine's own `/object_info`, so a pool sends it only jobs whose node classes it has.
    capabilities: () => engine.definitions(),
    run: (job, hooks, signal) => runOnEngine(engine, job, hooks, signal),
    dispose: () => engine.dispose(),
  };
}

async function runOnEngine(
  engine: Engine,
  job: Job,
  hooks: RunHooks,
  signal: AbortSignal,
): Promise<RunResult> {
  const promptId = randomUUID();
  hooks.accepted(promptId);
  const onEvent = (event: EngineEvent) => {
    // Previews are image bytes, not one of ComfyUI's JSON events: like a remote target, this one hands
    // them over apart from the JSON events.
    if (isPreviewEvent(event)) {
      const { format, bytes, node } = event.data;
      return hooks.preview?.({ mimeType: format === 'PNG' ? 'image/png' : 'image/jpeg', bytes, node });
    }
    if (event.type === 'execution_start') hooks.started();
    hooks.event(event);
  };
  const written = new Map<string, WrittenFile>();
  // Where outputDestination puts a collected file: outputs in the job's folder, previews below it.
  const outputDir = resolve(collectionDir(job));
  await mkdir(outputDir, { recursive: true });
  let outcome;
  try {
    outcome = await engine.execute(job.prompt, {
      promptId,
      extraData: job.extraPngInfo ? { extra_pnginfo: job.extraPngInfo } : {},
      // A part of a split run runs its outputs of the whole prompt, which its PNGs then carry as the
      // whole run's would.
      ...(job.split && { partialTargets: job.split.outputs }),
      onEvent,
      signal,
      outputDir,
      tempDir: join(outputDir, 'previews'),
      onFileWritten: (_nodeId, file) => written.set(resolve(file.path), file),
    });
  } catch (e) {
    throw rejectionWithProblems(e, job);
  }
  const outputs = await collectOutputs(outcome.outputs, written, { into: outputDir, base: job.outDir });
  if (outcome.status === 'error') return { status: 'error', outputs, error: executionError(outcome.error) };
  return { status: outcome.status, outputs };
}

/**
 * The job's error from the engine's `execution_error`: node, exception and message. No traceback: the
 * engine's is not a ComfyUI one (its JavaScript stack went to the engine's log), and the node and
 * exception already say all it would.
 */
function executionError(data: ExecutionData<'execution_error'> | undefined): JobError {
  if (!data) return { message: 'execution failed', reason: 'execution_failed' };
  return {
    message: `${data.exception_type}: ${data.exception_message}`,
    reason: 'execution_failed',
    node_id: data.node_id,
    node_type: data.node_type,
    exception_type: data.exception_type,
  };
}

/**
 * The job's outputs, in the order the UI lists them. A file the engine reported is described from what
 * it wrote; one it did not (a node that writes without reporting, a cached node replayed in place) is
 * read back from the job's folder.
 */
async function collectOutputs(
  ui: Record<string, Record<string, unknown[]>>,
  written: ReadonlyMap<string, WrittenFile>,
  folders: { into: string; base: string },
): Promise<JobOutput[]> {
  const outDir = folders.base;
  const outputs: JobOutput[] = [];
  for (const ref of outputRefs(ui)) {
    const path = outputDestination(folders.into, ref);
    if (!path)
      throw new RunnerError('protocol', `output name escapes its folder: ${ref.subfolder}/${ref.filename}`);
    const file = written.get(resolve(path));
    if (!file) {
      outputs.push(await describeOutput(outDir, path, ref));
      continue;
    }
    const { nodeId, kind, index } = ref;
    outputs.push({ path: relative(outDir, path), nodeId, kind, index, size: file.size, sha256: file.sha256 });
  }
  return outputs;
}
