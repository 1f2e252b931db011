/**
 * Shared test data for the validation tests: ComfyUI 0.8.0's `/object_info` (534 KB, parsed once per test
 * run thanks to the module cache), the recorded workflows and the server's recorded answers to them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiNode, ApiPrompt, NodeDefs } from '../../../src/core/workflow/types';
import { comfyFixtures } from '../../fakes/fixturePaths';

const FIXTURES = comfyFixtures;

/** ComfyUI 0.8.0's node definitions. */
export const defs: NodeDefs = JSON.parse(
  readFileSync(join(FIXTURES, 'transcripts', 'object_info.json'), 'utf8'),
) as NodeDefs;

/** A recorded API-format workflow, e.g. `06a_validation_missing_input`; a fresh copy on every call. */
export function recordedWorkflow(name: string): ApiPrompt {
  return JSON.parse(readFileSync(join(FIXTURES, 'workflows', `${name}.json`), 'utf8')) as ApiPrompt;
}

/** A line of a transcript: only the fields these tests read. */
interface TranscriptLine {
  kind: string;
  method?: string;
  path?: string;
  request?: { prompt?: unknown };
  status?: number;
  response?: unknown;
}

/** The server's recorded answers to `POST /prompt` in scenario 06, in order, with the prompt each answered. */
export function recordedPromptAnswers(): { prompt: unknown; status: number; response: unknown }[] {
  const lines = readFileSync(join(FIXTURES, 'transcripts', '06_validation_error.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TranscriptLine);
  return lines
    .filter((l) => l.kind === 'http' && l.method === 'POST' && l.path === '/prompt' && l.request?.prompt)
    .map((l) => ({ prompt: l.request!.prompt, status: l.status!, response: l.response }));
}

/** An API node, for writing small prompts inline. */
export function node(classType: string, inputs: Record<string, unknown> = {}, title?: string): ApiNode {
  return title === undefined
    ? { class_type: classType, inputs }
    : { class_type: classType, inputs, _meta: { title } };
}

/** A valid 64x64 EmptyImage, the usual source node of the inline prompts. */
export function emptyImage(overrides: Record<string, unknown> = {}): ApiNode {
  return node('EmptyImage', { width: 64, height: 64, batch_size: 1, color: 0, ...overrides });
}

/** A SaveImage output node fed by `source`. */
export function saveImage(source: string, slot = 0): ApiNode {
  return node('SaveImage', { images: [source, slot], filename_prefix: 'test' });
}
