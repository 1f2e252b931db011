/**
 * The node definitions a workflow is validated and converted with when no pool is open: a file the user
 * named (a dump of a server's `/object_info`), or else the embedded engine's own. The command line's
 * `validate` and `convert` and the extension's Validate and Convert use the same choice.
 */
import { EngineDefinitions, engineDefinitions } from '../engine/engineDefinitions';
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

/**
 * The definitions of {@link workflowDefinitions}, kept between calls for a front end that validates as
 * the user types. A file's definitions are read once (a failure too, so a wrong file is not read again on
 * every keystroke) until {@link DefinitionsCache.clear}; the engine's are built once per input folder and
 * follow the folder's images, as {@link EngineDefinitions.current} does.
 */
export class DefinitionsCache {
  private readonly files = new Map<string, Promise<NodeDefs>>();
  private readonly engines = new Map<string, EngineDefinitions>();

  /** The definitions for `source`, from the cache when it holds them. */
  get(source: DefinitionsSource): Promise<NodeDefs> {
    if (source.file) {
      let defs = this.files.get(source.file);
      if (!defs) {
        defs = readNodeDefsFile(source.file);
        // A rejection is kept as the answer; this stops an unhandled-rejection report for it.
        defs.catch(() => undefined);
        this.files.set(source.file, defs);
      }
      return defs;
    }
    let engine = this.engines.get(source.inputDir);
    if (!engine) this.engines.set(source.inputDir, (engine = new EngineDefinitions(source.inputDir)));
    return engine.current();
  }

  /** Forgets every file's definitions (the setting naming the file changed, or the user asked again). */
  clear(): void {
    this.files.clear();
  }
}
