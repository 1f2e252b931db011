/**
 * Resolves an input socket of a flattened node to what the prompt should hold, following its link back
 * through everything that is not sent to the server (../shared/docs/comfyui-protocol.md section 5.4):
 * legacy Reroute nodes (same slot), bypassed nodes (a type-matching input), PrimitiveNodes (their
 * value), subgraph boundaries in both directions, and muted nodes (the input is lost). The walk recurses
 * once per node passed through, so its depth is the length of a chain of reroutes and bypassed nodes,
 * not the size of the graph.
 */
import type { ConvertContext } from './convertContext';
import { refuseNode, warnNode } from './convertContext';
import { bypassInputIndex } from './convertBypass';
import { execIdIn, MODE_BYPASSED, MODE_MUTED } from './convertFlatten';
import type { ExecNode, FlatWorkflow, Scope } from './convertFlatten';
import { SUBGRAPH_INPUT_NODE_ID, SUBGRAPH_OUTPUT_NODE_ID } from './editorGraph';
import type { GraphLink } from './editorGraph';
import type { ApiLink } from './types';

/**
 * What an input resolves to: a link to a real node's output, a constant (from a PrimitiveNode or a
 * promoted widget), or nothing because its source is muted. Undefined (from {@link resolveInput})
 * means "not connected to anything": the node's own widget value, if any, stands.
 */
export type Resolution =
  | { kind: 'link'; link: ApiLink }
  | { kind: 'value'; value: unknown; primitive?: PrimitiveSource }
  | { kind: 'dropped'; because: string };

/** The PrimitiveNode a value came from: its id and the control-after-generate value saved after it. */
export interface PrimitiveSource {
  id: string;
  control: unknown;
}

interface Walk {
  flat: FlatWorkflow;
  ctx: ConvertContext;
  /** The node and input the walk started from, for messages. */
  start: ExecNode;
  startInput: string;
  visited: Set<string>;
}

/** Resolves input socket `slot` of `exec`. */
export function resolveInput(
  flat: FlatWorkflow,
  ctx: ConvertContext,
  exec: ExecNode,
  slot: number,
): Resolution | undefined {
  const startInput = exec.node.inputs?.[slot]?.name ?? String(slot);
  return fromInput({ flat, ctx, start: exec, startInput, visited: new Set() }, exec, slot);
}

function fromInput(walk: Walk, exec: ExecNode, slot: number, wanted?: unknown): Resolution | undefined {
  enter(walk, `${exec.id}[I]${slot}`);
  const input = exec.node.inputs?.[slot];
  if (!input) return refuse(walk, `node ${exec.id} has no input socket ${slot} to pass through.`);
  if (input.link === null || input.link === undefined) return undefined;
  const link = exec.scope.graph.linksById.get(String(input.link));
  if (!link) {
    return refuse(
      walk,
      `input "${input.name}" of node ${exec.id} uses link ${input.link}, which is not in the links list.`,
    );
  }
  if (link.originId === SUBGRAPH_INPUT_NODE_ID) return fromBoundaryInput(walk, exec.scope, link);
  const origin = walk.flat.byId.get(execIdIn(exec.scope, link.originId));
  if (!origin) return refuse(walk, `link ${link.id} comes from node ${link.originId}, which does not exist.`);
  return fromOutput(walk, origin, link.originSlot, wanted ?? input.type);
}

