/**
 * Opening a workflow file of any supported kind and turning it into a runnable API prompt: API format
 * as is, editor format converted with the target's node definitions, PNG outputs through their
 * embedded `prompt` (or `workflow`) chunk.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { RunnerError } from '../util/runnerError';
import { convertEditorToApi, type ConvertResult } from './convert';
import { detectWorkflow } from './detect';
import { promptHash } from './graph';
import { findPromptSeeds, type SeedWidget } from './seeds';
import type { ApiPrompt, EditorWorkflow, NodeDefs } from './types';

/** A workflow file ready to run. */
export interface LoadedWorkflow {
  /** The file it came from, as given. */
  file: string;
  /** The format the file was in. */
  format: 'api' | 'editor' | 'png';
  /** The API prompt to run. */
  prompt: ApiPrompt;
  /** `extra_data.extra_pnginfo` to send along, so outputs reopen in ComfyUI's editor. */
  extraPngInfo?: { workflow: EditorWorkflow };
  /** Warnings from the conversion, if any. */
  warnings: string[];
  /**
   * The prompt's seeds: with their saved controls for an editor file (the conversion's), without for
   * an API prompt, whose seeds the definitions tell (seeds.ts).
   */
  seeds: SeedWidget[];
  /** SHA-256 of the file's bytes. */
  sourceHash: string;
  /** The stable content hash of the API prompt ({@link promptHash}). */
  promptHash: string;
}

/** Reads a file's bytes, turning a missing or unreadable file into a `bad_input` error naming it. */
export async function readWorkflowBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : String(code ?? e);
    throw new RunnerError('bad_input', `${file}: cannot read the workflow (${why})`, { file });
  }
}

/** Loads a workflow from its bytes, converting editor format with `defs`. */
export function loadWorkflowBytes(file: string, bytes: Uint8Array, defs: NodeDefs): LoadedWorkflow {
  const detected = detectWorkflow(bytes, file);
  const sourceHash = sha256(bytes);
  const done = (
    format: LoadedWorkflow['format'],
    prompt: ApiPrompt,
    extra?: LoadedWorkflow['extraPngInfo'],
    converted?: ConvertResult,
  ) => ({
    file,
    format,
    prompt,
    extraPngInfo: extra,
    warnings: converted?.warnings ?? [],
    seeds: converted?.seeds ?? findPromptSeeds(prompt, defs),
    sourceHash,
    promptHash: promptHash(prompt),
  });
  switch (detected.format) {
    case 'api':
      return done('api', detected.prompt);
    case 'editor': {
      const converted = convertEditorToApi(detected.workflow, defs, { fileName: file });
      return done('editor', converted.prompt, converted.extraPngInfo, converted);
    }
    case 'png': {
      // The prompt the PNG embeds is what ran; the controls its workflow saved may not match it.
      if (detected.prompt) {
        return done('png', detected.prompt, detected.workflow ? { workflow: detected.workflow } : undefined);
      }
      if (detected.workflow) {
        const converted = convertEditorToApi(detected.workflow, defs, { fileName: file });
        return done('png', converted.prompt, converted.extraPngInfo, converted);
      }
      throw new RunnerError('bad_input', `${file}: the PNG carries no workflow`, { file });
    }
    case 'none': {
      // The reason already gives the line and column of a JSON syntax error.
      throw new RunnerError('bad_input', `${file}: not a ComfyUI workflow: ${detected.reason}`, { file });
    }
  }
}

/** Reads and loads a workflow file. */
export async function loadWorkflowFile(file: string, defs: NodeDefs): Promise<LoadedWorkflow> {
  return loadWorkflowBytes(file, await readWorkflowBytes(file), defs);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
