/**
 * The node definitions a workflow is validated and converted with when no pool is open: a file the user
 * named (a dump of a server's `/object_info`), or else the embedded engine's own. The command line's
 * `validate` and `convert` and the extension's Validate and Convert use the same choice.
 */
import { engineDefinitions } from '../engine/engineDefinitions';
import { readNodeDefsFile } from '../workflow/nodeDefsFile';
import type { NodeDefs } from '../workflow/types';

/** Where definitions come from. */
export interface DefinitionsSource {
  /** An `/object_info` dump; empty or absent means the embedded engine's definitions. */
  readonly file?: string;
  /** The input folder LoadImage lists, for the engine's definitions. */
  readonly inputDir: string;
}

/** The definitions from `file`, checked, or the engine's for `inputDir`. */
export function workflowDefinitions(source: DefinitionsSource): Promise<NodeDefs> {
  return source.file ? readNodeDefsFile(source.file) : engineDefinitions(source.inputDir);
}
