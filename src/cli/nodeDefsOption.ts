/**
 * The `--nodes <object_info.json>` option: node definitions from a dump of a server's `/object_info`,
 * or by default the embedded engine's own.
 */
import { readFile } from 'node:fs/promises';
import { engineDefinitions } from '../core/engine/engineDefinitions';
import { RunnerError } from '../core/util/runnerError';
import type { NodeDefs } from '../core/workflow/types';

/** Loads definitions from `file`, or the engine's for `inputDir` when no file is given. */
export async function loadNodeDefs(file: string | undefined, inputDir: string): Promise<NodeDefs> {
  if (!file) return engineDefinitions(inputDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RunnerError(
      'bad_input',
      `${file}: cannot read node definitions (${(e as NodeJS.ErrnoException).code ?? e})`,
      { file },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RunnerError(
      'bad_input',
      `${file}: node definitions are not valid JSON (${(e as Error).message})`,
      { file },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RunnerError(
      'bad_input',
      `${file}: node definitions must be an object of class name to definition, as /object_info returns`,
      { file },
    );
  }
  for (const [name, def] of Object.entries(parsed)) {
    if (typeof def !== 'object' || def === null || typeof (def as { input?: unknown }).input !== 'object') {
      throw new RunnerError('bad_input', `${file}: definition of "${name}" has no "input" object`, {
        file,
        classType: name,
      });
    }
  }
  return parsed as NodeDefs;
}
