/**
 * The state one conversion carries (definitions, file name, warnings, seeds) and the one way it refuses a
 * node: a `bad_input` RunnerError whose message names the node by id, type and title, and whose
 * location lets an editor jump to it.
 */
import { RunnerError } from '../util/runnerError';
import type { SeedWidget } from './seeds';
import type { EditorNode, NodeDefs } from './types';

/** What every step of one conversion shares. */
export interface ConvertContext {
  defs: NodeDefs;
  /** The workflow's file name, for error locations. */
  fileName?: string;
  /** Things that were converted with a caveat the user should see; appended to as the walk goes. */
  warnings: string[];
  /** The seeds found so far, keyed by where their value lives (a node's widget, or a PrimitiveNode). */
  seeds: Map<string, SeedWidget>;
}

/** "node 3 (KSampler "Hires pass")": how messages name a node; `execId` is its id in the prompt. */
export function describeNode(execId: string, node: EditorNode): string {
  const title = typeof node.title === 'string' && node.title !== '' ? ` "${node.title}"` : '';
  return `node ${execId} (${node.type}${title})`;
}

/** Throws the converter's refusal for a node: reason `bad_input`, message prefixed with the node. */
export function refuseNode(
  ctx: ConvertContext,
  execId: string,
  node: EditorNode,
  message: string,
  inputName?: string,
): never {
  throw new RunnerError('bad_input', `Cannot convert ${describeNode(execId, node)}: ${message}`, {
    file: ctx.fileName,
    nodeId: execId,
    classType: node.type,
    title: typeof node.title === 'string' ? node.title : undefined,
    inputName,
  });
}

/** Records a warning about a node. */
export function warnNode(ctx: ConvertContext, execId: string, node: EditorNode, message: string): void {
  ctx.warnings.push(`${capitalize(describeNode(execId, node))}: ${message}`);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
