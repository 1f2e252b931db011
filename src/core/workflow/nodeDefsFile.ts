/**
 * Node definitions from a file: a dump of a server's `/object_info` (the command line's `--nodes`, the
 * extension's node definitions setting), checked before use so that a wrong file is a message naming it
 * and the class at fault, never a crash later.
 */
import { readFile } from 'node:fs/promises';
import { RunnerError } from '../util/runnerError';
import type { NodeDefs } from './types';

/** Reads and checks node definitions from `file`; `bad_input` naming the file (and class) when wrong. */
export async function readNodeDefsFile(file: string): Promise<NodeDefs> {
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
  return parseNodeDefs(file, text);
}

/** Checks node definitions given as JSON text (`file` names them in messages). */
export function parseNodeDefs(file: string, text: string): NodeDefs {
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
