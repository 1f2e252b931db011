/**
 * Command-line changes to a prompt's inputs: `--set <node>.<input>=<json>` for one value and
 * `--sweep <node>.<input>=<v1>,<v2>,...` for a run per value. A node is named by its id, or by its
 * `_meta.title` when no id matches, so the same command keeps working after ids are renumbered.
 */
import { RunnerError } from '../util/runnerError';
import { isLink } from './graph';
import type { ApiNode, ApiPrompt, NodeId } from './types';

/** One input to set on one node. */
export interface Override {
  /** A node id, or a node title when no node has this id. */
  node: string;
  /** The input's name, as in the prompt's `inputs`. */
  input: string;
  /** The new value; a link (`["4", 0]`) rewires the input. */
  value: unknown;
}

/** One input to try with several values, one run each. */
export interface Sweep {
  /** A node id, or a node title when no node has this id. */
  node: string;
  /** The input's name, as in the prompt's `inputs`. */
  input: string;
  /** The values in the order given; never empty. */
  values: unknown[];
}

/** The most values a single integer range of a sweep may expand to. */
export const MAX_RANGE_VALUES = 10_000;

/**
 * Parses `<node>.<input>=<value>`. The input name is what follows the last dot, so titles may contain
 * dots, and the node may be quoted (`"Save poster".filename_prefix=x`). The value is JSON when it
 * parses (`42`, `true`, `"42"`), otherwise the text as it stands (`a cat`), since quoting strings in a
 * shell is a chore. Throws `RunnerError('bad_input')` when the shape is wrong.
 */
export function parseOverride(text: string): Override {
  const { node, input, rest } = splitTarget(text, '--set', '<node>.<input>=<value>');
  return { node, input, value: parseValue(rest) };
}

/**
 * Parses `<node>.<input>=<v1>,<v2>,...`. The list is read as JSON when it is valid as the inside of a
 * JSON array (`1,2,3`, `"a, b","c"`); otherwise it is split on commas, each piece trimmed and read as
 * JSON or text, and an integer range `a..b` expands to every integer from a to b, either way round.
 */
export function parseSweep(text: string): Sweep {
  const usage = '<node>.<input>=<v1>,<v2>,...';
  const { node, input, rest } = splitTarget(text, '--sweep', usage);
  const asJson = tryJson(`[${rest}]`);
  const values = Array.isArray(asJson.value) ? asJson.value : rest.split(',').flatMap(parseSweepPiece);
  if (values.length === 0)
    throw new RunnerError('bad_input', `--sweep ${text}: no values; expected ${usage}`);
  return { node, input, values };
}

function splitTarget(
  text: string,
  flag: string,
  usage: string,
): { node: string; input: string; rest: string } {
  const eq = text.indexOf('=');
  const target = eq < 0 ? '' : text.slice(0, eq).trim();
  const dot = target.lastIndexOf('.');
  const node = unquote(target.slice(0, Math.max(dot, 0)).trim());
  const input = target.slice(dot + 1).trim();
  if (eq < 0 || dot < 0 || node === '' || input === '') {
    throw new RunnerError('bad_input', `${flag} ${text}: expected ${usage}`);
  }
  return { node, input, rest: text.slice(eq + 1) };
}

function unquote(s: string): string {
  const quoted = s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0];
  return quoted ? s.slice(1, -1) : s;
}

function tryJson(text: string): { ok: boolean; value?: unknown } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function parseValue(text: string): unknown {
  const parsed = tryJson(text);
  return parsed.ok ? parsed.value : text;
}

const INT_RANGE = /^(-?\d+)\.\.(-?\d+)$/;
const ANY_RANGE = /^-?\d+(\.\d*)?\.\.-?\d+(\.\d*)?$/;

function parseSweepPiece(raw: string): unknown[] {
  const piece = raw.trim();
  const range = INT_RANGE.exec(piece);
  if (range) return expandRange(Number(range[1]), Number(range[2]), piece);
  if (ANY_RANGE.test(piece)) {
    throw new RunnerError('bad_input', `--sweep range ${piece}: only integer ranges expand (like 1..8)`);
  }
  return [parseValue(piece)];
}

function expandRange(from: number, to: number, piece: string): number[] {
  const count = Math.abs(to - from) + 1;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || count > MAX_RANGE_VALUES) {
    throw new RunnerError('bad_input', `--sweep range ${piece}: at most ${MAX_RANGE_VALUES} values`);
  }
  const step = to >= from ? 1 : -1;
  return Array.from({ length: count }, (_, i) => from + i * step);
}

