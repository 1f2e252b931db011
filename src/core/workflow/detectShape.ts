/**
 * Telling ComfyUI's workflow formats apart once the JSON is parsed (protocol §5.5): the API format, the
 * editor (litegraph) format in its 0.4 and 1 schemas, and the wrappers the API format travels in. When a
 * value is none of them, the answer names the key that is missing or wrong.
 */
import { isRecord } from './nodeDefs';
import type { ApiPrompt, EditorWorkflow } from './types';

/** An editor-format workflow as detected. */
export type EditorShape = {
  format: 'editor';
  version: 0.4 | 1;
  linkLayout: 'array' | 'object';
  workflow: EditorWorkflow;
};

/** Why a value is not a workflow. */
export type NoShape = { format: 'none'; reason: string };

/** A recognised workflow, or why the value is not one. */
export type ShapeResult = { format: 'api'; prompt: ApiPrompt } | EditorShape | NoShape;

/** Classifies a parsed JSON value. */
export function classifyJson(value: unknown): ShapeResult {
  if (Array.isArray(value)) return none('the JSON is an array; a workflow is an object');
  if (!isRecord(value))
    return none(`the JSON is ${value === null ? 'null' : `a ${typeof value}`}; a workflow is an object`);
  if (Object.keys(value).length === 0) return none('the JSON object is empty');
  const apiProblem = apiShapeProblem(value);
  if (apiProblem === undefined) return { format: 'api', prompt: value as ApiPrompt };
  if (Object.prototype.hasOwnProperty.call(value, 'nodes')) return classifyEditor(value);
  const wrapped = unwrap(value);
  if (wrapped) return wrapped;
  if (Array.isArray(value.templates)) return none('a template bundle ("templates"), not a single workflow');
  if (Object.values(value).some((v) => isRecord(v) && ('class_type' in v || 'inputs' in v)))
    return none(apiProblem);
  return none('no "nodes" array (editor format) and no nodes with "class_type" and "inputs" (API format)');
}

function none(reason: string): NoShape {
  return { format: 'none', reason };
}

/**
 * Why `value` is not an API prompt, or undefined when it is one: a non-empty object whose every value is
 * an object with a string `class_type` and an object `inputs` (the frontend's own test).
 */
export function apiShapeProblem(value: Record<string, unknown>): string | undefined {
  const entries = Object.entries(value);
  if (entries.length === 0) return 'the object is empty';
  for (const [id, node] of entries) {
    if (!isRecord(node)) return `node "${id}" is not an object`;
    if (!('class_type' in node)) return `node "${id}" has no "class_type"`;
    if (typeof node.class_type !== 'string') return `node "${id}" has a "class_type" that is not a string`;
    if (!('inputs' in node)) return `node "${id}" has no "inputs"`;
    if (!isRecord(node.inputs)) return `node "${id}" has "inputs" that is not an object`;
  }
  return undefined;
}

/**
 * An editor-format workflow: `nodes` and `links` arrays, each node with an id and a type, links all in
 * one layout. The schema version comes from `version`, else 1 when `state` (a version 1 field) is there.
 */
export function classifyEditor(value: Record<string, unknown>): EditorShape | NoShape {
  if (!Array.isArray(value.nodes)) return none('"nodes" is not an array');
  if (!('links' in value)) return none('"links" is missing (an editor workflow has "nodes" and "links")');
  if (!Array.isArray(value.links)) return none('"links" is not an array');
  const nodeProblem = value.nodes.map(editorNodeProblem).find((p) => p !== undefined);
  if (nodeProblem) return none(nodeProblem);
  const layout = linkLayout(value.links);
  if (typeof layout === 'object') return none(layout.problem);
  const version = editorVersion(value, layout);
  return {
    format: 'editor',
    version,
    linkLayout: layout ?? (version === 1 ? 'object' : 'array'),
    workflow: value as EditorWorkflow,
  };
}

function editorNodeProblem(node: unknown, i: number): string | undefined {
  if (!isRecord(node)) return `nodes[${i}] is not an object`;
  if (typeof node.id !== 'number' && typeof node.id !== 'string') return `nodes[${i}] has no "id"`;
  if (typeof node.type !== 'string') return `nodes[${i}] (id ${node.id}) has no "type"`;
  return undefined;
}

/** The layout of the links, undefined when there are none, or the first link that breaks it. */
function linkLayout(links: unknown[]): 'array' | 'object' | undefined | { problem: string } {
  let layout: 'array' | 'object' | undefined;
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    const kind = Array.isArray(link) ? 'array' : isRecord(link) ? 'object' : undefined;
    if (kind === undefined) return { problem: `links[${i}] is neither an array nor an object` };
    if (kind === 'array' && (link as unknown[]).length < 5) {
      return { problem: `links[${i}] has ${(link as unknown[]).length} entries; an array link has 6` };
    }
    if (kind === 'object' && !('origin_id' in (link as object) && 'target_id' in (link as object))) {
      return { problem: `links[${i}] has no "origin_id" or "target_id"` };
    }
    if (layout !== undefined && kind !== layout) {
      return { problem: `links[${i}] is an ${kind} but links[0] is an ${layout}` };
    }
    layout = kind;
  }
  return layout;
}

function editorVersion(value: Record<string, unknown>, layout: 'array' | 'object' | undefined): 0.4 | 1 {
  if (typeof value.version === 'number') return value.version >= 1 ? 1 : 0.4;
  if (isRecord(value.state)) return 1;
  return layout === 'object' ? 1 : 0.4;
}

/**
 * The prompt (or else the editor workflow) inside a jobs-detail wrapper
 * `{workflow: {prompt, extra_data: {extra_pnginfo: {workflow}}}}`, a `POST /prompt` body
 * `{prompt, extra_data}`, or a bare `{workflow: <editor workflow>}`.
 */
function unwrap(value: Record<string, unknown>): ShapeResult | undefined {
  const inner = value.workflow;
  const body = isRecord(inner) && ('prompt' in inner || 'extra_data' in inner) ? inner : value;
  if (isRecord(body.prompt) && apiShapeProblem(body.prompt) === undefined) {
    return { format: 'api', prompt: body.prompt as ApiPrompt };
  }
  const extra = isRecord(body.extra_data) ? body.extra_data : {};
  const pngInfo = isRecord(extra.extra_pnginfo) ? extra.extra_pnginfo : {};
  const editor = isRecord(pngInfo.workflow)
    ? pngInfo.workflow
    : isRecord(inner) && 'nodes' in inner
      ? inner
      : undefined;
  if (editor) {
    const shape = classifyEditor(editor);
    if (shape.format === 'editor') return shape;
  }
  if (isRecord(body.prompt)) return none(`"prompt" is not an API prompt: ${apiShapeProblem(body.prompt)}`);
  return undefined;
}
