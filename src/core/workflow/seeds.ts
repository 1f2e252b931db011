/**
 * Seed inputs and how they change from one run to the next, the way ComfyUI's frontend changes them
 * when its Queue button sends a workflow N times (../shared/docs/comfyui-protocol.md section 5.3).
 *
 * A seed is an INT widget the frontend gives a control-after-generate widget: an INT input whose
 * definition sets `control_after_generate`, or, when the flag is absent, one named `seed` or
 * `noise_seed`; and an INT input fed by a PrimitiveNode, which carries a control of its own. The
 * control says what happens after each queued prompt: `fixed` keeps the value, `increment` and
 * `decrement` add or take away the input's step, `randomize` draws a multiple of the step in range.
 * So run 1 sends the saved value, run 2 the value after one step, run k after k - 1 steps.
 *
 * Range: ComfyUI takes seeds up to 0xffffffffffffffff, but a JavaScript number holds integers exactly
 * only up to 2^53. The frontend keeps every value it chooses within ±2^50 ({@link SEED_LIMIT}), clamping
 * the input's own min and max to it, and so do these functions: every seed they choose is an exact
 * integer. A saved value beyond that is sent as saved on run 1 (with whatever precision parsing the
 * JSON left it) and clamped on the next step, as the frontend does.
 */
import { lookupDef } from './nodeDefs';
import type { Override } from './overrides';
import type { ApiPrompt, InputSpec, NodeDef, NodeDefs, NodeId } from './types';
import { hasSeedControl } from './widgetValues';

/** The controls of a seed, as the frontend's control widget names them. */
export const seedControls = ['fixed', 'increment', 'decrement', 'randomize'] as const;

/** How a seed changes after each run. */
export type SeedControl = (typeof seedControls)[number];

/** The bound of every value the frontend (and this module) chooses for a seed: 2^50. */
export const SEED_LIMIT = 1_125_899_906_842_624;

/** The values a seed may take: a multiple of `step` from `min`, `min` to `max` inclusive. */
export interface SeedRange {
  min: number;
  max: number;
  step: number;
}

/** One API input a seed sets. */
export interface SeedTarget {
  /** The node's id in the API prompt. */
  node: NodeId;
  /** The input's name. */
  input: string;
}

/** One seed of a prompt: the inputs it sets, its control and its range. */
export interface SeedWidget {
  /**
   * The inputs that take the seed's value: one widget, or every input one PrimitiveNode feeds (they
   * always get the same value).
   */
  targets: SeedTarget[];
  /** The control saved with it in an editor file; undefined when the file does not say (API format). */
  control?: SeedControl;
  range: SeedRange;
}

/** A control as saved in an editor file, or undefined for anything else (`increment-wrap` is increment). */
export function parseSeedControl(saved: unknown): SeedControl | undefined {
  if (saved === 'increment-wrap') return 'increment';
  return seedControls.find((c) => c === saved);
}

/**
 * The range of an INT input as the frontend's widget has it: the spec's min (default 0), max (default
 * 2048) and step (default 1), with min and max clamped to ±{@link SEED_LIMIT}. Without a spec (a node
 * class the definitions do not know), 0 to {@link SEED_LIMIT} in steps of 1.
 */
export function seedRange(spec?: InputSpec): SeedRange {
  if (!spec) return { min: 0, max: SEED_LIMIT, step: 1 };
  const options = spec[1] ?? {};
  const step = typeof options.step === 'number' && options.step > 0 ? options.step : 1;
  const min = Math.max(-SEED_LIMIT, typeof options.min === 'number' ? options.min : 0);
  const max = Math.min(SEED_LIMIT, typeof options.max === 'number' ? options.max : 2048);
  return { min, max: Math.max(min, max), step };
}

/**
 * The value after one run: the same for `fixed`, one step up or down, or a random multiple of the step
 * from `min`; always clamped to the range. `random` returns a number in [0, 1), as Math.random does.
 */
export function nextSeed(
  value: number,
  control: SeedControl,
  range: SeedRange,
  random: () => number = Math.random,
): number {
  let next = value;
  switch (control) {
    case 'fixed':
      return value;
    case 'increment':
      next = value + range.step;
      break;
    case 'decrement':
      next = value - range.step;
      break;
    case 'randomize':
      next = Math.floor(random() * ((range.max - range.min) / range.step)) * range.step + range.min;
      break;
  }
  return Math.min(Math.max(next, range.min), range.max);
}

/** The values of `runs` runs: the start value for run 1, then one step after each run. */
export function seedSequence(
  start: number,
  control: SeedControl,
  range: SeedRange,
  runs: number,
  random: () => number = Math.random,
): number[] {
  const values: number[] = [];
  let value = start;
  for (let i = 0; i < runs; i++) {
    values.push(value);
    value = nextSeed(value, control, range, random);
  }
  return values;
}

/** The spec of a node's input by name, required or optional. */
export function inputSpecOf(def: NodeDef | undefined, name: string): InputSpec | undefined {
  return def?.input?.required?.[name] ?? def?.input?.optional?.[name];
}

/**
 * The seeds of an API-format prompt, which saves no controls: every constant number on an input the
 * node's definition makes a seed (see the file comment), or, for a class the definitions do not know,
 * on an input named `seed` or `noise_seed`. One seed per input, in prompt order.
 */
export function findPromptSeeds(prompt: ApiPrompt, defs: NodeDefs): SeedWidget[] {
  const seeds: SeedWidget[] = [];
  for (const [node, apiNode] of Object.entries(prompt)) {
    const def = lookupDef(defs, apiNode.class_type);
    for (const [input, value] of Object.entries(apiNode.inputs)) {
      if (typeof value !== 'number') continue;
      const spec = inputSpecOf(def, input);
      const isSeed = def ? spec !== undefined && hasSeedControl(input, spec) : isSeedName(input);
      if (isSeed) seeds.push({ targets: [{ node, input }], range: seedRange(spec) });
    }
  }
  return seeds;
}

function isSeedName(name: string): boolean {
  return name === 'seed' || name === 'noise_seed';
}

/** What a seed's control is in a run: `seed` is one of the prompt's seeds. */
export type ControlOf = (seed: SeedWidget) => SeedControl;

/**
 * The seed values of each of `runs` runs, as overrides (`node` an id): run 1 the values in `prompt`,
 * run k each seed after k - 1 steps of its control. Seeds whose control is fixed, or whose value in
 * `prompt` is not a number, are left out; every input of one seed gets the same value.
 */
export function seedOverridesByRun(
  prompt: ApiPrompt,
  seeds: readonly SeedWidget[],
  runs: number,
  controlOf: ControlOf,
  random: () => number = Math.random,
): Override[][] {
  const byRun: Override[][] = Array.from({ length: runs }, () => []);
  for (const seed of seeds) {
    const control = controlOf(seed);
    const first = seed.targets[0];
    const start = first && prompt[first.node]?.inputs[first.input];
    if (control === 'fixed' || typeof start !== 'number') continue;
    seedSequence(start, control, seed.range, runs, random).forEach((value, run) => {
      for (const t of seed.targets) byRun[run].push({ node: t.node, input: t.input, value });
    });
  }
  return byRun;
}
