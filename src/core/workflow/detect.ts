/**
 * Workflow format detection: given a file's text or bytes, which of ComfyUI's formats is it (API prompt,
 * editor workflow, PNG with embedded workflow) or, when it is none, exactly why not, down to the line and
 * column of a JSON syntax error. Never throws: every input, however broken, gets an answer.
 */
import { parseJson } from './detectJson';
import { apiShapeProblem, classifyEditor, classifyJson } from './detectShape';
import { isRecord } from './nodeDefs';
import { isPng, readPngText, type PngTextChunk } from './pngText';
import type { ApiPrompt, EditorWorkflow } from './types';

/** What a file holds. */
export type DetectedWorkflow =
  /** An API-format prompt, possibly unwrapped from a jobs-detail or `POST /prompt` body. */
  | { format: 'api'; prompt: ApiPrompt }
  /** An editor-format workflow; `linkLayout` says whether its links are arrays or objects. */
  | { format: 'editor'; version: 0.4 | 1; linkLayout: 'array' | 'object'; workflow: EditorWorkflow }
  /** A PNG with a `prompt` and/or `workflow` text chunk; `warnings` name chunks that were unusable. */
  | { format: 'png'; prompt?: ApiPrompt; workflow?: EditorWorkflow; warnings?: string[] }
  /** Not a workflow; `line` and `column` (1-based) locate a JSON syntax error. */
  | { format: 'none'; reason: string; line?: number; column?: number };

/** Detects the format of `content`. `fileName` only sharpens messages (a ".png" that is not one). */
export function detectWorkflow(content: string | Uint8Array, fileName?: string): DetectedWorkflow {
  try {
    if (typeof content === 'string') return detectText(content);
    if (isPng(content)) return detectPng(content);
    if (fileName && /\.png$/i.test(fileName)) {
      return { format: 'none', reason: 'not a PNG file: the PNG signature is missing' };
    }
    return detectText(decodeText(content));
  } catch (e) {
    // Nothing above should throw; if it does, the caller still gets an answer it can show.
    return {
      format: 'none',
      reason: `could not read the workflow: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** UTF-8, or UTF-16 when the bytes start with a UTF-16 byte order mark. */
function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes);
}

function detectText(text: string): DetectedWorkflow {
  if (text.startsWith('\u0089PNG') || text.startsWith('\ufffdPNG')) {
    return { format: 'none', reason: 'PNG data was given as text; read the file as bytes' };
  }
  if (text.trim() === '') return { format: 'none', reason: 'the file is empty' };
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { message, line, column } = parsed.error;
    return {
      format: 'none',
      reason: `not valid JSON: ${message} at line ${line}, column ${column}`,
      line,
      column,
    };
  }
  return classifyJson(parsed.value);
}

function detectPng(bytes: Uint8Array): DetectedWorkflow {
  const { chunks, problems } = readPngText(bytes);
  const warnings = [...problems];
  const prompt = chunkJson(chunks, 'prompt', warnings, (v) =>
    isRecord(v) ? (apiShapeProblem(v) ?? (v as ApiPrompt)) : 'not an object',
  );
  const workflow = chunkJson(chunks, 'workflow', warnings, (v) => {
    if (!isRecord(v)) return 'not an object';
    const shape = classifyEditor(v);
    return shape.format === 'editor' ? shape.workflow : shape.reason;
  });
  if (prompt || workflow) {
    const found: DetectedWorkflow = { format: 'png' };
    if (prompt) found.prompt = prompt;
    if (workflow) found.workflow = workflow;
    if (warnings.length > 0) found.warnings = warnings;
    return found;
  }
  const why = warnings.length > 0 ? `: ${warnings.join('; ')}` : '';
  const hasText = chunks.some((c) => c.keyword === 'prompt' || c.keyword === 'workflow');
  return {
    format: 'none',
    reason: hasText
      ? `the PNG's workflow chunks are unusable${why}`
      : `a PNG without "prompt" or "workflow" text chunks${why}`,
  };
}

/**
 * The value of the first text chunk named `keyword`, parsed and accepted by `accept` (which returns the
 * value, or a reason string); problems go to `warnings`.
 */
function chunkJson<T extends object>(
  chunks: PngTextChunk[],
  keyword: string,
  warnings: string[],
  accept: (value: unknown) => T | string,
): T | undefined {
  const chunk = chunks.find((c) => c.keyword === keyword);
  if (!chunk) return undefined;
  const parsed = parseJson(chunk.text);
  if (!parsed.ok) {
    const { message, line, column } = parsed.error;
    warnings.push(`the "${keyword}" chunk is not valid JSON: ${message} at line ${line}, column ${column}`);
    return undefined;
  }
  const accepted = accept(parsed.value);
  if (typeof accepted === 'object') return accepted;
  warnings.push(`the "${keyword}" chunk is not a workflow: ${accepted}`);
  return undefined;
}
