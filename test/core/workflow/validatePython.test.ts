import assert from 'node:assert/strict';
import { pyEquals, pyFloatRepr, pyRepr, pyStringRepr } from '../../../src/core/workflow/validatePython';

describe('validatePython (printing and comparing as Python does)', () => {
  it('prints floats as repr() does', () => {
    assert.deepEqual(
      [0, 2, 0.1, 1e16, 1.5e-5, 0.0001, 123456.789, -2.5, 1e300, Infinity, NaN].map(pyFloatRepr),
      ['0.0', '2.0', '0.1', '1e+16', '1.5e-05', '0.0001', '123456.789', '-2.5', '1e+300', 'inf', 'nan'],
    );
  });

  it('quotes strings as repr() does', () => {
    assert.equal(pyStringRepr('plain'), "'plain'");
    assert.equal(pyStringRepr("it's"), '"it\'s"');
    assert.equal(pyStringRepr('both \' and "'), "'both \\' and \"'");
    assert.equal(pyStringRepr('a\nb\\'), "'a\\nb\\\\'");
  });

  it('prints lists and dicts as repr() does', () => {
    assert.equal(pyRepr(['a', 1, 1.5, true, null, { k: [] }]), "['a', 1, 1.5, True, None, {'k': []}]");
  });

  it('abbreviates deep values instead of overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.match(pyRepr(deep), /^\[\[\[.*\.\.\..*\]\]\]$/);
  });

  it('compares like ==: numbers and booleans by value, strings never equal numbers', () => {
    assert.deepEqual(
      [
        pyEquals(1, true),
        pyEquals(1, 1.0),
        pyEquals('1', 1),
        pyEquals(['a'], ['a']),
        pyEquals({ a: 1 }, { a: 2 }),
      ],
      [true, true, false, true, false],
    );
  });
});