/**
 * A copy of `prompt` with each override applied in turn; `prompt` is left untouched. The node is found
 * by id, else by a unique `_meta.title`. Only inputs the node already has can be set: an unknown name
 * is far more often a typo than a wish to add an optional input, so it is refused with the node's
 * inputs listed. An array that is not a link is sent as `{"__value__": [...]}`, since ComfyUI reads
 * every bare array as a link. Throws `RunnerError('bad_input')` naming the node and the input; for an
 * unknown input its `details` are `{ inputs }`, the names the node has.
 */
export function applyOverrides(prompt: ApiPrompt, overrides: readonly Override[]): ApiPrompt {
  const copy = structuredClone(prompt);
  for (const o of overrides) {
    const id = resolveNode(copy, o);
    const node = copy[id];
    if (!Object.hasOwn(node.inputs, o.input)) {
      const names = Object.keys(node.inputs);
      const list = names.length > 0 ? names.join(', ') : 'none';
      throw new RunnerError(
        'bad_input',
        `node #${id} (${describeNode(node)}) has no input "${o.input}"; its inputs are: ${list}`,
        { nodeId: id, classType: node.class_type, title: node._meta?.title, inputName: o.input },
        { inputs: names },
      );
    }
    node.inputs[o.input] = Array.isArray(o.value) && !isLink(o.value) ? { __value__: o.value } : o.value;
  }
  return copy;
}

/** A node as messages name it: its class, and its title when it has its own (`SaveImage "Final"`). */
export function describeNode(node: ApiNode): string {
  const title = node._meta?.title;
  return title && title !== node.class_type ? `${node.class_type} "${title}"` : node.class_type;
}

/** The nodes `name` names: the node with that id, else every node with that `_meta.title`. */
export function nodesNamed(prompt: ApiPrompt, name: string): NodeId[] {
  if (Object.hasOwn(prompt, name)) return [name];
  return Object.keys(prompt).filter((id) => prompt[id]._meta?.title === name);
}

/**
 * The id of the node an override names: the id itself, else the one node with that `_meta.title`.
 * Throws `RunnerError('bad_input')` when no node or several nodes match.
 */
export function resolveNode(prompt: ApiPrompt, o: Pick<Override, 'node' | 'input'>): NodeId {
  const matches = nodesNamed(prompt, o.node);
  if (matches.length === 1) return matches[0];
  const where = { title: o.node, inputName: o.input };
  if (matches.length === 0) {
    throw new RunnerError('bad_input', `no node has the id or title "${o.node}" (setting ${o.input})`, where);
  }
  const ids = matches.map((id) => `#${id}`).join(', ');
  throw new RunnerError(
    'bad_input',
    `the title "${o.node}" names several nodes (${ids}); use a node id to set ${o.input}`,
    where,
  );
}

/** The most combinations {@link sweepCombinations} produces unless told otherwise. */
export const MAX_SWEEP_COMBINATIONS = 10_000;

/**
 * Every combination of the sweeps' values as a list of overrides, one list per run: the cartesian
 * product in odometer order, the first sweep varying slowest and the last fastest. No sweeps give one
 * empty combination (a single plain run). Throws `RunnerError('bad_input')` when there would be more
 * than `limit` runs (default {@link MAX_SWEEP_COMBINATIONS}), before building any.
 */
export function sweepCombinations(sweeps: readonly Sweep[], limit = MAX_SWEEP_COMBINATIONS): Override[][] {
  const total = sweeps.reduce((n, s) => n * s.values.length, 1);
  if (total > limit) {
    throw new RunnerError('bad_input', `the sweeps make ${total} runs, more than the limit of ${limit}`);
  }
  let combos: Override[][] = [[]];
  for (const s of sweeps) {
    const next: Override[][] = [];
    for (const combo of combos) {
      for (const value of s.values) next.push([...combo, { node: s.node, input: s.input, value }]);
    }
    combos = next;
  }
  return combos;
}

/** An input a sweep can vary: one set to a value in the prompt, not wired to another node's output. */
export interface SweepableInput {
  /** The node's id. */
  node: NodeId;
  /** The node's title (`_meta.title`), else its class. */
  title: string;
  classType: string;
  /** The input's name. */
  input: string;
  /** Its value in the prompt. */
  value: unknown;
}

/** Every input of `prompt` a sweep can vary, by node id (numeric ids in number order), then as listed. */
export function sweepableInputs(prompt: ApiPrompt): SweepableInput[] {
  const ids = Object.keys(prompt).sort((a, b) => {
    const [x, y] = [Number(a), Number(b)];
    return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b);
  });
  return ids.flatMap((id) => {
    const node = prompt[id];
    const title = node._meta?.title ?? node.class_type;
    return Object.entries(node.inputs ?? {})
      .filter(([, value]) => !isLink(value))
      .map(([input, value]) => ({ node: id, title, classType: node.class_type, input, value }));
  });
}
