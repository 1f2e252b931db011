/**
 * The node definitions the embedded engine advertises, as `/object_info` would: each class's live
 * definition (LoadImage lists the files of the input folder) or its fixed one.
 */
import type { NodeDefs } from '../workflow/types';
import { builtinNodes, type NodeRegistry } from './registry';

/** The `/object_info` of the engine for the given input folder. */
export async function engineDefinitions(
  inputDir: string,
  nodes: NodeRegistry = builtinNodes,
): Promise<NodeDefs> {
  const defs: NodeDefs = {};
  for (const [name, impl] of nodes) {
    defs[name] = impl.liveDef ? await impl.liveDef({ inputDir }) : impl.def;
  }
  return defs;
}
