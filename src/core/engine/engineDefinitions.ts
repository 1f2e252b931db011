/**
 * The node definitions the embedded engine advertises, as `/object_info` would. Most are fixed; a class
 * with a `liveDef` (LoadImage, LoadImageMask) lists the image files of the input folder, which may change
 * between two calls. {@link EngineDefinitions} therefore lists the folder on every call, but builds the
 * definitions only when the listing differs from the last one; a prompt that uses no such class is
 * validated against the last definitions without listing the folder at all (a listing per prompt cost a
 * thread-pool round trip and a readdir before every prompt a server ran).
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

  /** The classes whose definitions list the input folder. */
  private readonly liveClasses: ReadonlySet<string>;

  constructor(
    private readonly inputDir: string,
    private readonly nodes: NodeRegistry = builtinNodes,
  ) {
    this.liveClasses = new Set([...nodes].filter(([, impl]) => impl.liveDef).map(([name]) => name));
    this.live = this.liveClasses.size > 0;
  }

  /**
   * The definitions to validate `prompt` against: {@link current} when the prompt uses a class whose
   * definition lists the input folder (or none were built yet), else the last ones built, whose
   * fixed classes are the same and whose live lists the prompt does not read.
   */
  forPrompt(prompt: unknown): Promise<NodeDefs> {
    if (this.last && !this.usesLiveClass(prompt)) return Promise.resolve(this.last.defs);
    return this.current();
  }

  private usesLiveClass(prompt: unknown): boolean {
    if (!this.live) return false;
    if (typeof prompt !== 'object' || prompt === null) return true;
    for (const node of Object.values(prompt)) {
      const classType: unknown = (node as { class_type?: unknown } | null)?.class_type;
      if (typeof classType !== 'string' || this.liveClasses.has(classType)) return true;
    }
    return false;
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
