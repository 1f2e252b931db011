/**
 * JSON text as Python's `json.dumps` writes it with its defaults (`ensure_ascii=True`, separators
 * `", "` and `": "`). ComfyUI stores the prompt in saved PNGs this way, so matching it keeps our files'
 * metadata readable by the same tools and byte-comparable with a server's.
 */
import type { ApiPrompt } from '../workflow/types';
import { engineDefinition } from './defineNode';

/**
 * The `prompt` text chunk as ComfyUI 0.8.0 writes it. Its validation stores `float(value)` back into
 * the prompt for FLOAT inputs, so a FLOAT constant posted as `1` is written as `1.0`.
 */
export function promptJsonText(prompt: ApiPrompt): string {
  return pythonJsonDumps(
    prompt,
    (path) => path.length === 3 && path[1] === 'inputs' && isFloatInput(prompt[path[0]]?.class_type, path[2]),
  );
}

function isFloatInput(classType: string | undefined, name: string): boolean {
  try {
    const { required, optional } = engineDefinition(classType ?? '').input;
    return (required?.[name] ?? optional?.[name])?.[0] === 'FLOAT';
  } catch {
    // A class the engine does not define: nothing is known about its inputs.
    return false;
  }
}

/**
 * Tells whether the number at `path` (the keys leading to it) was a Python float. JavaScript cannot tell
 * `1` from `1.0`, so without this every integral number is printed as an int.
 */
export type FloatAt = (path: readonly string[]) => boolean;

/** Serialises `value` like Python's `json.dumps(value)`. */
export function pythonJsonDumps(value: unknown, floatAt?: FloatAt, path: readonly string[] = []): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return floatAt?.(path) ? pythonFloat(value) : pythonNumber(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return pythonString(value);
    case 'object':
      return Array.isArray(value)
        ? pythonArray(value, floatAt, path)
        : pythonObject(value as Record<string, unknown>, floatAt, path);
    default:
      // Functions and symbols have no JSON form; JSON.stringify drops them too.
      return 'null';
  }
}

function pythonArray(
  items: readonly unknown[],
  floatAt: FloatAt | undefined,
  path: readonly string[],
): string {
  return `[${items.map((v, i) => pythonJsonDumps(v, floatAt, [...path, String(i)])).join(', ')}]`;
}

function pythonObject(
  obj: Record<string, unknown>,
  floatAt: FloatAt | undefined,
  path: readonly string[],
): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    // An absent value has no Python counterpart; skip it as JSON.stringify does.
    if (v === undefined) continue;
    parts.push(`${pythonString(k)}: ${pythonJsonDumps(v, floatAt, [...path, k])}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * A number as Python prints it. An integral value is printed as a Python int, because that is what a
 * JSON integer becomes in Python and a JavaScript number cannot tell `2` from `2.0`. Other values use
 * Python's float repr: the same shortest digits as JavaScript, but exponent notation below 1e-4 with a
 * two-digit exponent (`1e-05`), where JavaScript switches only below 1e-6.
 */
export function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Number.isInteger(n)) return BigInt(n).toString();
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4) return String(n);
  const digits = String(Math.abs(exp)).padStart(2, '0');
  return `${mantissa}e-${digits}`;
}

/** A number as Python prints a float: integral values keep `.0`, and from 1e16 up use an exponent. */
export function pythonFloat(n: number): string {
  if (!Number.isFinite(n) || !Number.isInteger(n)) return pythonNumber(n);
  if (Object.is(n, -0)) return '-0.0';
  if (Math.abs(n) < 1e16) return `${BigInt(n).toString()}.0`;
  const [mantissa, exp] = n.toExponential().split('e');
  return `${mantissa}e+${exp.replace('+', '').padStart(2, '0')}`;
}

/** A string literal with Python's ASCII-only escaping: `\uXXXX` in lower-case hex for anything else. */
export function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) out += simple;
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};
