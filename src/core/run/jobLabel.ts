/**
 * The label that tells the runs of one batch apart wherever jobs are listed: the run number and the
 * inputs that differ from the workflow file, such as `#3 seed=1234` or `#2 Factor=0.5 blend_mode=screen`.
 */
import type { Job } from '../jobs/job';
import type { Override } from '../workflow/overrides';
import type { ApiPrompt } from '../workflow/types';

/** The longest a value is shown before it is cut with an ellipsis. */
const MAX_VALUE_CHARS = 32;

/**
 * A job's run label: `#<run>` when its batch has more than one job, then `<name>=<value>` for each
 * input its overrides set (`--set`, a sweep's value, the seed a run chose), the last value of an input
 * winning. An input is named by its name alone; a primitive node's `value` by the node's title; and
 * `<node>.<input>` when two shown inputs would share a name. Empty for a single run of the file as is.
 */
export function jobLabel(job: Pick<Job, 'batch' | 'overrides' | 'prompt'>): string {
  const inputs = inputsLabel(jobInputs(job));
  return job.batch && job.batch.size > 1 ? `#${job.batch.index} ${inputs}`.trim() : inputs;
}

/** Inputs as a run label shows them: `seed=5 steps=20`. */
export function inputsLabel(inputs: readonly JobInput[]): string {
  return inputs.map((i) => `${i.name}=${i.value}`).join(' ');
}

/** One input a job's overrides set, named and shown as its run label shows it. */
export interface JobInput {
  name: string;
  value: string;
}

/** The inputs of a job's run label (see {@link jobLabel}), in order: what a comparison of runs lists. */
export function jobInputs(job: Pick<Job, 'overrides' | 'prompt'>): JobInput[] {
  const shown = lastPerInput(job.overrides, job.prompt);
  const names = shown.map((o) => shortName(o, job.prompt));
  return shown.map((o, i) => ({
    name: names.indexOf(names[i]) === names.lastIndexOf(names[i]) ? names[i] : `${o.node}.${o.input}`,
    value: showValue(o.value),
  }));
}

/** The overrides with only the last of each input kept, in the order of their first appearance. */
function lastPerInput(overrides: readonly Override[], prompt: ApiPrompt): Override[] {
  const byInput = new Map<string, Override>();
  for (const o of overrides) {
    const key = `${nodeIdOf(o.node, prompt)}\u0000${o.input}`;
    const first = byInput.get(key);
    byInput.set(key, first ? { ...o, node: first.node } : o);
  }
  return [...byInput.values()];
}

/** The node an override names: an id of the prompt, else the node with that title, else the name. */
function nodeIdOf(node: string, prompt: ApiPrompt): string {
  if (Object.hasOwn(prompt, node)) return node;
  return Object.keys(prompt).find((id) => prompt[id]._meta?.title === node) ?? node;
}

function shortName(o: Override, prompt: ApiPrompt): string {
  if (o.input !== 'value') return o.input;
  const node = prompt[nodeIdOf(o.node, prompt)];
  const title = node?._meta?.title;
  return title && title !== node.class_type ? title : o.input;
}

function showValue(value: unknown): string {
  const text =
    typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
