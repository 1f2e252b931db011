/**
 * Running part of a workflow: only some of its output nodes and what they need. ComfyUI does this on
 * the server with `partial_execution_targets`; a prompt pruned to those nodes and their ancestors
 * does the same on every server, older ones and ours included, and its record says exactly what ran.
 */
import { RunnerError } from '../util/runnerError';
import { outputNodes, reachable, sortedNodeIds } from './graph';
import { describeNode, nodesNamed } from './overrides';
import type { ApiPrompt, NodeDefs, NodeId } from './types';

/**
 * The ids of the output nodes `names` name (each a node id, else the one node with that title), in
 * id order. Throws `RunnerError('bad_input')`, naming the file and the node, for a name that matches
 * no node or several, or a node whose class the definitions know and is not an output node; the
 * message lists the workflow's output nodes. A class the definitions do not know is taken at its word
 * (a server that has it decides).
 */
export function resolveOutputNodes(
  prompt: ApiPrompt,
  defs: NodeDefs,
  names: readonly string[],
  file: string,
): NodeId[] {
  const choices = () => {
    const outs = outputNodes(prompt, defs);
    return outs.length === 0
      ? 'it has no output node'
      : `its output nodes are ${outs.map((id) => `#${id} ${describeNode(prompt[id])}`).join(', ')}`;
  };
  const ids = names.map((name) => {
    const matches = nodesNamed(prompt, name);
    if (matches.length === 1) return matches[0];
    if (matches.length === 0)
      throw new RunnerError('bad_input', `${file}: no node has the id or title "${name}"; ${choices()}`, {
        file,
        title: name,
      });
    throw new RunnerError(
      'bad_input',
      `${file}: the title "${name}" names several nodes (${matches.map((id) => `#${id}`).join(', ')}); use a node id`,
      { file, title: name },
    );
  });
  for (const id of ids) {
    const def = defs[prompt[id].class_type];
    if (def && def.output_node !== true)
      throw new RunnerError(
        'bad_input',
        `${file}: node #${id} ${describeNode(prompt[id])} is not an output node, so running it alone gives nothing; ${choices()}`,
        { file, nodeId: id, classType: prompt[id].class_type, title: prompt[id]._meta?.title },
      );
  }
  return sortedNodeIds(new Set(ids));
}

/** `prompt` with only `outputs` and the nodes they depend on, each node as it was. */
export function partialPrompt(prompt: ApiPrompt, outputs: readonly NodeId[]): ApiPrompt {
  const keep = reachable(prompt, outputs);
  const pruned: ApiPrompt = {};
  for (const id of Object.keys(prompt)) if (keep.has(id)) pruned[id] = prompt[id];
  return pruned;
}
