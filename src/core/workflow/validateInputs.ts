/**
 * The per-node half of prompt validation: ComfyUI's `validate_inputs` checks of one node's inputs against
 * its definition (missing inputs, link shape and type, value conversion, range and combo membership),
 * reporting every failing input of the node. The graph walk in `validateGraph.ts` calls this once per node.
 */
import { finalizeInputs, linkTypesMatch, outputTypes, type FinalInput } from './nodeDefs';
import type { Suggester } from './suggest';
import type { NodeCheck } from './validateGraph';
import { coerceValue, unwrapValue } from './validateCoerce';
import { checkCombo, checkRange, inputError } from './validateValues';
import type { PromptNode } from './validateStructure';
import { pyRepr, pyStr } from './validatePython';
import type { ComfyErrorItem, NodeId } from './types';

/** What checking a node may read and write. */
export interface CheckContext {
  nodes: Map<NodeId, PromptNode>;
  suggest: Suggester;
  /** Copies of inputs whose values were coerced, by node id; filled as nodes are checked. */
  coerced: Map<NodeId, Record<string, unknown>>;
}

/** Collects one node's problems and dependencies while its inputs are checked. */
interface NodeReport {
  node: PromptNode;
  inputs: Record<string, unknown>;
  errors: ComfyErrorItem[];
  children: Set<NodeId>;
}

/** Checks node `id` of the prompt; see {@link NodeCheck}. */
export function checkNode(ctx: CheckContext, id: NodeId): NodeCheck {
  const node = ctx.nodes.get(id);
  if (!node?.inputs) return { errors: [], children: [], runnable: false };
  if (!node.def) return { errors: [], children: linkTargets(ctx, node.inputs), runnable: false };
  const report: NodeReport = { node, inputs: node.inputs, errors: [], children: new Set() };
  for (const input of finalizeInputs(node.def, node.inputs)) checkInput(ctx, report, input);
  return { errors: report.errors, children: [...report.children], runnable: true };
}

/** The nodes an unknown-class node links to: we cannot type-check them, but their own errors count. */
function linkTargets(ctx: CheckContext, inputs: Record<string, unknown>): NodeId[] {
  const targets = new Set<NodeId>();
  for (const value of Object.values(inputs)) {
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      ctx.nodes.has(value[0])
    ) {
      targets.add(value[0]);
    }
  }
  return [...targets];
}

function checkInput(ctx: CheckContext, report: NodeReport, input: FinalInput): void {
  if (!Object.prototype.hasOwnProperty.call(report.inputs, input.name)) {
    if (input.category === 'required') {
      report.errors.push({
        type: 'required_input_missing',
        message: 'Required input is missing',
        details: input.dynamic ? input.name.split('.').pop()! : input.name,
        extra_info: { input_name: input.name },
      });
    }
    return;
  }
  const value = report.inputs[input.name];
  if (Array.isArray(value)) checkLink(ctx, report, input, value);
  else checkValue(ctx, report, input, value);
}

/** A list is a link `[node id, output slot]`; its source must exist and its type must fit. */
function checkLink(ctx: CheckContext, report: NodeReport, input: FinalInput, link: unknown[]): void {
  const fail = (message: string, details: string) =>
    report.errors.push(inputError('bad_linked_input', message, details, input, { received_value: link }));
  if (link.length !== 2) {
    fail('Bad linked input, must be a length-2 list of [node_id, slot_index]', input.name);
    return;
  }
  const [source, slot] = link;
  if (typeof source !== 'string') {
    fail(
      'Bad linked input, the node id must be a string',
      `${input.name}: node id ${pyRepr(source)} is not a string`,
    );
    return;
  }
  const target = ctx.nodes.get(source);
  if (!target) {
    fail('Linked node does not exist', `${input.name}: node '${source}' is not in the prompt`);
    return;
  }
  report.children.add(source);
  // An unknown class is reported once at the top level; its output types are unknowable here.
  if (!target.def) return;
  const outputs = outputTypes(target.def);
  if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= outputs.length) {
    const has = `it has ${outputs.length} output${outputs.length === 1 ? '' : 's'}`;
    fail(
      'Linked output slot does not exist',
      `${input.name}: node '${source}' (${pyStr(target.classType)}) has no output ${pyRepr(slot)}, ${has}`,
    );
    return;
  }
  const received = outputs[slot];
  if (!linkTypesMatch(received, input.type)) {
    report.errors.push(
      inputError(
        'return_type_mismatch',
        'Return type mismatch between linked nodes',
        `${input.name}, received_type(${pyStr(received)}) mismatch input_type(${pyStr(input.type)})`,
        input,
        { received_type: received, linked_node: link },
      ),
    );
  }
}

/** A constant is converted to the input's type, then checked against its range or its choices. */
function checkValue(ctx: CheckContext, report: NodeReport, input: FinalInput, raw: unknown): void {
  const unwrapped = unwrapValue(raw);
  const converted = coerceValue(unwrapped, input.type);
  if (!converted.ok) {
    report.errors.push(
      inputError(
        'invalid_input_type',
        `Failed to convert an input value to a ${pyStr(input.type)} value`,
        `${input.name}, ${pyStr(unwrapped)}, ${converted.error}`,
        input,
        { received_value: unwrapped, exception_message: converted.error },
      ),
    );
    return;
  }
  const value = converted.value;
  if (value !== raw) recordCoerced(ctx, report, input.name, value);
  const error = checkRange(input, value) ?? checkCombo(input, value, ctx.suggest);
  if (error) report.errors.push(error);
}

function recordCoerced(ctx: CheckContext, report: NodeReport, name: string, value: unknown): void {
  let copy = ctx.coerced.get(report.node.id);
  if (!copy) {
    copy = { ...report.inputs };
    ctx.coerced.set(report.node.id, copy);
  }
  Object.defineProperty(copy, name, { value, enumerable: true, writable: true, configurable: true });
}
