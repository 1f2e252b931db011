/**
 * The structural half of prompt validation, run before any input is looked at: is the prompt an object of
 * nodes, does each node have a `class_type` and an `inputs` object, and is every class installed? ComfyUI
 * stops at the first such node; we collect them all so that one report lists every missing custom node.
 */
import { classNames, isRecord, lookupDef } from './nodeDefs';
import type { Suggester } from './suggest';
import { pyStr } from './validatePython';
import type { ComfyErrorItem, NodeDef, NodeDefs, NodeId } from './types';

/** One node of the prompt as the validator sees it; `def` and `inputs` are set only when usable. */
export interface PromptNode {
  id: NodeId;
  classType: unknown;
  title?: string;
  def?: NodeDef;
  inputs?: Record<string, unknown>;
}

/** A node whose class is unknown or absent, as reported in `missing_node_type`. */
export interface MissingNode {
  node_id: NodeId;
  class_type: unknown;
  node_title: string | null;
  suggestion?: string;
}

/** Everything the structural pass learnt: the nodes by id (prompt order) and the top-level error, if any. */
export interface PromptStructure {
  nodes: Map<NodeId, PromptNode>;
  error?: ComfyErrorItem;
}

/**
 * Scans `prompt` (already known to be a plain object) against `defs`. Malformed nodes make the error
 * `invalid_prompt` (with any missing classes in `extra_info.missing_nodes` too); otherwise unknown classes
 * make it `missing_node_type`.
 */
export function scanStructure(
  prompt: Record<string, unknown>,
  defs: NodeDefs,
  suggest: Suggester,
): PromptStructure {
  const nodes = new Map<NodeId, PromptNode>();
  const malformed: MalformedNode[] = [];
  const missing: MissingNode[] = [];
  const suggestClass = classSuggester(defs, suggest);
  for (const [id, raw] of Object.entries(prompt)) {
    if (!isRecord(raw)) {
      malformed.push({ node_id: id, details: `Node ID '#${id}' is not an object` });
      nodes.set(id, { id, classType: undefined });
      continue;
    }
    const node = describeNode(id, raw, defs);
    nodes.set(id, node);
    if (!node.inputs) malformed.push({ node_id: id, details: `Node ID '#${id}' has no "inputs" object` });
    else if (!node.def) missing.push(missingNode(node, suggestClass));
  }
  if (malformed.length > 0) return { nodes, error: invalidPrompt(malformed, missing) };
  if (missing.length > 0) return { nodes, error: missingNodeType(missing) };
  return { nodes };
}

function describeNode(id: NodeId, raw: Record<string, unknown>, defs: NodeDefs): PromptNode {
  const meta = raw._meta;
  const title = isRecord(meta) && typeof meta.title === 'string' ? meta.title : undefined;
  const classType = Object.prototype.hasOwnProperty.call(raw, 'class_type') ? raw.class_type : undefined;
  const def = lookupDef(defs, classType);
  const inputs = isRecord(raw.inputs) ? raw.inputs : undefined;
  return { id, classType, title, def, inputs };
}

function missingNode(node: PromptNode, suggestClass: (classType: string) => string | undefined): MissingNode {
  const missing: MissingNode = {
    node_id: node.id,
    class_type: node.classType ?? null,
    node_title: node.title ?? (typeof node.classType === 'string' ? node.classType : null),
  };
  if (typeof node.classType === 'string') {
    const suggestion = suggestClass(node.classType);
    if (suggestion !== undefined) missing.suggestion = suggestion;
  }
  return missing;
}

/**
 * Suggests the installed class the user probably meant: by display name first ("Load Image" means
 * LoadImage), then by spelling. The name lists are built on first use, since most prompts need none.
 */
function classSuggester(defs: NodeDefs, suggester: Suggester): (classType: string) => string | undefined {
  let names: string[] | undefined;
  const byDisplayName = new Map<string, string>();
  return (classType) => {
    if (!names) {
      names = classNames(defs);
      for (const name of names) {
        const display = lookupDef(defs, name)?.display_name;
        if (typeof display === 'string') byDisplayName.set(display.toLowerCase(), name);
      }
    }
    return byDisplayName.get(classType.toLowerCase()) ?? suggester(classType, names);
  };
}

/** ComfyUI's message for one missing class: absent `class_type` and unknown class read differently. */
export function missingNodeMessage(m: MissingNode): string {
  if (m.class_type === null) {
    const name = m.node_title ?? `ID #${m.node_id}`;
    return `Node '${name}' has no class_type. The workflow may be corrupted or a custom node is missing.`;
  }
  // pyStr, not String: a class_type may be any JSON value, including an object String() cannot print.
  return `Node '${m.node_title ?? pyStr(m.class_type)}' not found. The custom node may not be installed.`;
}

/**
 * The top-level `missing_node_type` error. Its message and `extra_info` describe the first missing node,
 * exactly as ComfyUI would; `details` names every one, and `extra_info.missing_nodes` lists them all.
 */
function missingNodeType(missing: MissingNode[]): ComfyErrorItem {
  const first = missing[0];
  const extra: Record<string, unknown> = {
    node_id: first.node_id,
    class_type: first.class_type,
    node_title: first.node_title,
  };
  if (first.suggestion !== undefined) extra.suggestion = first.suggestion;
  extra.missing_nodes = missing;
  return {
    type: 'missing_node_type',
    message: missingNodeMessage(first),
    details: missing.map((m) => `Node ID '#${m.node_id}'`).join(', '),
    extra_info: extra,
  };
}

/** A structural problem of the prompt, of one node when `node_id` is set. */
export interface MalformedNode {
  node_id?: NodeId;
  details: string;
}

/**
 * The top-level `invalid_prompt` error listing every malformed node, one per line in `details` and one
 * per entry in `extra_info.problems`; missing classes found too go into `extra_info.missing_nodes`.
 */
export function invalidPrompt(problems: MalformedNode[], missing: MissingNode[] = []): ComfyErrorItem {
  const extra: Record<string, unknown> = { problems };
  if (missing.length > 0) extra.missing_nodes = missing;
  return {
    type: 'invalid_prompt',
    message: 'Invalid prompt',
    details: problems.map((p) => p.details).join('\n'),
    extra_info: extra,
  };
}
