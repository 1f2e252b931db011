/**
 * Converts an editor-format (UI, litegraph) workflow to the API format `POST /prompt` takes, using the
 * server's node definitions, the way the ComfyUI frontend's graphToPrompt does
 * (../shared/docs/comfyui-protocol.md sections 5.2-5.4). Frontend-only nodes disappear, muted and
 * bypassed nodes are dropped or rewired, subgraph instances are expanded into colon-path ids, and widget
 * values are matched to inputs by rebuilding the frontend's widget layout. Whatever cannot be mapped
 * with certainty (an unknown class, a widget count that does not fit, a legacy group node, a broken
 * link) is refused with a `bad_input` RunnerError that names the node.
 */
import { RunnerError } from '../util/runnerError';
import type { ConvertContext } from './convertContext';
import { flattenWorkflow, isActive } from './convertFlatten';
import type { FlatWorkflow } from './convertFlatten';
import { buildApiNode } from './convertNode';
import { isLink } from './graph';
import { isRecord } from './nodeDefs';
import type { SeedWidget } from './seeds';
import type { ApiPrompt, EditorWorkflow, NodeDefs } from './types';

/** Options of {@link convertEditorToApi}. */
export interface ConvertOptions {
  /** The workflow's file name, put in error locations. @default undefined */
  fileName?: string;
}

/** The result of {@link convertEditorToApi}. */
export interface ConvertResult {
  /** The API-format prompt. */
  prompt: ApiPrompt;
  /** What to send as `extra_data.extra_pnginfo`: the original workflow, unchanged, so outputs embed it. */
  extraPngInfo: { workflow: EditorWorkflow };
  /** Things converted with a caveat (an input lost to a muted node, defaults used, ...), one sentence each. */
  warnings: string[];
  /**
   * The seeds of the prompt with the control-after-generate saved for each (seeds.ts), in the order
   * their nodes were built: the inputs each sets, so a run of N can step them as the frontend would.
   */
  seeds: SeedWidget[];
}

/**
 * Converts `workflow` to an API prompt. Never modifies `workflow`.
 * @throws RunnerError with reason `bad_input` when a node cannot be mapped with certainty.
 */
export function convertEditorToApi(
  workflow: EditorWorkflow,
  defs: NodeDefs,
  options: ConvertOptions = {},
): ConvertResult {
  const ctx: ConvertContext = { defs, fileName: options.fileName, warnings: [], seeds: new Map() };
  if (!isRecord(workflow) || !Array.isArray(workflow.nodes)) {
    throw new RunnerError('bad_input', 'This is not an editor-format workflow: it has no nodes array.', {
      file: ctx.fileName,
    });
  }
  const flat = flattenWorkflow(workflow, ctx);
  const prompt: ApiPrompt = {};
  for (const exec of flat.nodes) {
    if (exec.kind === 'real' && isActive(exec.node)) prompt[exec.id] = buildApiNode(flat, ctx, exec);
  }
  dropLinksToMissingNodes(prompt, flat, ctx);
  return { prompt, extraPngInfo: { workflow }, warnings: ctx.warnings, seeds: [...ctx.seeds.values()] };
}

/**
 * The frontend's last pass: an input linked to a node that is not in the prompt is deleted. Resolution
 * already drops inputs from muted nodes; this catches what is left, such as a link into a node that was
 * itself skipped.
 */
function dropLinksToMissingNodes(prompt: ApiPrompt, flat: FlatWorkflow, ctx: ConvertContext): void {
  for (const [id, apiNode] of Object.entries(prompt)) {
    for (const [name, value] of Object.entries(apiNode.inputs)) {
      if (!isLink(value) || prompt[value[0]]) continue;
      delete apiNode.inputs[name];
      const source = flat.byId.get(value[0]);
      const why = source
        ? `node ${value[0]} (${source.node.type}) is not sent to the server`
        : `node ${value[0]} does not exist`;
      ctx.warnings.push(`Node ${id} (${apiNode.class_type}): input "${name}" is dropped: ${why}.`);
    }
  }
}
