/**
 * The seeds of one converted node (seeds.ts says what a seed is), noted on the conversion so that a
 * run of N can step them as the frontend's Queue button would. Where a seed's control lives follows
 * the frontend: a widget's control is the value saved right after it, and is skipped while the
 * widget's input socket is connected (the frontend does not step a connected widget); a PrimitiveNode
 * carries its own control, which steps every input it feeds together.
 */
import type { ConvertContext } from './convertContext';
import type { Resolution } from './convertResolve';
import { inputSpecOf, parseSeedControl, seedRange } from './seeds';
import type { NodeDef } from './types';
import { hasSeedControl, specType } from './widgetValues';

/** What one built node tells about its seeds. */
export interface NodeSeedFacts {
  /** The node's id in the prompt. */
  nodeId: string;
  def: NodeDef;
  /** The node's API inputs as built. */
  inputs: Readonly<Record<string, unknown>>;
  /** The saved control of each widget that has one, by input name. */
  controls: ReadonlyMap<string, unknown>;
  /** What each connected input socket resolved to, by input name (undefined: nothing in effect). */
  sockets: ReadonlyMap<string, Resolution | undefined>;
}

/** Notes the node's seeds on `ctx.seeds`: its own seed widgets, then the values PrimitiveNodes feed it. */
export function noteNodeSeeds(ctx: ConvertContext, facts: NodeSeedFacts): void {
  const { nodeId, def, inputs, controls, sockets } = facts;
  for (const [input, value] of Object.entries(inputs)) {
    const spec = inputSpecOf(def, input);
    if (typeof value !== 'number' || !spec || !hasSeedControl(input, spec)) continue;
    const socket = sockets.get(input);
    // A link or a PrimitiveNode feeds it; a value promoted onto a subgraph keeps the inner widget's control.
    if (socket && !(socket.kind === 'value' && !socket.primitive)) continue;
    ctx.seeds.set(`${nodeId}\u0000${input}`, {
      targets: [{ node: nodeId, input }],
      control: parseSeedControl(controls.get(input)),
      range: seedRange(spec),
    });
  }
  for (const [input, socket] of sockets) {
    if (socket?.kind !== 'value' || !socket.primitive || typeof socket.value !== 'number') continue;
    const spec = inputSpecOf(def, input);
    if (!spec || specType(spec) !== 'INT') continue;
    const key = `primitive\u0000${socket.primitive.id}`;
    const known = ctx.seeds.get(key);
    if (known) known.targets.push({ node: nodeId, input });
    else
      ctx.seeds.set(key, {
        targets: [{ node: nodeId, input }],
        control: parseSeedControl(socket.primitive.control),
        // The PrimitiveNode takes its widget's range from the first input it was connected to.
        range: seedRange(spec),
      });
  }
}
