import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { promptJsonText, pythonFloat, pythonJsonDumps } from '../../../src/core/engine/pythonJson';
import { corpusDir, readmeWorkflows } from './conformanceHarness';

describe('pythonJsonDumps', () => {
  it('reproduces the prompt chunk of every reference PNG byte for byte', () => {
    const expected = join(corpusDir, 'expected');
    let checked = 0;
    for (const workflow of readdirSync(expected)) {
      for (const file of readdirSync(join(expected, workflow)).filter((f) => f.endsWith('.png'))) {
        const text = decode(readFileSync(join(expected, workflow, file))).text.prompt;
        assert.equal(promptJsonText(JSON.parse(text)), text, `${workflow}/${file}`);
        checked++;
      }
    }
    const listed = [...readmeWorkflows().values()].reduce((a, b) => a + b, 0);
    // The corpus README's 15 workflows list 99 output files between them.
    assert.equal(listed, 99);
    assert.equal(checked, listed, 'every output file the corpus README lists');
  });

  it('uses Python separators for nested values', () => {
    assert.equal(
      pythonJsonDumps({ a: [1, true, null, { b: 'c' }], d: {}, e: [] }),
      '{"a": [1, true, null, {"b": "c"}], "d": {}, "e": []}',
    );
  });

  it('escapes everything outside printable ASCII in lower-case hex', () => {
    assert.equal(
      pythonJsonDumps('"\\\n\t\u0001\u007f\u00e9\u{1f600}'),
      '"\\"\\\\\\n\\t\\u0001\\u007f\\u00e9\\ud83d\\ude00"',
    );
  });

  it('prints floats as Python repr does', () => {
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [-2.5e-10, '-2.5e-10'],
      [123456.789, '123456.789'],
    ];
    for (const [n, text] of cases) assert.equal(pythonJsonDumps(n), text, String(n));
  });

  it('prints numbers marked as floats with Python float repr', () => {
    assert.deepEqual([1, -0, 0.5, 1e16, 2.5e20].map(pythonFloat), ['1.0', '-0.0', '0.5', '1e+16', '2.5e+20']);
  });

  it('writes FLOAT inputs of the prompt as floats and other numbers as ints', () => {
    const prompt = { '1': { class_type: 'SolidMask', inputs: { value: 1, width: 8, height: 8 } } };
    assert.equal(
      promptJsonText(prompt),
      '{"1": {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": 8, "height": 8}}}',
    );
  });

  it('prints integral numbers as Python ints and non-finite ones as Python does', () => {
    assert.deepEqual(
      [1, -0, 2 ** 60, NaN, Infinity, -Infinity].map((n) => pythonJsonDumps(n)),
      ['1', '0', '1152921504606846976', 'NaN', 'Infinity', '-Infinity'],
    );
  });
});
