/**
 * Validates an API-format prompt against node definitions the way ComfyUI's `POST /prompt` does
 * (`execution.py` `validate_prompt` and `validate_inputs`), returning the same shapes the server answers
 * with, so that a problem found locally reads exactly like one the server would report. Unlike the server
 * it reports every problem at once: all missing classes, and errors upstream of a type mismatch.
 */
import { isOutputNode, isRecord } from './nodeDefs';
import { budgetedSuggester } from './suggest';
import { walkGraph, type GraphWalk } from './validateGraph';
import { checkNode, type CheckContext } from './validateInputs';
import { pyStr } from './validatePython';
import {
  invalidPrompt,
  missingNodeMessage,
  scanStructure,
  type MalformedNode,
  type MissingNode,
  type PromptNode,
} from './validateStructure';
import type { ProblemLocation } from '../util/runnerError';
import type { ApiPrompt, ComfyErrorItem, ComfyNodeErrors, NodeDefs, NodeId, ValidationResult } from './types';

/** Options of {@link validatePrompt}. */
export interface ValidateOptions {
  /**
   * Only these output node ids (and what they depend on) are validated, as with the server's
   * `partial_execution_targets`. Ids that are not output nodes are ignored.
   * @default undefined, meaning every output node
   */
  partialTargets?: readonly string[];
}

/**
 * Validates `prompt` (anything: it is checked, never trusted) against `defs`. Never throws. `ok` is true
 * exactly when ComfyUI would answer 200: no top-level error and at least one output validated; node
 * errors may still be present then, for outputs that would be skipped. `prompt` in the result is a copy
 * with widget values coerced as the server would run them, present when every node is well formed.
 */
export function validatePrompt(
  prompt: unknown,
  defs: NodeDefs,
  options: ValidateOptions = {},
): ValidationResult {
  try {
    return validateUnchecked(prompt, defs, options);
  } catch (e) {
    // Nothing above is expected to throw; if it does, say so in the server's shape rather than crash.
    return failed({
      type: 'exception_during_validation',
      message: 'Exception when validating prompt',
      details: e instanceof Error ? e.message : String(e),
      extra_info: { exception_type: e instanceof Error ? e.name : typeof e },
    });
  }
}

function validateUnchecked(prompt: unknown, defs: NodeDefs, options: ValidateOptions): ValidationResult {
  if (!isRecord(prompt)) {
    return failed(
      invalidPrompt([
        { details: `The prompt must be an object of node ids to nodes, not ${describe(prompt)}` },
      ]),
    );
  }
  const suggest = budgetedSuggester();
  const structure = scanStructure(prompt, defs, suggest);
  const outputs = outputNodes(structure.nodes, options.partialTargets);
  if (outputs.length === 0 && !structure.error) {
    return failed({
      type: 'prompt_no_outputs',
      message: 'Prompt has no outputs',
      details: '',
      extra_info: {},
    });
  }
  const ctx: CheckContext = { nodes: structure.nodes, suggest, coerced: new Map() };
  const walk = walkGraph(
    outputs,
    (id) => checkNode(ctx, id),
    (id) => `${id} (${pyStr(structure.nodes.get(id)?.classType)})`,
  );
  const good = outputs.filter((o) => walk.valid.get(o) === true);
  const nodeErrors = collectNodeErrors(structure.nodes, walk);
  const error = structure.error ?? (good.length === 0 ? outputsFailed(outputs, walk) : undefined);
  const result: ValidationResult = { ok: error === undefined, node_errors: nodeErrors, outputs: good };
  if (error) result.error = error;
  const coerced = coercedPrompt(prompt, structure.nodes, ctx.coerced);
  if (coerced) result.prompt = coerced;
  return result;
}

function failed(error: ComfyErrorItem): ValidationResult {
  return { ok: false, error, node_errors: {}, outputs: [] };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `a ${typeof value}`;
}

/** The output nodes to validate, in prompt order. */
function outputNodes(nodes: Map<NodeId, PromptNode>, targets: readonly string[] | undefined): NodeId[] {
  const wanted = Array.isArray(targets) ? new Set(targets.map(String)) : undefined;
  const outputs: NodeId[] = [];
  for (const node of nodes.values()) {
    if (node.def && node.inputs && isOutputNode(node.def) && (!wanted || wanted.has(node.id)))
      outputs.push(node.id);
  }
  return outputs;
}

/** `node_errors` in prompt order; only nodes with errors of their own are listed, as the server does. */
function collectNodeErrors(nodes: Map<NodeId, PromptNode>, walk: GraphWalk): Record<NodeId, ComfyNodeErrors> {
  const entries: [NodeId, ComfyNodeErrors][] = [];
  for (const [id, node] of nodes) {
    const errors = walk.errors.get(id);
    if (!errors) continue;
    entries.push([id, { errors, dependent_outputs: walk.dependents(id), class_type: pyStr(node.classType) }]);
  }
  // fromEntries defines own properties, so a node id such as "__proto__" stays an ordinary key.
  return Object.fromEntries(entries);
}

/** ComfyUI's 400 error when no output validated; `details` lists the failed outputs' own errors. */
function outputsFailed(outputs: NodeId[], walk: GraphWalk): ComfyErrorItem {
  const lines = outputs.flatMap((o) => (walk.errors.get(o) ?? []).map((e) => `${e.message}: ${e.details}`));
  return {
    type: 'prompt_outputs_failed_validation',
    message: 'Prompt outputs failed validation',
    details: lines.join('\n'),
    extra_info: {},
  };
}

