/** The twin's JSON merge patch against the examples of RFC 7386 (Appendix A), and its JSON equality. */
import type { JsonValue } from '../../src/core/index.js';
import { jsonEqual, mergePatch } from './merge-patch.js';

describe('mergePatch', () => {
  it.each<[JsonValue, JsonValue, JsonValue]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('GIVEN %j patched with %j THEN %j (RFC 7386 Appendix A)', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it('GIVEN an array in the patch THEN it replaces the target whole, nulls inside it included', () => {
    expect(mergePatch({ list: [{ a: 1 }, { b: 2 }] }, { list: [{ a: null }] })).toEqual({
      list: [{ a: null }],
    });
  });

  it('GIVEN any patch THEN neither argument is modified and the result shares nothing with the patch', () => {
    // GIVEN a nested target and patch
    const target = { spec: { a: 1, nested: { keep: true } }, metadata: { labels: { x: 'y' } } };
    const patch = { spec: { a: null, list: [{ deep: 1 }] }, metadata: { labels: { z: 'w' } } };
    const targetBefore = structuredClone(target);
    const patchBefore = structuredClone(patch);
    // WHEN it is applied
    const result = mergePatch(target, patch) as {
      spec: { list: Array<{ deep: number }>; nested: { keep: boolean } };
    };
    // THEN the inputs are as they were, and changing the result changes neither
    expect(result).toEqual({
      spec: { nested: { keep: true }, list: [{ deep: 1 }] },
      metadata: { labels: { x: 'y', z: 'w' } },
    });
    result.spec.list[0]!.deep = 2;
    expect(target).toEqual(targetBefore);
    expect(patch).toEqual(patchBefore);
  });

  it('GIVEN a "__proto__" key THEN it is an ordinary member, not a prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonValue;
    const result = mergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect((result as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(result)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});

describe('jsonEqual', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal scalars', 'a', 'a', true],
    ['different scalars', 1, '1', false],
    ['null and an object', null, {}, false],
    ['key order does not matter', { a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    ['a missing key', { a: 1 }, { a: 1, b: 2 }, false],
    ['an undefined member is not an absent one', { a: undefined }, { b: undefined }, false],
    ['array order matters', [1, 2], [2, 1], false],
    ['an array is not an object with indexes', [1], { 0: 1 }, false],
    ['a different nested value', { a: { b: [1] } }, { a: { b: [2] } }, false],
  ])('GIVEN %s', (_name, a, b, equal) => {
    expect(jsonEqual(a, b)).toBe(equal);
    expect(jsonEqual(b, a)).toBe(equal);
  });

  it('GIVEN a structuredClone (made in another realm under jest) THEN it equals the original', () => {
    const original = { spec: { list: [{ a: 1 }] } };
    expect(jsonEqual(original, structuredClone(original))).toBe(true);
  });
});
