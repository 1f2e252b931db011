/**
 * Maps an editor node's `widgets_values` to input names, the way the ComfyUI frontend lays out widgets
 * from a node definition (../shared/docs/comfyui-protocol.md section 5.3). The frontend saves widget
 * values by position only, so the layout must be rebuilt exactly: one value widget per widget input in
 * definition order, the hidden control widgets that follow some of them, and the UI-only widgets that
 * extensions append at the end. A layout that does not account for every saved value is refused rather
 * than guessed, because one missing position shifts every later value onto the wrong input.
 */
import type { EditorNode, InputSpec, NodeDef } from './types';

/** What one saved position holds; only `value` positions reach the API prompt. */
export type WidgetSlotKind =
  /** The widget of an input: its value is the input's value. */
  | 'value'
  /** The control-after-generate mode ("fixed", "randomize", ...) that follows a seed-like widget. */
  | 'control'
  /** The control filter list string that follows a COMBO's control widget. */
  | 'filter'
  /** Zero to two UI-only values (upload button, audio player) that extensions append. */
  | 'uiTail';

/** One position (or, for `uiTail`, a run of positions) in a node's `widgets_values`. */
export interface WidgetSlot {
  kind: WidgetSlotKind;
  /** The input name for `value` slots; the owning input's name for `control` and `filter`. */
  name: string;
  /** The input's spec, for `value` slots. */
  spec?: InputSpec;
}

/** The result of mapping one node's widget values: the values by input name, or why they do not fit. */
export type WidgetMapping =
  | {
      ok: true;
      values: Map<string, unknown>;
      /** The saved control-after-generate value of each input that has one, by input name. */
      controls: Map<string, unknown>;
      warnings: string[];
    }
  | { ok: false; problem: string };

/** Widget types the core frontend builds a widget for; every other type is a plain socket. */
const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'BOOLEAN', 'STRING', 'COMBO', 'MARKDOWN']);

/** Upload flags whose COMBO input gets the frontend's IMAGEUPLOAD button. */
const MEDIA_UPLOAD_FLAGS = ['image_upload', 'video_upload', 'animated_image_upload'];

/**
 * Core nodes to which the frontend's audio extension adds an `audioUI` player widget (and, for
 * LoadAudio, an upload button). Whether those were saved depends on the frontend version.
 */
const AUDIO_UI_NODES = new Set([
  'LoadAudio',
  'SaveAudio',
  'PreviewAudio',
  'SaveAudioMP3',
  'SaveAudioOpus',
  'SaveAudioAdvanced',
]);

/** The most UI-only values a `uiTail` slot may absorb (audio player plus upload button). */
const MAX_UI_TAIL = 2;

/** Options of {@link widgetLayout}. */
export interface WidgetLayoutOptions {
  /**
   * Give `forceInput` inputs a widget position, as frontends before widget sockets did.
   * @default false
   */
  forceInputHasWidget?: boolean;
}

/** The type name of a spec, with both COMBO spellings (a list of choices, or "COMBO") as "COMBO". */
export function specType(spec: InputSpec): string {
  return Array.isArray(spec[0]) ? 'COMBO' : spec[0];
}

/** True when an input with this spec is shown as a widget (and so has a saved position). */
export function makesWidget(spec: InputSpec, options: WidgetLayoutOptions = {}): boolean {
  if (spec[1]?.forceInput === true && !options.forceInputHasWidget) return false;
  return WIDGET_TYPES.has(specType(spec));
}

/**
 * The V3 dynamic input types whose widgets and sockets depend on values the frontend computes at
 * run time; nodes using them cannot be laid out from the definition alone.
 */
export function dynamicInputOf(def: NodeDef): string | undefined {
  for (const [name, spec] of allInputs(def)) {
    const type = specType(spec);
    if (/^COMFY_\w+_V3$/.test(type) && type !== 'COMFY_MATCHTYPE_V3') return name;
  }
  return undefined;
}

