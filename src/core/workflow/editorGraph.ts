/**
 * An index over one editor-format graph (the root workflow or one subgraph definition): nodes by id and
 * links by id, with both link layouts (arrays in version 0.4, objects in version 1 and in subgraphs)
 * turned into one shape. Node and link ids are kept as strings because files hold both numbers and
 * strings and the API prompt wants strings. Malformed entries are refused here, once, so the
 * converter's later walks can trust what they find.
 */
import { RunnerError } from '../util/runnerError';
import { isRecord } from './nodeDefs';
import type { EditorLinkArray, EditorLinkObject, EditorNode } from './types';

/** The node id links use for a subgraph's input boundary. */
export const SUBGRAPH_INPUT_NODE_ID = '-10';

/** The node id links use for a subgraph's output boundary. */
export const SUBGRAPH_OUTPUT_NODE_ID = '-20';

/** A link in either layout, normalised. */
export interface GraphLink {
  id: string;
  originId: string;
  originSlot: number;
  targetId: string;
  targetSlot: number;
  /** The link's data type as saved ("IMAGE", "*", ...). */
  type: unknown;
}

/** One graph's nodes and links by id. */
export interface GraphIndex {
  /** The nodes in file order. */
  nodes: EditorNode[];
  nodesById: Map<string, EditorNode>;
  linksById: Map<string, GraphLink>;
}

/** Where a graph comes from, for error messages and locations. */
export interface GraphOrigin {
  file?: string;
  /** The subgraph's name when the graph is a subgraph definition. */
  subgraph?: string;
}

/** Builds the index of one graph, refusing duplicate node ids and malformed or conflicting links. */
export function indexEditorGraph(rawNodes: unknown, rawLinks: unknown, origin: GraphOrigin): GraphIndex {
  const where = origin.subgraph ? ` in subgraph "${origin.subgraph}"` : '';
  if (!Array.isArray(rawNodes)) throw malformed(origin, `The workflow${where} has no nodes array.`);
  if (rawLinks !== undefined && rawLinks !== null && !Array.isArray(rawLinks)) {
    throw malformed(origin, `The links${where} are not an array.`);
  }
  const nodesById = new Map<string, EditorNode>();
  for (const node of rawNodes as EditorNode[]) {
    if (!isRecord(node) || !isId(node.id) || typeof node.type !== 'string') {
      throw malformed(origin, `A node${where} has no valid id or type: ${preview(node)}.`);
    }
    const id = String(node.id);
    if (!socketsWellFormed(node))
      throw malformed(origin, `Node ${id}${where} has malformed inputs or outputs.`, id);
    if (nodesById.has(id)) throw malformed(origin, `Two nodes${where} share the id ${id}.`, id);
    nodesById.set(id, node);
  }
  const linksById = new Map<string, GraphLink>();
  for (const raw of (rawLinks ?? []) as unknown[]) {
    const link = normalizeLink(raw);
    if (!link) throw malformed(origin, `A link${where} is malformed: ${preview(raw)}.`);
    const earlier = linksById.get(link.id);
    if (earlier && !sameEnds(earlier, link)) {
      throw malformed(origin, `Two different links${where} share the id ${link.id}.`);
    }
    linksById.set(link.id, link);
  }
  return { nodes: rawNodes as EditorNode[], nodesById, linksById };
}

/**
 * Links that the node they point to does not list on any input. Conversion follows node inputs, as the
 * frontend does, so these are ignored; callers warn about them because a generator that only filled
 * the links list would otherwise lose connections without a word.
 */
export function unreferencedLinks(graph: GraphIndex): GraphLink[] {
  return [...graph.linksById.values()].filter((link) => {
    const target = graph.nodesById.get(link.targetId);
    return target !== undefined && !(target.inputs ?? []).some((input) => String(input.link) === link.id);
  });
}

/** Turns a link in either layout into a {@link GraphLink}, or undefined when it is malformed. */
export function normalizeLink(raw: unknown): GraphLink | undefined {
  if (Array.isArray(raw)) return fromArray(raw as unknown[]);
  if (isRecord(raw)) return fromObject(raw as Partial<EditorLinkObject>);
  return undefined;
}

function fromArray(raw: unknown[]): GraphLink | undefined {
  if (raw.length < 5) return undefined;
  const [id, originId, originSlot, targetId, targetSlot, type] = raw as EditorLinkArray;
  return checked({ id, originId, originSlot, targetId, targetSlot, type });
}

function fromObject(raw: Partial<EditorLinkObject>): GraphLink | undefined {
  return checked({
    id: raw.id,
    originId: raw.origin_id,
    originSlot: raw.origin_slot,
    targetId: raw.target_id,
    targetSlot: raw.target_slot,
    type: raw.type,
  });
}

function checked(l: Record<keyof GraphLink, unknown>): GraphLink | undefined {
  if (!isId(l.id) || !isId(l.originId) || !isId(l.targetId)) return undefined;
  if (!isSlot(l.originSlot) || !isSlot(l.targetSlot)) return undefined;
  return {
    id: String(l.id),
    originId: String(l.originId),
    originSlot: l.originSlot,
    targetId: String(l.targetId),
    targetSlot: l.targetSlot,
    type: l.type,
  };
}

/** Inputs and outputs, when present, are arrays of sockets with a name. */
function socketsWellFormed(node: EditorNode): boolean {
  const ok = (sockets: unknown) =>
    sockets === undefined ||
    sockets === null ||
    (Array.isArray(sockets) && sockets.every((s) => isRecord(s) && typeof s.name === 'string'));
  return ok(node.inputs) && ok(node.outputs);
}

function sameEnds(a: GraphLink, b: GraphLink): boolean {
  return (
    a.originId === b.originId &&
    a.originSlot === b.originSlot &&
    a.targetId === b.targetId &&
    a.targetSlot === b.targetSlot
  );
}

/** True for a usable node or link id: a finite number or a non-empty string. */
export function isId(v: unknown): v is number | string {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');
}

function isSlot(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function malformed(origin: GraphOrigin, message: string, nodeId?: string): RunnerError {
  return new RunnerError('bad_input', message, { file: origin.file, nodeId });
}
