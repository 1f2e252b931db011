import assert from 'node:assert/strict';
import {
  coerceValue,
  pyTruthy,
  toPyFloat,
  toPyInt,
  unwrapValue,
} from '../../../src/core/workflow/validateCoerce';

describe('validateCoerce (Python conversions)', () => {
  it('converts to int like int(): truncating floats, parsing digit strings, booleans as 0 and 1', () => {
    assert.deepEqual(
      [3.9, -3.9, ' 42 ', '+7', '1_000', true, false].map((v) => toPyInt(v)),
      [3, -3, 42, 7, 1000, 1, 0].map((value) => ({ ok: true, value })),
    );
  });

  it("rejects what int() rejects, with Python's messages", () => {
    assert.deepEqual(toPyInt('4.2'), { ok: false, error: "invalid literal for int() with base 10: '4.2'" });
    assert.deepEqual(toPyInt(null), {
      ok: false,
      error: "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    });
    assert.equal(toPyInt([1]).ok, false);
    assert.equal(toPyInt('1__0').ok, false);
  });

  it('converts to float like float(), including exponents, inf and nan', () => {
    assert.deepEqual(toPyFloat('1e3'), { ok: true, value: 1000 });
    assert.deepEqual(toPyFloat('.5'), { ok: true, value: 0.5 });
    assert.deepEqual(toPyFloat('-Infinity'), { ok: true, value: -Infinity });
    assert.ok(Number.isNaN((toPyFloat('nan') as { value: number }).value));
  });

  it("rejects what float() rejects, with Python's messages", () => {
    assert.deepEqual(toPyFloat('abc'), { ok: false, error: "could not convert string to float: 'abc'" });
    assert.deepEqual(toPyFloat({}), {
      ok: false,
      error: "float() argument must be a string or a real number, not 'dict'",
    });
    assert.equal(toPyFloat('e5').ok, false);
    assert.equal(toPyFloat('.').ok, false);
  });

  it('converts to str like str(): Python spellings of None, booleans and containers', () => {
    assert.deepEqual(
      [null, true, 5, 0.5, ['a', 1], { k: null }].map((v) => coerceValue(v, 'STRING')),
      ['None', 'True', '5', '0.5', "['a', 1]", "{'k': None}"].map((value) => ({ ok: true, value })),
    );
  });

  it('converts to bool like bool(): only empty and zero values are false, "false" is true', () => {
    assert.deepEqual(
      [0, '', null, [], {}, 'false', 0.1, [0], { a: 0 }].map((v) => pyTruthy(v)),
      [false, false, false, false, false, true, true, true, true],
    );
  });

  it('leaves values of other types as they are', () => {
    const value = { anything: 1 };
    assert.deepEqual(coerceValue(value, 'IMAGE'), { ok: true, value });
  });

  it('unwraps {"__value__": x} and nothing else', () => {
    assert.deepEqual(unwrapValue({ __value__: [1, 2] }), [1, 2]);
    assert.deepEqual(unwrapValue({ value: 1 }), { value: 1 });
  });
});