/** A copy of the prompt with coerced inputs, or undefined when some node is not a well-formed ApiNode. */
function coercedPrompt(
  prompt: Record<string, unknown>,
  nodes: Map<NodeId, PromptNode>,
  coerced: Map<NodeId, Record<string, unknown>>,
): ApiPrompt | undefined {
  const entries: [NodeId, unknown][] = [];
  for (const [id, raw] of Object.entries(prompt)) {
    const node = nodes.get(id);
    if (!isRecord(raw) || !node?.inputs || typeof node.classType !== 'string') return undefined;
    const inputs = coerced.get(id);
    entries.push([id, inputs ? { ...raw, inputs } : { ...raw }]);
  }
  return Object.fromEntries(entries) as ApiPrompt;
}

/** One problem of a validation, flattened for display: a ComfyUI error item and where it lies. */
export interface Problem extends ProblemLocation {
  /** ComfyUI's error type, e.g. `value_not_in_list`, `missing_node_type`. */
  type: string;
  message: string;
  details: string;
  /** A likely fix, e.g. the closest valid choice or installed class. */
  suggestion?: string;
}

/**
 * Every problem in `result`, one per error item: each missing class, each malformed node, each node error,
 * and the top-level error when nothing more specific explains it. `prompt`, when given, supplies node
 * titles. Empty exactly when there is nothing to report.
 */
export function listProblems(result: ValidationResult, prompt?: unknown): Problem[] {
  const problems = topLevelProblems(result);
  for (const [nodeId, entry] of Object.entries(result.node_errors)) {
    const title = titleOf(prompt, nodeId);
    for (const e of entry.errors) {
      const p: Problem = {
        type: e.type,
        message: e.message,
        details: e.details,
        nodeId,
        classType: entry.class_type,
      };
      if (title !== undefined) p.title = title;
      if (typeof e.extra_info.input_name === 'string') p.inputName = e.extra_info.input_name;
      if (typeof e.extra_info.suggestion === 'string') p.suggestion = e.extra_info.suggestion;
      problems.push(p);
    }
  }
  return problems;
}

function topLevelProblems(result: ValidationResult): Problem[] {
  const error = result.error;
  if (!error) return [];
  const missing = Array.isArray(error.extra_info.missing_nodes)
    ? (error.extra_info.missing_nodes as MissingNode[])
    : [];
  const fromMissing = missing.map((m) => missingProblem(m));
  if (error.type === 'invalid_prompt' && Array.isArray(error.extra_info.problems)) {
    const malformed = (error.extra_info.problems as MalformedNode[]).map((m) => {
      const p: Problem = { type: error.type, message: error.message, details: m.details };
      if (m.node_id !== undefined) p.nodeId = m.node_id;
      return p;
    });
    return [...malformed, ...fromMissing];
  }
  if (fromMissing.length > 0) return fromMissing;
  if (error.type === 'prompt_outputs_failed_validation' && Object.keys(result.node_errors).length > 0)
    return [];
  return [{ type: error.type, message: error.message, details: error.details }];
}

function missingProblem(m: MissingNode): Problem {
  const p: Problem = {
    type: 'missing_node_type',
    message: missingNodeMessage(m),
    details: `Node ID '#${m.node_id}'`,
  };
  p.nodeId = m.node_id;
  if (typeof m.class_type === 'string') p.classType = m.class_type;
  if (m.node_title !== null && m.node_title !== m.class_type) p.title = m.node_title;
  if (m.suggestion !== undefined) p.suggestion = m.suggestion;
  return p;
}

function titleOf(prompt: unknown, nodeId: string): string | undefined {
  if (!isRecord(prompt) || !Object.prototype.hasOwnProperty.call(prompt, nodeId)) return undefined;
  const node = prompt[nodeId];
  const meta = isRecord(node) ? node._meta : undefined;
  return isRecord(meta) && typeof meta.title === 'string' ? meta.title : undefined;
}

/**
 * One line naming the file, the node (id, title, class), the input, what is wrong and the likely fix:
 * `flow.json: node 2 "Upscale" (ImageScale), input 'upscale_method': Value not in list: 'bicubik' not in
 * [...]; did you mean 'bicubic'?`
 */
export function formatProblem(p: Problem, fileName?: string): string {
  const file = fileName ?? p.file;
  const where: string[] = [];
  if (p.nodeId !== undefined) {
    const title = p.title !== undefined && p.title !== p.classType ? ` "${p.title}"` : '';
    const cls = p.classType !== undefined ? ` (${p.classType})` : '';
    where.push(`node ${p.nodeId}${title}${cls}`);
  }
  if (p.inputName !== undefined) where.push(`input '${p.inputName}'`);
  const head = [file, where.join(', ')].filter((s) => s).join(': ');
  const details = detailsBeyondLocation(p);
  const fix = p.suggestion !== undefined ? `; did you mean '${p.suggestion}'?` : '';
  return `${head ? `${head}: ` : ''}${p.message}${details ? `: ${details}` : ''}${fix}`;
}

/** The details, minus what the location already says (ComfyUI repeats the input name and node id there). */
function detailsBeyondLocation(p: Problem): string {
  let details = p.details.replace(/\s*\n\s*/g, '; ').trim();
  if (details === p.inputName || details === `Node ID '#${p.nodeId}'`) return '';
  const name = p.inputName;
  if (name !== undefined && (details.startsWith(`${name}: `) || details.startsWith(`${name}, `))) {
    details = details.slice(name.length + 2);
  }
  return details;
}
