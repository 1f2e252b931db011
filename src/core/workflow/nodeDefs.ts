/**
 * Safe reading of `/object_info` node definitions. Definitions come from a server or a file we do not
 * control, so every accessor checks shapes instead of trusting the {@link NodeDef} type, and looks keys
 * up as own properties only (a class named "constructor" must not find `Object.prototype.constructor`).
 */
import type { NodeDef, NodeDefs } from './types';

/** Input types that V3 nodes expand into several concrete, dotted inputs depending on the prompt. */
const AUTOGROW = 'COMFY_AUTOGROW_V3';
const DYNAMIC_COMBO = 'COMFY_DYNAMICCOMBO_V3';
const DYNAMIC_SLOT = 'COMFY_DYNAMICSLOT_V3';

/** Nested dynamic inputs are a few levels deep at most; the cap only guards against hostile definitions. */
const MAX_DYNAMIC_DEPTH = 8;
/** No real node has anywhere near this many inputs, even with every autogrow slot expanded. */
const MAX_EXPANDED_SPECS = 10_000;

/** One concrete input of a node, after V3 dynamic inputs were expanded against the prompt's inputs. */
export interface FinalInput {
  /** The name as it appears in the prompt's `inputs`, dotted for expanded V3 inputs ("images.image0"). */
  name: string;
  category: 'required' | 'optional';
  /** The spec's first element: a type name, or the legacy COMBO list of choices. */
  type: unknown;
  /** The spec's second element, or `{}` when absent (as ComfyUI's `get_input_info` does). */
  options: Record<string, unknown>;
  /** True when the input came from expanding a V3 dynamic input. */
  dynamic: boolean;
}