function fromOutput(walk: Walk, exec: ExecNode, slot: number, wanted: unknown): Resolution | undefined {
  enter(walk, `${exec.id}[O]${slot}`);
  const { node } = exec;
  // A PrimitiveNode writes its value into the widgets it feeds whatever its mode.
  if (node.type === 'PrimitiveNode') return primitiveValue(walk, exec);
  if (node.mode === MODE_BYPASSED) {
    const index = bypassInputIndex(node, slot, wanted);
    if (index < 0) {
      warnNode(
        walk.ctx,
        walk.start.id,
        walk.start.node,
        `input "${walk.startInput}" is left unset: bypassed node ${exec.id} has no input of a matching type.`,
      );
      return undefined;
    }
    return fromInput(walk, exec, index);
  }
  if (exec.kind === 'virtual') {
    // A Reroute passes on the input of the same index; notes have nothing to pass on.
    return node.type === 'Reroute' && node.inputs?.[slot] ? fromInput(walk, exec, slot, wanted) : undefined;
  }
  if (node.mode === MODE_MUTED) return { kind: 'dropped', because: `its source, node ${exec.id}, is muted` };
  if (exec.kind === 'subgraph') return fromSubgraphOutput(walk, exec, slot, wanted);
  return { kind: 'link', link: [exec.id, slot] };
}

function primitiveValue(walk: Walk, exec: ExecNode): Resolution | undefined {
  const saved = exec.node.widgets_values;
  if (Array.isArray(saved) && saved.length > 0) {
    // A PrimitiveNode on a number saves its own control widget's value second.
    return { kind: 'value', value: saved[0], primitive: { id: exec.id, control: saved[1] } };
  }
  warnNode(
    walk.ctx,
    exec.id,
    exec.node,
    'the PrimitiveNode has no saved value; the target keeps its own widget value.',
  );
  return undefined;
}

/** Into a subgraph instance from outside: follow its output boundary to the inner node that feeds it. */
function fromSubgraphOutput(
  walk: Walk,
  exec: ExecNode,
  slot: number,
  wanted: unknown,
): Resolution | undefined {
  const inner = exec.inner;
  const definition = exec.definition;
  if (!inner || !definition) return undefined;
  const link = [...definition.graph.linksById.values()].find(
    (l) => l.targetId === SUBGRAPH_OUTPUT_NODE_ID && l.targetSlot === slot,
  );
  if (!link) {
    warnNode(
      walk.ctx,
      walk.start.id,
      walk.start.node,
      `input "${walk.startInput}" is left unset: output ${slot} of subgraph "${definition.name}" is not connected inside.`,
    );
    return undefined;
  }
  if (link.originId === SUBGRAPH_INPUT_NODE_ID) return fromBoundaryInput(walk, inner, link);
  const origin = walk.flat.byId.get(execIdIn(inner, link.originId));
  if (!origin)
    return refuse(
      walk,
      `subgraph "${definition.name}" links from node ${link.originId}, which does not exist.`,
    );
  return fromOutput(walk, origin, link.originSlot, wanted);
}

/** Out of a subgraph through its input boundary: the instance's input socket, or a promoted value. */
function fromBoundaryInput(walk: Walk, scope: Scope, link: GraphLink): Resolution | undefined {
  const boundary = scope.boundary;
  if (!boundary) return refuse(walk, `link ${link.id} starts at a subgraph input outside any subgraph.`);
  const slot = boundary.definition.inputs[link.originSlot];
  if (!slot) {
    return refuse(
      walk,
      `link ${link.id} starts at input ${link.originSlot} of subgraph "${boundary.definition.name}", which has no such input.`,
    );
  }
  const index = boundary.inputIndexes[link.originSlot];
  const outer = index === undefined ? undefined : boundary.instance.node.inputs?.[index];
  if (index !== undefined && outer?.link !== null && outer?.link !== undefined) {
    return fromInput(walk, boundary.instance, index);
  }
  if (boundary.promoted.byInputName.has(slot.name)) {
    return { kind: 'value', value: boundary.promoted.byInputName.get(slot.name) };
  }
  return undefined;
}

function enter(walk: Walk, key: string): void {
  if (walk.visited.has(key)) refuse(walk, 'its links form a loop through reroute or bypassed nodes.');
  walk.visited.add(key);
}

function refuse(walk: Walk, message: string): never {
  return refuseNode(walk.ctx, walk.start.id, walk.start.node, message, walk.startInput);
}
