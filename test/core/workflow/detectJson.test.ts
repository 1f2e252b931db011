import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findSyntaxError, lineAndColumn, parseJson } from '../../../src/core/workflow/detectJson';

/** The error of parsing `text`, which must fail. */
function errorOf(text: string) {
  const parsed = parseJson(text);
  assert.equal(parsed.ok, false);
  return (parsed as Extract<typeof parsed, { ok: false }>).error;
}

describe('detectJson', () => {
  it('parses valid JSON, ignoring a byte order mark', () => {
    assert.deepEqual(parseJson('\ufeff{"a": [1]}'), { ok: true, value: { a: [1] } });
  });

  it('locates a trailing comma on its line and column and names it', () => {
    const error = errorOf('{\n  "a": 1,\n}');
    assert.deepEqual([error.line, error.column], [3, 1]);
    assert.match(error.message, /trailing comma/);
  });

  it('locates a missing comma between properties', () => {
    const error = errorOf('{"a": 1\n "b": 2}');
    assert.deepEqual([error.line, error.column], [2, 2]);
    assert.match(error.message, /expected ',' or '}'/);
  });

  it('points at the opening quote of an unterminated string', () => {
    const error = errorOf('{"a": "abc');
    assert.deepEqual([error.line, error.column, error.message], [1, 7, 'unterminated string']);
  });

  it('reports single-quoted strings, a common hand-editing slip', () => {
    assert.match(errorOf("{'a': 1}").message, /double quotes/);
  });

  it('reports truncated input at its end', () => {
    const error = errorOf('{"a": [1, 2');
    assert.deepEqual([error.line, error.column], [1, 12]);
    assert.match(error.message, /unexpected end of input/);
  });

  it('reports text after the value', () => {
    assert.match(errorOf('{} x').message, /after the end of the JSON value/);
  });

  it('counts CRLF and LF line endings alike', () => {
    assert.deepEqual(lineAndColumn('a\r\nb\nc', 5), { line: 3, column: 1 });
  });

  it('scans deeply nested input without recursion', () => {
    const text = '['.repeat(200_000) + ']'.repeat(199_999);
    assert.match(findSyntaxError(text)?.message ?? '', /unexpected end of input/);
  });

  it('agrees with JSON.parse on what is valid', () => {
    const texts = fc.oneof(
      fc.json(),
      fc.string(),
      fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        return (findSyntaxError(text) === undefined) === valid;
      }),
      { numRuns: 2000 },
    );
  });
});
