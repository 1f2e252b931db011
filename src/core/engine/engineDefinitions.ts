/**
 * The node definitions the embedded engine advertises, as `/object_info` would. Most are fixed; a class
 * with a `liveDef` (LoadImage, LoadImageMask) lists the image files of the input folder, which may change
 * between two calls. {@link EngineDefinitions} therefore lists the folder on every call, but builds the
 * definitions only when the listing differs from the last one.
 */
import type { NodeDefs } from '../workflow/types';
import { listInputImages } from './inputImages';
import { builtinNodes, type NodeRegistry } from './registry';
import type { LiveInputs } from './types';

/** True when both lists hold the same names in the same order. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** The definitions of one engine: built once, rebuilt only when the input folder's images change. */
export class EngineDefinitions {
  private readonly live: boolean;
  private last: { inputs: LiveInputs; defs: NodeDefs } | undefined;

  constructor(
    private readonly inputDir: string,
    private readonly nodes: NodeRegistry = builtinNodes,
  ) {
    this.live = [...nodes.values()].some((impl) => impl.liveDef);
  }

  /**
   * The definitions for the input folder as it is now. While the folder lists the same images, every
   * call returns the same object; callers must treat it as read-only.
   */
  async current(): Promise<NodeDefs> {
    const inputs: LiveInputs = { inputImages: this.live ? await listInputImages(this.inputDir) : [] };
    if (this.last && sameNames(this.last.inputs.inputImages, inputs.inputImages)) return this.last.defs;
    const defs: NodeDefs = {};
    for (const [name, impl] of this.nodes) defs[name] = impl.liveDef ? impl.liveDef(inputs) : impl.def;
    this.last = { inputs, defs };
    return defs;
  }
}

/** The `/object_info` of the engine for the given input folder, for a caller that asks once. */
export function engineDefinitions(inputDir: string, nodes: NodeRegistry = builtinNodes): Promise<NodeDefs> {
  return new EngineDefinitions(inputDir, nodes).current();
}
