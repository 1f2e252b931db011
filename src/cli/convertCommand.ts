/**
 * `comfy-runner convert <file> [--nodes <object_info.json>] [-o <out>]`: turns an editor-format (or
 * PNG) workflow into the API format that `POST /prompt` takes.
 */
import { writeFileAtomic } from '../core/util/atomicWrite';
import { loadWorkflowFile } from '../core/workflow/loadWorkflow';
import { workflowDefinitions } from '../core/run/workflowDefinitions';
import type { CliIo } from './output';

/** Options of the convert command. */
export interface ConvertOptions {
  file: string;
  nodes?: string;
  inputDir: string;
  out?: string;
  json: boolean;
}

/** Runs the convert command; returns the exit code. Bad input surfaces as a RunnerError. */
export async function convertCommand(opts: ConvertOptions, io: CliIo): Promise<number> {
  const defs = await workflowDefinitions({ file: opts.nodes, inputDir: opts.inputDir });
  const loaded = await loadWorkflowFile(opts.file, defs);
  for (const w of loaded.warnings) io.err(`${opts.file}: warning: ${w}`);
  const text = JSON.stringify(loaded.prompt, null, 2) + '\n';
  if (opts.out) {
    await writeFileAtomic(opts.out, text);
    if (opts.json) io.out(JSON.stringify({ file: opts.file, format: loaded.format, out: opts.out }));
    else io.err(`${opts.file}: ${loaded.format} format converted to ${opts.out}`);
  } else {
    io.out(text.trimEnd());
  }
  return 0;
}
