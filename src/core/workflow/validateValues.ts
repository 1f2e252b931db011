/**
 * Checks of one converted widget value, with ComfyUI's exact error shapes and texts: the `min`/`max`
 * range of numbers and membership in a COMBO's choices (both spellings: the legacy list-as-type and
 * `"COMBO"` with `options`).
 */
import type { FinalInput } from './nodeDefs';
import type { Suggester } from './suggest';
import { pyEquals, pyFloatRepr, pyNumberRepr, pyRepr } from './validatePython';
import type { ComfyErrorItem } from './types';

/** ComfyUI leaves `input_config` out (null) for lists longer than this, such as model folders. */
const MAX_LISTED_CHOICES = 20;

/**
 * Option keys that make a COMBO an upload widget. ComfyUI's loaders with such inputs (LoadImage,
 * LoadImageMask, LoadAudio, LoadVideo...) validate the file themselves (`VALIDATE_INPUTS`), which makes the
 * server skip the list check: a file uploaded after `/object_info` was fetched, or an annotated path such
 * as "x.png [output]", is fine there although it is not listed.
 */
const UPLOAD_KEYS = ['image_upload', 'video_upload', 'audio_upload', 'file_upload'];

/**
 * An error item about one input, with ComfyUI's `extra_info` fields `input_name` and `input_config`
 * (`[type, options]`) followed by `extra`.
 */
export function inputError(
  type: string,
  message: string,
  details: string,
  input: FinalInput,
  extra: Record<string, unknown> = {},
): ComfyErrorItem {
  return {
    type,
    message,
    details,
    extra_info: { input_name: input.name, input_config: [input.type, input.options], ...extra },
  };
}

/** `value_smaller_than_min` or `value_bigger_than_max` when a number is outside its input's range. */
export function checkRange(input: FinalInput, value: unknown): ComfyErrorItem | undefined {
  if (typeof value !== 'number') return undefined;
  const { min, max } = input.options;
  // After float() a FLOAT value is a Python float and prints as one ("0.0"); INT values print as ints.
  const show = input.type === 'FLOAT' ? pyFloatRepr : pyNumberRepr;
  if (typeof min === 'number' && value < min) {
    return inputError(
      'value_smaller_than_min',
      `Value ${show(value)} smaller than min of ${show(min)}`,
      input.name,
      input,
      {
        received_value: value,
      },
    );
  }
  if (typeof max === 'number' && value > max) {
    return inputError(
      'value_bigger_than_max',
      `Value ${show(value)} bigger than max of ${show(max)}`,
      input.name,
      input,
      {
        received_value: value,
      },
    );
  }
  return undefined;
}

/**
 * `value_not_in_list` when a COMBO value is not one of its choices. Remote combos (choices fetched by the
 * frontend) and upload combos are not checked, like the server. A close choice goes into
 * `extra_info.suggestion`.
 */
export function checkCombo(
  input: FinalInput,
  value: unknown,
  suggest: Suggester,
): ComfyErrorItem | undefined {
  const choices = comboChoices(input);
  if (!choices || UPLOAD_KEYS.some((k) => input.options[k] === true)) return undefined;
  const multiselect = input.options.multiselect === true && Array.isArray(value);
  const candidates: unknown[] = multiselect ? (value as unknown[]) : [value];
  const invalid = candidates.filter((v) => !choices.some((c) => pyEquals(v, c)));
  if (invalid.length === 0) return undefined;
  const long = choices.length > MAX_LISTED_CHOICES;
  const listed = long ? `(list of length ${choices.length})` : pyRepr(choices);
  const error: ComfyErrorItem = {
    type: 'value_not_in_list',
    message: 'Value not in list',
    details: `${input.name}: ${invalid.map((v) => pyRepr(v)).join(', ')} not in ${listed}`,
    extra_info: {
      input_name: input.name,
      input_config: long ? null : [input.type, input.options],
      received_value: value,
    },
  };
  const first = invalid[0];
  const suggestion = typeof first === 'string' ? suggest(first, choices) : undefined;
  if (suggestion !== undefined) error.extra_info.suggestion = suggestion;
  return error;
}

function comboChoices(input: FinalInput): unknown[] | undefined {
  if (Array.isArray(input.type)) return input.type;
  if (input.type !== 'COMBO') return undefined;
  if (input.options.remote_combo || input.options.remote) return undefined;
  return Array.isArray(input.options.options) ? input.options.options : [];
}
