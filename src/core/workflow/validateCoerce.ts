/**
 * Widget value conversion as ComfyUI's `validate_inputs` does it before checking ranges: Python's
 * `int()`, `float()`, `str()` and `bool()` applied to the JSON value, after unwrapping `{"__value__": x}`.
 * The conversions accept and reject what Python does (`int("42")`, `int(3.9) == 3`, `bool("false")` is
 * true) and fail with Python's own error text, which the server puts in `invalid_input_type` details.
 */
import { isRecord } from './nodeDefs';
import { pyRepr, pyStr, pyTypeName } from './validatePython';

/** The outcome of converting one value: the converted value, or Python's error message. */
export type Coerced = { ok: true; value: unknown } | { ok: false; error: string };

/** Python's integer literal grammar for `int(str)` in base 10 (whitespace stripped, `_` between digits). */
const INT_LITERAL = /^[+-]?\d+(?:_\d+)*$/;
/** Python's float literal grammar for `float(str)`, including `inf`, `infinity` and `nan`. */
const FLOAT_LITERAL =
  /^[+-]?(?:(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?|inf(?:inity)?|nan)$/i;

/** `{"__value__": x}` becomes `x`: the wrapper lets a list be a value rather than a link. */
export function unwrapValue(value: unknown): unknown {
  return isRecord(value) && Object.prototype.hasOwnProperty.call(value, '__value__')
    ? value.__value__
    : value;
}

/** Converts `value` for an input of `type` ("INT", "FLOAT", "STRING", "BOOLEAN"); other types pass through. */
export function coerceValue(value: unknown, type: unknown): Coerced {
  switch (type) {
    case 'INT':
      return toPyInt(value);
    case 'FLOAT':
      return toPyFloat(value);
    case 'STRING':
      return { ok: true, value: pyStr(value) };
    case 'BOOLEAN':
      return { ok: true, value: pyTruthy(value) };
    default:
      return { ok: true, value };
  }
}

/** Python's `int(value)`. */
export function toPyInt(value: unknown): Coerced {
  if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { ok: false, error: 'cannot convert float NaN to integer' };
    if (!Number.isFinite(value)) return { ok: false, error: 'cannot convert float infinity to integer' };
    return { ok: true, value: Math.trunc(value) + 0 };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (INT_LITERAL.test(text)) return { ok: true, value: Number(text.replace(/_/g, '')) };
    return { ok: false, error: `invalid literal for int() with base 10: ${pyRepr(value)}` };
  }
  return {
    ok: false,
    error: `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`,
  };
}

/** Python's `float(value)`. */
export function toPyFloat(value: unknown): Coerced {
  if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
  if (typeof value === 'number') return { ok: true, value };
  if (typeof value === 'string') {
    const text = value.trim();
    if (FLOAT_LITERAL.test(text)) return { ok: true, value: parseFloatLiteral(text) };
    return { ok: false, error: `could not convert string to float: ${pyRepr(value)}` };
  }
  return {
    ok: false,
    error: `float() argument must be a string or a real number, not '${pyTypeName(value)}'`,
  };
}

function parseFloatLiteral(text: string): number {
  const lower = text.toLowerCase().replace(/_/g, '');
  const unsigned = lower.replace(/^[+-]/, '');
  const sign = lower.startsWith('-') ? -1 : 1;
  if (unsigned.startsWith('inf')) return sign * Infinity;
  if (unsigned === 'nan') return NaN;
  return Number(lower);
}

/** Python's `bool(value)`: false only for `None`, `False`, zero, and empty strings, lists and dicts. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}