/**
 * The widget positions of a node of this definition, in the order the frontend saves them: inputs in
 * `input_order` (required, then optional, then anything not listed), or in dict order without it.
 */
export function widgetLayout(def: NodeDef, options: WidgetLayoutOptions = {}): WidgetSlot[] {
  const slots: WidgetSlot[] = [];
  for (const entry of orderedInputs(def)) {
    if (entry.spec === undefined) {
      slots.push({ kind: 'uiTail', name: entry.name });
      continue;
    }
    if (!makesWidget(entry.spec, options)) continue;
    slots.push({ kind: 'value', name: entry.name, spec: entry.spec });
    for (let i = 0; i < controlCount(entry.name, entry.spec); i++) {
      slots.push({ kind: i === 0 ? 'control' : 'filter', name: entry.name });
    }
  }
  return slots;
}

/**
 * True when an input is a seed: an INT whose widget the frontend follows with a control-after-generate
 * value (`control_after_generate` set, or, when the flag is absent, the name seed or noise_seed).
 */
export function hasSeedControl(name: string, spec: InputSpec): boolean {
  return specType(spec) === 'INT' && controlCount(name, spec) > 0;
}

/**
 * How many hidden values follow an input's widget: INT (and FLOAT) with `control_after_generate`, or an
 * INT named seed/noise_seed when the flag is absent, get a control mode; a COMBO with the flag gets a
 * control mode and a filter list.
 */
function controlCount(name: string, spec: InputSpec): number {
  const flag = spec[1]?.control_after_generate;
  switch (specType(spec)) {
    case 'INT':
      return (flag ?? (name === 'seed' || name === 'noise_seed')) ? 1 : 0;
    case 'FLOAT':
      return flag ? 1 : 0;
    case 'COMBO':
      return flag ? 2 : 0;
    default:
      return 0;
  }
}

interface OrderedInput {
  name: string;
  /** Undefined for the UI-only widgets extensions add (upload button, audio player). */
  spec?: InputSpec;
  optional: boolean;
}

function allInputs(def: NodeDef): [string, InputSpec][] {
  return [...Object.entries(def.input?.required ?? {}), ...Object.entries(def.input?.optional ?? {})];
}

/**
 * The inputs in the frontend's widget order. The UI-only widgets are added to `required` by frontend
 * extensions after the server sent the definition, so they are never in `input_order` and land after
 * every listed input; without `input_order` they sit at the end of the required inputs.
 */
function orderedInputs(def: NodeDef): OrderedInput[] {
  const required = Object.entries(def.input?.required ?? {}).map(([name, spec]) => ({
    name,
    spec,
    optional: false,
  }));
  const optional = Object.entries(def.input?.optional ?? {}).map(([name, spec]) => ({
    name,
    spec,
    optional: true,
  }));
  const uiOnly: OrderedInput[] = hasUiOnlyWidgets(def) ? [{ name: 'upload', optional: false }] : [];
  const all = [...required, ...uiOnly, ...optional];
  if (!def.input_order) return all;
  const pick = (names: string[] | undefined, optionalGroup: boolean): OrderedInput[] =>
    (names ?? []).flatMap((n) => all.filter((e) => e.name === n && e.optional === optionalGroup && e.spec));
  const listed = [...pick(def.input_order.required, false), ...pick(def.input_order.optional, true)];
  return [...listed, ...all.filter((e) => !listed.includes(e))];
}

function hasUiOnlyWidgets(def: NodeDef): boolean {
  if (AUDIO_UI_NODES.has(def.name)) return true;
  return Object.values(def.input?.required ?? {}).some(
    (spec) =>
      specType(spec) === 'COMBO' &&
      (MEDIA_UPLOAD_FLAGS.some((flag) => spec[1]?.[flag] === true) || spec[1]?.audio_upload === true),
  );
}

/**
 * Maps a node's saved widget values to input names. Array values come back as they were saved;
 * wrapping them for the API is the caller's job. Refuses (ok: false) when the saved count does not fit
 * the layout; retries with the older `forceInput` layout before giving up.
 */
