/** Tests on JSON values: which are objects, and when two are equal. */
import { asJsonObject, isRecord, jsonEqual } from '../../src/core/json/index.js';

describe('isRecord', () => {
  it.each<[string, unknown, boolean]>([
    ['an object', { a: 1 }, true],
    ['an empty object', {}, true],
    ['an array', [1], false],
    ['null', null, false],
    ['a string', 'a', false],
    ['undefined', undefined, false],
  ])('GIVEN %s THEN %s', (_name, value, expected) => {
    expect(isRecord(value)).toBe(expected);
    expect(asJsonObject(value)).toBe(expected ? value : undefined);
  });
});

describe('jsonEqual', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['nested, equal', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
    ['keys in another order', { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ['a key set to undefined counts as absent', { a: 1 }, { a: 1, b: undefined }, true],
    ['... on either side', { a: 1, b: undefined }, { a: 1 }, true],
    ['undefined against null is a difference', { a: undefined }, { a: null }, false],
    ['a key only on one side', { a: 1 }, { a: 1, b: 2 }, false],
    ['the same number of keys, not the same keys', { a: 1, b: undefined }, { c: 1 }, false],
    ['a key the other has only by inheritance', { constructor: Object }, { other: 1 }, false],
    ['array order counts', [1, 2], [2, 1], false],
    ['arrays of other lengths', [1], [1, 1], false],
    ['an object is not an array', {}, [], false],
    ['... nor an array an object', [], {}, false],
    ['null is not an object', null, {}, false],
    ['no conversion between types', '1', 1, false],
    ['the same scalar', 'x', 'x', true],
  ])('GIVEN %s THEN %s', (_name, a, b, expected) => {
    expect(jsonEqual(a, b)).toBe(expected);
    expect(jsonEqual(b, a)).toBe(expected);
  });

  it('THEN objects made in another realm (structuredClone) equal literals', () => {
    const literal = { a: [{ b: 1 }] };

    expect(jsonEqual(structuredClone(literal), literal)).toBe(true);
  });
});
