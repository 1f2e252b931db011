/**
 * What a workflow offers a front end's pickers, read as a run reads it (an editor-format file converted
 * with the given definitions, the first server's): the inputs a sweep can vary and the output nodes a
 * run can be limited to. Both throw `bad_input` when the source is not a workflow.
 */
import { outputNodes } from '../workflow/graph';
import { sweepableInputs, type SweepableInput } from '../workflow/overrides';
import type { NodeDefs } from '../workflow/types';
import { loadSource, type WorkflowSource } from './planJobs';

/** An output node of a workflow, as a picker offers it. */
export interface OutputNode {
  node: string;
  classType: string;
  /** Its title (`_meta.title`), else its class. */
  title: string;
}

/** The inputs a sweep can vary: those the workflow sets to a value. */
export async function workflowSweepInputs(source: WorkflowSource, defs: NodeDefs): Promise<SweepableInput[]> {
  return sweepableInputs((await loadSource(source, defs)).prompt);
}

/** The output nodes, each of which a run can be limited to (PlanRequest.outputs). */
export async function workflowOutputNodes(source: WorkflowSource, defs: NodeDefs): Promise<OutputNode[]> {
  const { prompt } = await loadSource(source, defs);
  return outputNodes(prompt, defs).map((id) => ({
    node: id,
    classType: prompt[id].class_type,
    title: prompt[id]._meta?.title ?? prompt[id].class_type,
  }));
}