export function mapWidgetValues(node: EditorNode, def: NodeDef): WidgetMapping {
  const saved = node.widgets_values;
  const layout = widgetLayout(def);
  if (saved === undefined || saved === null) return fromDefaults(layout);
  if (!Array.isArray(saved)) return fromNamedValues(saved, layout);
  const first = fromPositions(saved, layout);
  if (first.ok) return first;
  const legacy = widgetLayout(def, { forceInputHasWidget: true });
  if (legacy.length !== layout.length) {
    const second = fromPositions(saved, legacy);
    if (second.ok) {
      second.warnings.push('its widget values follow the older layout where forceInput inputs kept a widget');
      return second;
    }
  }
  return first;
}

function fromPositions(saved: unknown[], layout: WidgetSlot[]): WidgetMapping {
  const fixed = layout.filter((s) => s.kind !== 'uiTail').length;
  const hasTail = layout.some((s) => s.kind === 'uiTail');
  const extra = saved.length - fixed;
  if (extra < 0 || extra > (hasTail ? MAX_UI_TAIL : 0)) {
    return { ok: false, problem: countProblem(saved.length, layout, fixed, hasTail) };
  }
  const values = new Map<string, unknown>();
  const controls = new Map<string, unknown>();
  let pos = 0;
  for (const slot of layout) {
    if (slot.kind === 'uiTail') pos += extra;
    else {
      if (slot.kind === 'value') values.set(slot.name, saved[pos]);
      if (slot.kind === 'control') controls.set(slot.name, saved[pos]);
      pos += 1;
    }
  }
  return { ok: true, values, controls, warnings: [] };
}

function countProblem(count: number, layout: WidgetSlot[], fixed: number, hasTail: boolean): string {
  const names = layout.filter((s) => s.kind === 'value').map((s) => s.name);
  const expected = hasTail ? `${fixed} to ${fixed + MAX_UI_TAIL}` : String(fixed);
  return (
    `it has ${count} saved widget values but its definition gives ${expected} ` +
    `(widgets: ${names.length > 0 ? names.join(', ') : 'none'}, plus hidden control values); ` +
    'a custom frontend widget or a different node version is likely'
  );
}

/** Some custom nodes (VHS) save widget values as a name -> value object; hidden values have no name. */
function fromNamedValues(saved: Record<string, unknown>, layout: WidgetSlot[]): WidgetMapping {
  const values = new Map<string, unknown>();
  const missing: string[] = [];
  for (const slot of layout) {
    if (slot.kind !== 'value') continue;
    if (Object.hasOwn(saved, slot.name)) values.set(slot.name, saved[slot.name]);
    else missing.push(slot.name);
  }
  const warnings =
    missing.length > 0 ? [`its saved widget values have no value for ${missing.join(', ')}`] : [];
  return { ok: true, values, controls: new Map(), warnings };
}

/** A node saved without `widgets_values` shows its definition defaults, so those are what it means. */
function fromDefaults(layout: WidgetSlot[]): WidgetMapping {
  const values = new Map<string, unknown>();
  for (const slot of layout) {
    if (slot.kind === 'value' && slot.spec) values.set(slot.name, widgetDefault(slot.spec));
  }
  const warnings =
    values.size > 0 ? ['it was saved without widget values; the definition defaults are used'] : [];
  return { ok: true, values, controls: new Map(), warnings };
}

/** The value a fresh widget starts with, as the frontend's widget constructors choose it. */
export function widgetDefault(spec: InputSpec): unknown {
  const options = spec[1] ?? {};
  if (options.default !== undefined) return options.default;
  switch (specType(spec)) {
    case 'COMBO':
      return (Array.isArray(spec[0]) ? spec[0] : (options.options ?? []))[0];
    case 'INT':
    case 'FLOAT':
      return options.min ?? 0;
    case 'BOOLEAN':
      return false;
    default:
      return '';
  }
}
