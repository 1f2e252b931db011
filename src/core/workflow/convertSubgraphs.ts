/**
 * Subgraph definitions (`definitions.subgraphs`, nested ones included) and the two facts an instance
 * adds to its definition: which of the instance's input sockets feeds each subgraph input, and the
 * values of widgets promoted onto the instance. Both follow what the frontend does when it loads an
 * instance; where its saved promoted values cannot be matched with certainty, the inner nodes' own
 * values are used and a warning says so.
 */
import { RunnerError } from '../util/runnerError';
import { indexEditorGraph, isId, SUBGRAPH_INPUT_NODE_ID } from './editorGraph';
import type { GraphIndex } from './editorGraph';
import { isRecord } from './nodeDefs';
import type { EditorNode, EditorWorkflow } from './types';

/** One boundary socket of a subgraph definition. */
export interface SubgraphSlot {
  name: string;
  type: unknown;
}

/** A subgraph definition, indexed. */
export interface SubgraphDefinition {
  id: string;
  name: string;
  graph: GraphIndex;
  inputs: SubgraphSlot[];
  outputs: SubgraphSlot[];
}

/** Values the user set on an instance's promoted widgets, keyed the two ways files address them. */
export interface PromotedValues {
  /** By subgraph input name: the value an unconnected subgraph input passes to the widgets it feeds. */
  byInputName: Map<string, unknown>;
  /** By inner node id and widget name (`proxyWidgets` entries that name an inner node). */
  byInnerWidget: Map<string, unknown>;
}

/** Tells whether an inner node's widget carries a control-after-generate value after it. */
export type HasControlWidget = (node: EditorNode, widgetName: string) => boolean;

/** Collects every subgraph definition of a workflow by id, refusing definitions without id or nodes. */
export function collectSubgraphs(workflow: EditorWorkflow, file?: string): Map<string, SubgraphDefinition> {
  const found = new Map<string, SubgraphDefinition>();
  const pending: unknown[] = [...(workflow.definitions?.subgraphs ?? [])];
  while (pending.length > 0) {
    const raw = pending.shift();
    if (!isRecord(raw) || !isId(raw.id)) {
      throw new RunnerError('bad_input', 'A subgraph definition has no id.', { file });
    }
    const id = String(raw.id);
    if (found.has(id)) continue;
    const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : id;
    found.set(id, {
      id,
      name,
      graph: indexEditorGraph(raw.nodes, raw.links, { file, subgraph: name }),
      inputs: slotsOf(raw.inputs),
      outputs: slotsOf(raw.outputs),
    });
    const nested = isRecord(raw.definitions) ? raw.definitions.subgraphs : undefined;
    if (Array.isArray(nested)) pending.push(...(nested as unknown[]));
  }
  return found;
}

function slotsOf(raw: unknown): SubgraphSlot[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((s: unknown) => ({
    name: isRecord(s) && typeof s.name === 'string' ? s.name : '',
    type: isRecord(s) ? s.type : undefined,
  }));
}

/**
 * For each subgraph input (by index), the index of the instance input socket feeding it, or undefined.
 * Saved instance sockets may be fewer or reordered (the frontend drops unconnected widget sockets when
 * saving), so they are matched as the frontend matches them on load: by name and type, then by name.
 */
export function boundaryInputIndexes(instance: EditorNode, def: SubgraphDefinition): (number | undefined)[] {
  const result: (number | undefined)[] = def.inputs.map(() => undefined);
  const taken = new Set<number>();
  const take = (pred: (slot: SubgraphSlot) => boolean): number | undefined => {
    const k = def.inputs.findIndex((slot, i) => !taken.has(i) && pred(slot));
    return k < 0 ? undefined : k;
  };
  (instance.inputs ?? []).forEach((input, index) => {
    const k =
      take((s) => s.name === input.name && String(s.type) === String(input.type)) ??
      take((s) => s.name === input.name);
    if (k === undefined) return;
    taken.add(k);
    result[k] = index;
  });
  return result;
}

/**
 * The promoted widget values saved on an instance. Two layouts exist: `properties.proxyWidgets` lists
 * `[inner node id or "-1", widget name]` beside `widgets_values`; without it, `widgets_values` holds one
 * value per subgraph input that feeds a widget, in input order (older files add a slot after each
 * control-after-generate widget). A count that fits neither gives no values and a warning.
 */
export function promotedValues(
  instance: EditorNode,
  def: SubgraphDefinition,
  hasControl: HasControlWidget,
): { values: PromotedValues; warning?: string } {
  const values: PromotedValues = { byInputName: new Map(), byInnerWidget: new Map() };
  const saved = instance.widgets_values;
  if (!Array.isArray(saved) || saved.length === 0) return { values };
  const proxies = instance.properties?.proxyWidgets;
  if (Array.isArray(proxies)) {
    if (proxies.length !== saved.length || !proxies.every(isProxyEntry)) {
      return { values, warning: mismatch(saved.length, `${proxies.length} proxy widgets`) };
    }
    proxies.forEach(([nodeId, widget], i) => {
      if (String(nodeId) === '-1') values.byInputName.set(widget, saved[i]);
      else values.byInnerWidget.set(innerWidgetKey(String(nodeId), widget), saved[i]);
    });
    return { values };
  }
  const fed = widgetFedInputs(def);
  const withControls = fed.reduce((n, f) => n + (hasControl(f.node, f.widget) ? 2 : 1), 0);
  if (saved.length !== fed.length && saved.length !== withControls) {
    return { values, warning: mismatch(saved.length, `${fed.length} promoted inputs`) };
  }
  let pos = 0;
  for (const f of fed) {
    values.byInputName.set(f.inputName, saved[pos]);
    pos += saved.length === withControls && hasControl(f.node, f.widget) ? 2 : 1;
  }
  return { values };
}

/** The key of {@link PromotedValues.byInnerWidget}. */
export function innerWidgetKey(innerNodeId: string, widgetName: string): string {
  return `${innerNodeId}\u0000${widgetName}`;
}

function isProxyEntry(e: unknown): e is [string | number, string] {
  return Array.isArray(e) && e.length >= 2 && isId(e[0]) && typeof e[1] === 'string';
}

function mismatch(count: number, expected: string): string {
  return `its ${count} promoted widget values do not match its ${expected}; the inner nodes' own values are used`;
}

interface WidgetFedInput {
  inputName: string;
  /** The first inner node whose widget the input feeds, and that widget's name. */
  node: EditorNode;
  widget: string;
}

/** The subgraph inputs that feed a widget socket inside, in input order, with the first widget fed. */
function widgetFedInputs(def: SubgraphDefinition): WidgetFedInput[] {
  const result: WidgetFedInput[] = [];
  def.inputs.forEach((slot, k) => {
    for (const link of def.graph.linksById.values()) {
      if (link.originId !== SUBGRAPH_INPUT_NODE_ID || link.originSlot !== k) continue;
      const node = def.graph.nodesById.get(link.targetId);
      const input = node?.inputs?.find((i) => String(i.link) === link.id);
      if (node && input?.widget) {
        result.push({ inputName: slot.name, node, widget: input.widget.name });
        return;
      }
    }
  });
  return result;
}
