/**
 * The shapes of ComfyUI's two workflow formats and of its node definitions, as the server speaks them.
 * Field names follow ComfyUI exactly (snake_case) so that values pass through to and from a server
 * unchanged. See ../shared/docs/comfyui-protocol.md sections 2.1, 2.9 and 5.
 */

/** A node id in an API-format prompt: a string, possibly a colon path for subgraph nodes ("12:5"). */
export type NodeId = string;

/** A link in an API-format prompt: `[source node id, output slot index]`. */
export type ApiLink = [NodeId, number];

/** One node of an API-format prompt. */
export interface ApiNode {
  /** The backend node class, e.g. "SaveImage". */
  class_type: string;
  /** Input name to a constant value or an {@link ApiLink}. */
  inputs: Record<string, unknown>;
  /** Ignored when executing; `title` is shown in messages. */
  _meta?: { title?: string; [key: string]: unknown };
}

/** An API-format prompt: what `POST /prompt` takes as `prompt`. */
export type ApiPrompt = Record<NodeId, ApiNode>;

/**
 * One input's spec from `/object_info`: `[TYPE]` or `[TYPE, options]`. TYPE is a type name ("INT",
 * "IMAGE", "COMBO"), or, in the legacy COMBO spelling, the list of choices itself.
 */
export type InputSpec = [string | unknown[], InputOptions?] | [string | unknown[]];

/** Options of an input spec; every key is optional and node-specific ones pass through. */
export interface InputOptions {
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  round?: number | false;
  /** The V3 COMBO spelling keeps its choices here. */
  options?: unknown[];
  multiline?: boolean;
  forceInput?: boolean;
  control_after_generate?: boolean;
  image_upload?: boolean;
  tooltip?: string;
  [key: string]: unknown;
}

/** A node definition as one entry of `GET /object_info` (the V1 wire format). */
export interface NodeDef {
  input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, unknown>;
  };
  input_order?: { required?: string[]; optional?: string[]; hidden?: string[] };
  output: (string | unknown[])[];
  /** Per output; null where a node leaves it unset (ComfyUI 0.8.0 sends that for some V3 nodes). */
  output_is_list: (boolean | null)[];
  output_name: string[];
  name: string;
  display_name: string | null;
  description: string;
  python_module: string;
  category: string;
  output_node: boolean;
  [key: string]: unknown;
}

/** The whole `/object_info` answer: class name to definition. */
export type NodeDefs = Record<string, NodeDef>;

/** One error item in ComfyUI's shape (`node_errors[id].errors[]`, or the top-level `error`). */
export interface ComfyErrorItem {
  /** ComfyUI's error type name, e.g. `required_input_missing`, `value_not_in_list`. */
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

/** The errors of one node, keyed by node id in {@link ValidationResult.node_errors}. */
export interface ComfyNodeErrors {
  class_type: string;
  /** The output nodes this node's errors block. */
  dependent_outputs: NodeId[];
  errors: ComfyErrorItem[];
}

/**
 * The result of validating a prompt, in the shape of ComfyUI's `POST /prompt` answer: `error` is set when
 * the prompt cannot run at all (the body of a 400), `node_errors` lists every node's problems, and
 * `outputs` lists the output nodes that validated and would run.
 */
export interface ValidationResult {
  ok: boolean;
  error?: ComfyErrorItem;
  node_errors: Record<NodeId, ComfyNodeErrors>;
  outputs: NodeId[];
  /** A copy of the prompt with widget values coerced as the server would run them (local validation only). */
  prompt?: ApiPrompt;
}

/** A link of an editor-format workflow in the array layout: `[id, origin, origin slot, target, target slot, type]`. */
export type EditorLinkArray = [number, number | string, number, number | string, number, string | string[]];

/** A link of an editor-format workflow in the object layout (version 1, subgraphs, some tools). */
export interface EditorLinkObject {
  id: number;
  origin_id: number | string;
  origin_slot: number;
  target_id: number | string;
  target_slot: number;
  type: string | string[];
  parentId?: number;
}

/** An input socket of an editor-format node. */
export interface EditorNodeInput {
  name: string;
  type: string | string[];
  link: number | null;
  widget?: { name: string };
  [key: string]: unknown;
}

/** An output socket of an editor-format node. */
export interface EditorNodeOutput {
  name: string;
  type: string | string[];
  links?: number[] | null;
  slot_index?: number;
  [key: string]: unknown;
}

/** One node of an editor-format workflow (litegraph serialisation). */
export interface EditorNode {
  id: number | string;
  type: string;
  /** 0 always, 2 never (muted), 4 bypass. */
  mode?: number;
  title?: string;
  inputs?: EditorNodeInput[];
  outputs?: EditorNodeOutput[];
  widgets_values?: unknown[] | Record<string, unknown>;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** An editor-format (UI) workflow, version 0.4 or 1. */
export interface EditorWorkflow {
  nodes: EditorNode[];
  links: (EditorLinkArray | EditorLinkObject)[];
  version?: number;
  extra?: Record<string, unknown>;
  definitions?: { subgraphs?: unknown[] };
  [key: string]: unknown;
}
