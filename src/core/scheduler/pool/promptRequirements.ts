/**
 * What a prompt needs from a server (its node classes and the model files it names) and why a given
 * server cannot run it. The scheduler asks this before dispatching, so that a job goes to a server that
 * has what it needs instead of being rejected there with `value_not_in_list` after a wait in the queue.
 *
 * Model files are recognised by a documented, replaceable rule ({@link defaultModelFileRule}); see
 * {@link promptRequirements}.
 */
import { RunnerError } from '../../util/runnerError';
import { compareNodeIds, isLink } from '../../workflow/graph';
import { finalizeInputs, isRecord, lookupDef } from '../../workflow/nodeDefs';
import { closestMatch } from '../../workflow/suggest';
import type { ApiPrompt, NodeDef, NodeDefs } from '../../workflow/types';

/** One model file a prompt names: the value of a node's COMBO input. */
export interface ModelFileRef {
  nodeId: string;
  classType: string;
  /** The input's name as in the prompt (dotted for V3 dynamic inputs). */
  input: string;
  /** The file name as the server lists it, folders included ("SDXL/sdxl.safetensors"). */
  value: string;
}

/** What a prompt needs from a server. */
export interface PromptRequirements {
  /** Every node class the prompt uses; the server refuses the whole prompt if one is missing. */
  nodeClasses: Set<string>;
  /** The model files, in node id order. */
  modelFiles: ModelFileRef[];
}

/** An input value the {@link ModelFileRule} is asked about. */
export interface ModelFileCandidate {
  classType: string;
  input: string;
  value: string;
  /**
   * The COMBO's choices on the server whose definitions were given; undefined when the class (or the
   * input) is unknown there, or no definitions were given.
   */
  choices: readonly unknown[] | undefined;
}

/** Decides whether an input value names a model file. */
export type ModelFileRule = (candidate: ModelFileCandidate) => boolean;

/** The settings of the default rule; each has a default. */
export interface ModelFileRuleOptions {
  /**
   * File extensions of model files, lower case with the dot.
   * @default ['.safetensors', '.ckpt', '.pt', '.pth', '.bin', '.gguf', '.onnx', '.sft']
   */
  readonly extensions?: readonly string[];
  /**
   * Input names of ComfyUI's loaders (ckpt_name, lora_name, vae_name, unet_name, clip_name1...).
   * @default /_name\d*$/
   */
  readonly inputName?: RegExp;
}

/** The model file extensions of the default rule. */
export const modelFileExtensions: readonly string[] = [
  '.safetensors',
  '.ckpt',
  '.pt',
  '.pth',
  '.bin',
  '.gguf',
  '.onnx',
  '.sft',
];

/** Something that looks like a file extension: a dot and a letter first, so "edm_playground_v2.5" is not one. */
const FILE_LIKE = /\.[A-Za-z][A-Za-z0-9_]{0,9}$/;

/**
 * The default rule, with `options` changing its settings. A value names a model file when
 * - it ends in one of the model extensions, or
 * - the input's name looks like a loader's (`inputName`) and either the server's choices are not a fixed
 *   vocabulary (empty, as on a server without models, or with at least one file-like entry), or, with no
 *   choices known, the value itself looks like a file.
 *
 * That keeps `sampler_name` ("euler") and built-in choices such as VAELoader's "pixel_space" out, while
 * a loader on a server with an empty model folder still counts.
 */
export function modelFileRule(options: ModelFileRuleOptions = {}): ModelFileRule {
  const extensions = options.extensions ?? modelFileExtensions;
  const inputName = options.inputName ?? /_name\d*$/;
  return ({ input, value, choices }) => {
    const lower = value.toLowerCase();
    if (extensions.some((ext) => lower.endsWith(ext))) return true;
    if (!inputName.test(input)) return false;
    if (choices === undefined) return FILE_LIKE.test(value);
    return choices.length === 0 || choices.some((c) => typeof c === 'string' && FILE_LIKE.test(c));
  };
}

/** The rule {@link promptRequirements} uses unless given another. */
export const defaultModelFileRule: ModelFileRule = modelFileRule();

/**
 * Option keys that make a COMBO an upload widget (LoadImage's `image`): its values are input files the
 * runner uploads, not models a server must already have.
 */
const UPLOAD_KEYS = ['image_upload', 'video_upload', 'audio_upload', 'file_upload'];

/** How a server's definition describes one input. */
type InputKind = { kind: 'combo'; choices: unknown[] } | { kind: 'unchecked' };

/**
 * How `def` describes each input of a node whose prompt inputs are `live`, by name: a COMBO with its
 * choices (either spelling), or `unchecked` for anything whose value a server does not look up in a
 * list (other types, uploads, remote combos whose choices the frontend fetches). Inputs the definition
 * lacks are absent.
 */
function inputKinds(def: NodeDef | undefined, live: Record<string, unknown>): Map<string, InputKind> {
  const kinds = new Map<string, InputKind>();
  for (const input of def ? finalizeInputs(def, live) : []) {
    const { options, type } = input;
    if (UPLOAD_KEYS.some((k) => options[k] === true)) kinds.set(input.name, { kind: 'unchecked' });
    else if (Array.isArray(type)) kinds.set(input.name, { kind: 'combo', choices: type });
    else if (type !== 'COMBO' || options.remote || options.remote_combo) {
      kinds.set(input.name, { kind: 'unchecked' });
    } else {
      kinds.set(input.name, {
        kind: 'combo',
        choices: Array.isArray(options.options) ? options.options : [],
      });
    }
  }
  return kinds;
}

