/**
 * Builds the API-format entry of one active, real node: its widget values by input name, then each
 * connected input socket resolved through links (a link wins over the widget value it shadows), the
 * backend class and the title the frontend would send; and notes the node's seeds on the conversion.
 */
import type { ConvertContext } from './convertContext';
import { refuseNode, warnNode } from './convertContext';
import type { ExecNode, FlatWorkflow } from './convertFlatten';
import { resolveInput, type Resolution } from './convertResolve';
import { noteNodeSeeds } from './convertSeeds';
import { innerWidgetKey } from './convertSubgraphs';
import { lookupDef } from './nodeDefs';
import type { ApiNode, NodeDef } from './types';
import { dynamicInputOf, mapWidgetValues } from './widgetValues';

/** Type prefixes of the legacy group nodes (defined in `extra.groupNodes`, replaced by subgraphs). */
const GROUP_NODE_PREFIXES = ['workflow>', 'workflow/'];

/** The prompt entry of `exec`, which must be an active node of kind 'real'. */
export function buildApiNode(flat: FlatWorkflow, ctx: ConvertContext, exec: ExecNode): ApiNode {
  const def = definitionOf(ctx, exec);
  const inputs: Record<string, unknown> = {};
  const widgets = widgetInputs(ctx, exec, def);
  for (const [name, value] of widgets.values) {
    if (value !== undefined) inputs[name] = apiValue(value);
  }
  const sockets = new Map<string, Resolution | undefined>();
  (exec.node.inputs ?? []).forEach((input, slot) => {
    if (input.link === null || input.link === undefined) return;
    const resolved = resolveInput(flat, ctx, exec, slot);
    sockets.set(input.name, resolved);
    if (!resolved) return;
    if (resolved.kind === 'link') inputs[input.name] = resolved.link;
    else if (resolved.kind === 'value') inputs[input.name] = apiValue(resolved.value);
    else {
      delete inputs[input.name];
      warnNode(ctx, exec.id, exec.node, `input "${input.name}" is dropped: ${resolved.because}.`);
    }
  });
  noteNodeSeeds(ctx, { nodeId: exec.id, def, inputs, controls: widgets.controls, sockets });
  return { inputs, class_type: exec.node.type, _meta: { title: titleOf(exec, def) } };
}

/** Any JSON array in an API prompt is read as a link, so array values travel wrapped. */
export function apiValue(value: unknown): unknown {
  return Array.isArray(value) ? { __value__: value } : value;
}

function definitionOf(ctx: ConvertContext, exec: ExecNode): NodeDef {
  const { node } = exec;
  const def = lookupDef(ctx.defs, node.type);
  if (!def) {
    if (GROUP_NODE_PREFIXES.some((p) => node.type.startsWith(p))) {
      refuseNode(
        ctx,
        exec.id,
        node,
        'it is a legacy group node; convert it to a subgraph in the ComfyUI editor first.',
      );
    }
    refuseNode(
      ctx,
      exec.id,
      node,
      `the server has no node class "${node.type}" (a custom node that is not installed, or a frontend-only node).`,
    );
  }
  const dynamic = dynamicInputOf(def);
  if (dynamic !== undefined) {
    refuseNode(
      ctx,
      exec.id,
      node,
      `its input "${dynamic}" is a dynamic input whose layout only the ComfyUI frontend knows.`,
      dynamic,
    );
  }
  return def;
}

function widgetInputs(
  ctx: ConvertContext,
  exec: ExecNode,
  def: NodeDef,
): { values: Map<string, unknown>; controls: Map<string, unknown> } {
  const mapping = mapWidgetValues(exec.node, def);
  if (!mapping.ok) refuseNode(ctx, exec.id, exec.node, mapping.problem);
  for (const warning of mapping.warnings) warnNode(ctx, exec.id, exec.node, warning);
  const promoted = exec.scope.boundary?.promoted.byInnerWidget;
  if (promoted && promoted.size > 0) {
    for (const name of mapping.values.keys()) {
      const key = innerWidgetKey(exec.localId, name);
      if (promoted.has(key)) mapping.values.set(name, promoted.get(key));
    }
  }
  return mapping;
}

/** The saved title, else the definition's display name: the frontend's default title. */
function titleOf(exec: ExecNode, def: NodeDef): string {
  const title = exec.node.title;
  if (typeof title === 'string' && title !== '') return title;
  return def.display_name || def.name || exec.node.type;
}
