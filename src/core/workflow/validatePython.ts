/**
 * How Python prints and compares JSON values, so that our validation messages read exactly like the
 * ComfyUI server's (`'no-such-method' not in ['nearest-exact', 'bilinear']`, `Value 0.0 smaller than min
 * of 0.1`). JSON numbers lose the int/float distinction in JavaScript; integral numbers print as Python
 * ints unless the caller knows the value is a float.
 */

/** Values nested deeper than this print as `...`: messages stay short and deep garbage cannot overflow. */
const MAX_REPR_DEPTH = 12;
/** Containers print at most this many items before `...`. */
const MAX_REPR_ITEMS = 50;

/** Python's `repr()` of a float: shortest round-trip digits, exponent outside 1e-4 <= |x| < 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exp < 0) text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length > exp + 1) text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else text = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return negative ? `-${text}` : text;
}

/** A JSON number as Python prints it: integral values as ints (when exact), others as floats. */
export function pyNumberRepr(x: number): string {
  return Number.isSafeInteger(x) ? String(x) : pyFloatRepr(x);
}

/** Python's `repr()` of a string: single quotes unless the text has one and no double quote. */
export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a JSON value (lists and dicts abbreviated when huge or deep). */
export function pyRepr(value: unknown, depth = 0): string {
  if (typeof value === 'string') return pyStringRepr(value);
  if (typeof value !== 'object' || value === null) return pyScalarStr(value);
  if (depth >= MAX_REPR_DEPTH) return '...';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_REPR_ITEMS).map((v) => pyRepr(v, depth + 1));
    if (value.length > MAX_REPR_ITEMS) items.push('...');
    return `[${items.join(', ')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const items = entries
    .slice(0, MAX_REPR_ITEMS)
    .map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v, depth + 1)}`);
  if (entries.length > MAX_REPR_ITEMS) items.push('...');
  return `{${items.join(', ')}}`;
}

/** Python's `str()` of a JSON value: strings unquoted, everything else as `repr()`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function pyScalarStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumberRepr(value);
  return String(value);
}

/** Python's type name of a JSON value, as conversion errors print it. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

/**
 * Python's `==` between JSON values, which combo membership (`val in options`) relies on: `True == 1`,
 * `1 == 1.0`, but `'1' != 1`. Recursion is bounded by the shallower side, and options are shallow.
 */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => pyEquals(v, b[i]));
  }
  const ka = Object.keys(a);
  const rb = b as Record<string, unknown>;
  return (
    ka.length === Object.keys(rb).length &&
    ka.every(
      (k) =>
        Object.prototype.hasOwnProperty.call(rb, k) && pyEquals((a as Record<string, unknown>)[k], rb[k]),
    )
  );
}

function isNumeric(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}