/** The string values of an input: the value itself, or each entry of a multiselect list. */
function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && !isLink(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * What `prompt` needs from a server: every node class it uses, and every model file it names. Model
 * files are COMBO values for which `rule` says yes; with `defsOfAnyServer` (any server's `/object_info`,
 * whose model lists need not match the target's) the rule also sees the input's choices, and inputs
 * known not to be a plain COMBO (numbers, strings, upload widgets, remote combos) are never model files.
 * Without definitions, or for a class they lack, only the input's name and value decide.
 */
export function promptRequirements(
  prompt: ApiPrompt,
  defsOfAnyServer?: NodeDefs,
  rule: ModelFileRule = defaultModelFileRule,
): PromptRequirements {
  const nodeClasses = new Set<string>();
  const modelFiles: ModelFileRef[] = [];
  for (const nodeId of Object.keys(prompt).sort(compareNodeIds)) {
    const node: unknown = prompt[nodeId];
    if (!isRecord(node) || typeof node.class_type !== 'string') continue;
    const classType = node.class_type;
    nodeClasses.add(classType);
    const live = isRecord(node.inputs) ? node.inputs : {};
    const kinds = inputKinds(defsOfAnyServer && lookupDef(defsOfAnyServer, classType), live);
    for (const [input, raw] of Object.entries(live)) {
      const kind = kinds.get(input);
      if (kind?.kind === 'unchecked') continue;
      const choices = kind?.choices;
      for (const value of stringValues(raw)) {
        if (rule({ classType, input, value, choices })) modelFiles.push({ nodeId, classType, input, value });
      }
    }
  }
  return { nodeClasses, modelFiles };
}

/** Whether a server can run a prompt, and if not, every reason why. */
export type ServerMatch = { ok: true } | { ok: false; reasons: string[] };

/**
 * Checks `requirements` against one server's `/object_info`. Reasons come in a fixed order (missing
 * classes by name, then missing models by node id) and each appears once, e.g. "no node class
 * IPAdapterApply" or "missing model sdxl.safetensors (CheckpointLoaderSimple.ckpt_name)". A model is
 * missing when the server's COMBO does not list it exactly, as the server's own validation decides;
 * inputs the server's definition lacks or does not check against a list are not held against it.
 */
export function matchServer(requirements: PromptRequirements, serverDefs: NodeDefs): ServerMatch {
  const reasons = new Set<string>();
  for (const classType of [...requirements.nodeClasses].sort()) {
    if (!lookupDef(serverDefs, classType)) reasons.add(`no node class ${classType}`);
  }
  for (const ref of requirements.modelFiles) {
    const missing = missingModelReason(ref, serverDefs);
    if (missing) reasons.add(missing);
  }
  return reasons.size === 0 ? { ok: true } : { ok: false, reasons: [...reasons] };
}

function missingModelReason(ref: ModelFileRef, serverDefs: NodeDefs): string | undefined {
  const def = lookupDef(serverDefs, ref.classType);
  const kind = inputKinds(def, { [ref.input]: ref.value }).get(ref.input);
  if (kind?.kind !== 'combo' || kind.choices.includes(ref.value)) return undefined;
  const where = `${ref.classType}.${ref.input}`;
  // A near miss is usually the same file in another folder, or a different path separator.
  const near = closestMatch(ref.value, kind.choices);
  return near === undefined
    ? `missing model ${ref.value} (${where})`
    : `missing model ${ref.value} (${where}, the server has ${near})`;
}

/** One server's verdict, as {@link explainNoServer} reads it. */
export interface ServerVerdict {
  server: string;
  reasons: string[];
}

/** Options of {@link explainNoServer}. */
export interface ExplainOptions {
  /**
   * The most reasons shown per server; the rest are counted ("and 4 more").
   * @default 3
   */
  readonly maxReasonsPerServer?: number;
}

/**
 * One line saying why no server can run a prompt, server by server in the order given:
 * "gpu-2: no node class IPAdapterApply; gpu-3: missing model sdxl.safetensors (...)". Long lists are cut
 * so the line stays readable; the full reasons stay in the verdicts.
 */
export function explainNoServer(results: readonly ServerVerdict[], options: ExplainOptions = {}): string {
  if (results.length === 0) return 'no servers are configured';
  const max = Math.max(1, options.maxReasonsPerServer ?? 3);
  return results
    .map(({ server, reasons }) => {
      if (reasons.length === 0) return `${server}: no reason given`;
      const shown = reasons.slice(0, max).join(', ');
      const rest = reasons.length - max;
      return rest > 0 ? `${server}: ${shown} and ${rest} more` : `${server}: ${shown}`;
    })
    .join('; ');
}

/**
 * The `no_capable_server` error for a prompt no server can run; its message is {@link explainNoServer}'s
 * line and its details hold every verdict in full.
 */
export function noCapableServer(results: readonly ServerVerdict[]): RunnerError {
  return new RunnerError(
    'no_capable_server',
    `no server can run this workflow: ${explainNoServer(results)}`,
    {},
    {
      servers: results.map((r) => ({ server: r.server, reasons: [...r.reasons] })),
    },
  );
}
