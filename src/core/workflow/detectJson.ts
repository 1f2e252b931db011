/**
 * JSON parsing that says where a syntax error is. `JSON.parse` messages differ between Node versions and
 * often give no position, so on failure a small scanner walks the text (iteratively: deep nesting is
 * fine) and names the line and column of the first character that cannot belong to valid JSON.
 */

/** A JSON syntax error, with 1-based line and column (UTF-16 units, as editors count them). */
export interface JsonSyntaxError {
  message: string;
  line: number;
  column: number;
  /** 0-based offset into the text. */
  offset: number;
}

/** The outcome of {@link parseJson}. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

/** Parses `text` (a leading byte order mark is ignored) or says where and why it is not JSON. */
export function parseJson(text: string): JsonParse {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    const found = findSyntaxError(body) ?? { offset: 0, message: 'not valid JSON' };
    return { ok: false, error: { ...found, ...lineAndColumn(body, found.offset) } };
  }
}

/** 1-based line and column of `offset`; `\r\n`, `\n` and a lone `\r` each end a line. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

type Expect = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'commaOrClose' | 'end';

interface Found {
  offset: number;
  message: string;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function findSyntaxError(text: string): Found | undefined {
  const stack: ('[' | '{')[] = [];
  let expect: Expect = 'value';
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.has(text[i])) i++;
    if (i >= text.length) {
      if (expect === 'end') return undefined;
      const close = stack[stack.length - 1] === '[' ? ']' : '}';
      return { offset: i, message: `unexpected end of input, expected ${wanted(expect, close)}` };
    }
    const step = advance(text, i, expect, stack);
    if ('message' in step) return step;
    i = step.next;
    expect = step.expect;
  }
}

type Step = { next: number; expect: Expect } | Found;

function advance(text: string, i: number, expect: Expect, stack: ('[' | '{')[]): Step {
  const c = text[i];
  const close = stack[stack.length - 1] === '[' ? ']' : '}';
  const afterValue = (): Expect => (stack.length === 0 ? 'end' : 'commaOrClose');
  if ((expect === 'valueOrClose' && c === ']') || (expect === 'keyOrClose' && c === '}')) {
    stack.pop();
    return { next: i + 1, expect: afterValue() };
  }
  if (expect === 'commaOrClose') {
    if (c === ',') return { next: i + 1, expect: stack[stack.length - 1] === '[' ? 'value' : 'key' };
    if (c === close) {
      stack.pop();
      return { next: i + 1, expect: afterValue() };
    }
  } else if (expect === 'colon') {
    if (c === ':') return { next: i + 1, expect: 'value' };
  } else if (expect === 'key' || expect === 'keyOrClose') {
    if (c === '"') return scanned(scanString(text, i), 'colon');
  } else if (expect === 'value' || expect === 'valueOrClose') {
    if (c === '[' || c === '{') {
      stack.push(c);
      return { next: i + 1, expect: c === '[' ? 'valueOrClose' : 'keyOrClose' };
    }
    const end = scanScalar(text, i);
    if (typeof end === 'number') return { next: end, expect: afterValue() };
    if (end) return end;
  }
  return { offset: i, message: unexpected(c, expect, close) };
}

function scanned(end: number | Found, expect: Expect): Step {
  return typeof end === 'number' ? { next: end, expect } : end;
}

/** The end of the string, number or literal starting at `i`; undefined when nothing of the kind starts there. */
function scanScalar(text: string, i: number): number | Found | undefined {
  if (text[i] === '"') return scanString(text, i);
  const literal = LITERALS.find((l) => text.startsWith(l, i));
  if (literal) return i + literal.length;
  NUMBER.lastIndex = i;
  const number = NUMBER.exec(text);
  if (number && number[0].length > 0) return i + number[0].length;
  if (text[i] === '-') return { offset: i + 1, message: 'a number needs digits after "-"' };
  return undefined;
}

/** The offset just after the string that starts with the quote at `start`. */
function scanString(text: string, start: number): number | Found {
  let i = start + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20)
      return { offset: i, message: 'control character (such as a line break) inside a string' };
    if (code === 0x5c) {
      const escape = text[i + 1];
      if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
      else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 2;
      else return { offset: i, message: 'invalid escape sequence in a string' };
    } else {
      i++;
    }
  }
  return { offset: start, message: 'unterminated string' };
}

function unexpected(c: string, expect: Expect, close: string): string {
  const shown = /^[\x21-\x7e]$/.test(c)
    ? `'${c}'`
    : `character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  if (expect === 'end') return `unexpected ${shown} after the end of the JSON value`;
  const hint =
    (expect === 'key' && c === '}') || (expect === 'value' && c === ']')
      ? ' (trailing comma?)'
      : c === "'"
        ? ' (JSON strings need double quotes)'
        : '';
  return `unexpected ${shown}, expected ${wanted(expect, close)}${hint}`;
}

function wanted(expect: Expect, close = '}'): string {
  switch (expect) {
    case 'value':
      return 'a value';
    case 'valueOrClose':
      return "a value or ']'";
    case 'key':
      return 'a property name in double quotes';
    case 'keyOrClose':
      return "a property name in double quotes or '}'";
    case 'colon':
      return "':'";
    case 'commaOrClose':
      return `',' or '${close}'`;
    case 'end':
      return 'the end of the input';
  }
}
