/**
 * Flattens an editor workflow into execution nodes, as the frontend flattens a graph before building a
 * prompt: every node of the root graph, and every node inside each active subgraph instance, with its id
 * in the prompt (a colon path "outer:inner" inside subgraphs). The contents of muted or bypassed
 * instances are left out, as the frontend leaves them out. Recursion here follows subgraph nesting only,
 * which is shallow; a definition that contains itself is refused.
 */
import type { ConvertContext } from './convertContext';
import { refuseNode } from './convertContext';
import { boundaryInputIndexes, collectSubgraphs, promotedValues } from './convertSubgraphs';
import type { PromotedValues, SubgraphDefinition } from './convertSubgraphs';
import { indexEditorGraph, unreferencedLinks } from './editorGraph';
import type { GraphIndex } from './editorGraph';
import { lookupDef } from './nodeDefs';
import type { EditorNode, EditorWorkflow } from './types';
import { widgetLayout } from './widgetValues';

/** Frontend-only node types: never sent to the server, resolved through or dropped. */
export const VIRTUAL_NODE_TYPES: ReadonlySet<string> = new Set([
  'Note',
  'MarkdownNote',
  'Reroute',
  'PrimitiveNode',
]);

/** Litegraph modes that keep a node out of the prompt. */
export const MODE_MUTED = 2;
export const MODE_BYPASSED = 4;

/** One graph level: the root, or the inside of one subgraph instance. */
export interface Scope {
  graph: GraphIndex;
  /** Prompt ids of the enclosing instances, outermost first; empty at the root. */
  path: string[];
  /** Set inside a subgraph instance. */
  boundary?: SubgraphBoundary;
}

/** What the inside of an instance needs to reach across its edge. */
export interface SubgraphBoundary {
  instance: ExecNode;
  definition: SubgraphDefinition;
  /** Subgraph input index to the instance input socket feeding it. */
  inputIndexes: (number | undefined)[];
  promoted: PromotedValues;
}

/** A node of the flattened workflow. */
export interface ExecNode {
  /** The node's id in the prompt. */
  id: string;
  /** The node's own id inside its graph. */
  localId: string;
  node: EditorNode;
  scope: Scope;
  kind: 'real' | 'virtual' | 'subgraph';
  /** For subgraph instances: the definition and, when the instance is active, its inside. */
  definition?: SubgraphDefinition;
  inner?: Scope;
}

/** The flattened workflow. */
export interface FlatWorkflow {
  /** In file order, each instance's contents right after the instance. */
  nodes: ExecNode[];
  byId: Map<string, ExecNode>;
}

/** Flattens the workflow; refuses malformed graphs and self-containing subgraphs. */
export function flattenWorkflow(workflow: EditorWorkflow, ctx: ConvertContext): FlatWorkflow {
  const subgraphs = collectSubgraphs(workflow, ctx.fileName);
  const root: Scope = {
    graph: indexEditorGraph(workflow.nodes, workflow.links, { file: ctx.fileName }),
    path: [],
  };
  const flat: FlatWorkflow = { nodes: [], byId: new Map() };
  addScope(flat, ctx, subgraphs, root, []);
  return flat;
}

/** True when the node takes part in the prompt (neither muted nor bypassed). */
export function isActive(node: EditorNode): boolean {
  return node.mode !== MODE_MUTED && node.mode !== MODE_BYPASSED;
}

/** The prompt id of a node of `scope` whose own id is `localId`. */
export function execIdIn(scope: Scope, localId: string): string {
  return [...scope.path, localId].join(':');
}

function addScope(
  flat: FlatWorkflow,
  ctx: ConvertContext,
  subgraphs: Map<string, SubgraphDefinition>,
  scope: Scope,
  openDefinitions: string[],
): void {
  for (const link of unreferencedLinks(scope.graph)) {
    const where = scope.path.length > 0 ? ` inside subgraph instance ${scope.path.join(':')}` : '';
    ctx.warnings.push(
      `Link ${link.id}${where} to node ${link.targetId} is not listed on any of its inputs and is ignored.`,
    );
  }
  for (const node of scope.graph.nodes) {
    const localId = String(node.id);
    const exec: ExecNode = { id: execIdIn(scope, localId), localId, node, scope, kind: 'real' };
    flat.nodes.push(exec);
    flat.byId.set(exec.id, exec);
    const definition = subgraphs.get(node.type);
    if (VIRTUAL_NODE_TYPES.has(node.type)) exec.kind = 'virtual';
    if (!definition) continue;
    exec.kind = 'subgraph';
    exec.definition = definition;
    if (!isActive(node)) continue;
    if (openDefinitions.includes(definition.id)) {
      refuseNode(ctx, exec.id, node, `subgraph "${definition.name}" contains itself.`);
    }
    exec.inner = innerScope(ctx, exec, definition);
    addScope(flat, ctx, subgraphs, exec.inner, [...openDefinitions, definition.id]);
  }
}

function innerScope(ctx: ConvertContext, instance: ExecNode, definition: SubgraphDefinition): Scope {
  const { values, warning } = promotedValues(instance.node, definition, (node, widget) =>
    hasControlWidget(ctx, node, widget),
  );
  if (warning) ctx.warnings.push(`Subgraph instance ${instance.id} ("${definition.name}"): ${warning}`);
  return {
    graph: definition.graph,
    path: [...instance.scope.path, instance.localId],
    boundary: {
      instance,
      definition,
      inputIndexes: boundaryInputIndexes(instance.node, definition),
      promoted: values,
    },
  };
}

function hasControlWidget(ctx: ConvertContext, node: EditorNode, widget: string): boolean {
  const def = lookupDef(ctx.defs, node.type);
  if (!def) return false;
  const layout = widgetLayout(def);
  const at = layout.findIndex((s) => s.kind === 'value' && s.name === widget);
  return at >= 0 && layout[at + 1]?.kind === 'control';
}