/** True for a non-null object that is not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `obj[key]` when `key` is an own property, else undefined. */
export function ownValue(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** The definition of `classType`, or undefined when `defs` has no such class (or it is malformed). */
export function lookupDef(defs: NodeDefs, classType: unknown): NodeDef | undefined {
  if (typeof classType !== 'string' || !isRecord(defs)) return undefined;
  const def = ownValue(defs, classType);
  return isRecord(def) ? (def as NodeDef) : undefined;
}

/** True when the executor starts from this class (`OUTPUT_NODE`). */
export function isOutputNode(def: NodeDef): boolean {
  return def.output_node === true;
}

/** The output types of a definition in slot order; an empty list when the definition has none. */
export function outputTypes(def: NodeDef): unknown[] {
  return Array.isArray(def.output) ? def.output : [];
}

/** Every class name in `defs`, for suggestions. */
export function classNames(defs: NodeDefs): string[] {
  return isRecord(defs) ? Object.keys(defs) : [];
}

/** The state of one expansion: what was found, against which prompt inputs, and how much work is left. */
interface Expansion {
  out: FinalInput[];
  live: Record<string, unknown>;
  /** Specs still allowed to be looked at; hostile nested templates could otherwise multiply forever. */
  budget: number;
}

/**
 * The concrete inputs of `def` for a node whose prompt inputs are `live`, in definition order (required,
 * then optional). V3 dynamic inputs are expanded the way ComfyUI's `get_finalized_class_inputs` does:
 * autogrow slots by their generated names, a dynamic combo by its selected option, a dynamic slot by its
 * extra inputs once it is connected.
 */
export function finalizeInputs(def: NodeDef, live: Record<string, unknown>): FinalInput[] {
  const x: Expansion = { out: [], live, budget: MAX_EXPANDED_SPECS };
  addCategories(x, isRecord(def.input) ? def.input : {}, [], 0);
  return x.out;
}

function addCategories(x: Expansion, dict: Record<string, unknown>, prefix: string[], depth: number): void {
  for (const category of ['required', 'optional'] as const) {
    const specs = ownValue(dict, category);
    if (!isRecord(specs)) continue;
    for (const [name, spec] of Object.entries(specs)) addInput(x, category, [...prefix, name], spec, depth);
  }
}

function addInput(
  x: Expansion,
  category: FinalInput['category'],
  path: string[],
  spec: unknown,
  depth: number,
): void {
  if (!Array.isArray(spec) || --x.budget < 0) return;
  const type: unknown = spec[0];
  const options = isRecord(spec[1]) ? spec[1] : {};
  if (type === AUTOGROW || type === DYNAMIC_COMBO || type === DYNAMIC_SLOT) {
    if (depth < MAX_DYNAMIC_DEPTH) expandDynamic(x, category, path, type, options, depth + 1);
    return;
  }
  x.out.push({ name: path.join('.'), category, type, options, dynamic: depth > 0 || path.length > 1 });
}

function expandDynamic(
  x: Expansion,
  category: FinalInput['category'],
  path: string[],
  type: string,
  options: Record<string, unknown>,
  depth: number,
): void {
  if (type === AUTOGROW) {
    expandAutogrow(x, path, options, depth);
    return;
  }
  const name = path.join('.');
  if (!Object.prototype.hasOwnProperty.call(x.live, name)) return;
  let extra: unknown;
  if (type === DYNAMIC_COMBO) {
    const choices = Array.isArray(options.options) ? options.options : [];
    const selected = choices.find((o) => isRecord(o) && o.key === x.live[name]);
    if (!isRecord(selected)) return;
    extra = selected.inputs;
  } else {
    extra = options.inputs;
  }
  if (isRecord(extra)) addCategories(x, extra, path, depth);
  x.out.push({ name, category, type, options, dynamic: true });
}

function expandAutogrow(x: Expansion, path: string[], options: Record<string, unknown>, depth: number): void {
  const template = isRecord(options.template) ? options.template : {};
  const slot = templateSlot(template.input);
  if (!slot) return;
  const min = typeof template.min === 'number' ? template.min : 0;
  autogrowNames(template).forEach((slotName, i) => {
    const category = i < min && slot.required ? 'required' : 'optional';
    addInput(x, category, [...path, slotName], slot.spec, depth);
  });
}

/** Autogrow slots are named from an explicit list, or from a prefix and a maximum count. */
function autogrowNames(template: Record<string, unknown>): string[] {
  if (Array.isArray(template.names)) return template.names.map(String);
  if (typeof template.prefix === 'string' && typeof template.max === 'number') {
    const count = Math.max(0, Math.min(template.max, 1000));
    return Array.from({ length: count }, (_, i) => `${template.prefix as string}${i}`);
  }
  return [];
}

/** The first input of an autogrow template, and whether it sits under `required`. */
function templateSlot(input: unknown): { spec: unknown; required: boolean } | undefined {
  if (!isRecord(input)) return undefined;
  for (const [category, specs] of Object.entries(input)) {
    if (!isRecord(specs)) continue;
    const first = Object.values(specs)[0];
    if (first !== undefined) return { spec: first, required: category === 'required' };
  }
  return undefined;
}

/** V3 "match type" inputs accept whatever the frontend allowed; the server does not check them. */
const MATCH_TYPE = 'COMFY_MATCHTYPE_V3';

/**
 * Whether an output of type `received` may feed an input of type `wanted`, as ComfyUI's
 * `validate_node_input` decides: equal types, `*` on either side, match types, a list-typed output into a
 * COMBO input, or comma lists ("IMAGE,MASK") that share at least one member.
 */
export function linkTypesMatch(received: unknown, wanted: unknown): boolean {
  if (received === wanted || sameList(received, wanted)) return true;
  if (received === '*' || wanted === '*' || received === MATCH_TYPE || wanted === MATCH_TYPE) return true;
  if (Array.isArray(received) && wanted === 'COMBO') return true;
  if (typeof received !== 'string' || typeof wanted !== 'string') return false;
  const got = new Set(received.split(',').map((t) => t.trim()));
  const accepted = wanted.split(',').map((t) => t.trim());
  return got.has('*') || accepted.includes('*') || accepted.some((t) => got.has(t));
}

function sameList(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
}
