import { InputError } from '../../src/core/errors/index.js';
import type { JsonValue } from '../../src/core/index.js';
import { jsonPatch, mergePatch, parsePointer } from '../../src/simulator/api-server-patch.js';

describe('mergePatch (RFC 7386)', () => {
  // the examples of RFC 7386 appendix A
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
  ])('GIVEN %j patched with %j THEN %j', (target, patch, expected) => {
    const before = structuredClone(target);
    expect(mergePatch(target, patch)).toEqual(expected);
    expect(target).toEqual(before);
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

describe('jsonPatch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { list: ['x', 'y'], 'we/ird~': true } };
  it.each<[string, unknown, JsonValue]>([
    [
      'add a key',
      [{ op: 'add', path: '/metadata/labels/b', value: '2' }],
      { ...doc, metadata: { labels: { a: '1', b: '2' } } },
    ],
    [
      'append to a list',
      [{ op: 'add', path: '/spec/list/-', value: 'z' }],
      { ...doc, spec: { ...doc.spec, list: ['x', 'y', 'z'] } },
    ],
    [
      'insert into a list',
      [{ op: 'add', path: '/spec/list/0', value: 'w' }],
      { ...doc, spec: { ...doc.spec, list: ['w', 'x', 'y'] } },
    ],
    [
      'remove an item',
      [{ op: 'remove', path: '/spec/list/0' }],
      { ...doc, spec: { ...doc.spec, list: ['y'] } },
    ],
    [
      'replace',
      [{ op: 'replace', path: '/metadata/labels/a', value: '9' }],
      { ...doc, metadata: { labels: { a: '9' } } },
    ],
    ['escaped keys', [{ op: 'remove', path: '/spec/we~1ird~0' }], { ...doc, spec: { list: ['x', 'y'] } }],
    [
      'move',
      [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/b' }],
      { ...doc, metadata: { labels: { b: '1' } } },
    ],
    [
      'copy',
      [{ op: 'copy', from: '/spec/list', path: '/spec/copy' }],
      { ...doc, spec: { ...doc.spec, copy: ['x', 'y'] } },
    ],
    [
      'test then replace',
      [
        { op: 'test', path: '/spec/list', value: ['x', 'y'] },
        { op: 'replace', path: '/spec/list', value: [] },
      ],
      { ...doc, spec: { ...doc.spec, list: [] } },
    ],
    ['replace the whole document', [{ op: 'replace', path: '', value: { a: 1 } }], { a: 1 }],
  ])('WHEN %s THEN the document is patched', (_name, operations, expected) => {
    const before = structuredClone(doc);
    expect(jsonPatch(doc, operations)).toEqual(expected);
    expect(doc).toEqual(before);
  });

  it.each<[string, unknown, string, string]>([
    ['not an array', { op: 'add' }, '', 'must be an array'],
    ['missing op', [{ path: '/a' }], '/0', 'needs "op" and "path"'],
    ['unknown op', [{ op: 'frobnicate', path: '/a' }], '/0', 'unknown operation'],
    ['failing test', [{ op: 'test', path: '/spec/list/0', value: 'nope' }], '/0', 'test failed'],
    ['remove a missing key', [{ op: 'remove', path: '/nope' }], '/0', 'path does not exist'],
    ['replace a missing key', [{ op: 'replace', path: '/spec/nope', value: 1 }], '/0', 'path does not exist'],
    ['index out of bounds', [{ op: 'add', path: '/spec/list/5', value: 1 }], '/0', 'out of bounds'],
    ['bad index', [{ op: 'remove', path: '/spec/list/x' }], '/0', 'not an array index'],
    ['missing value', [{ op: 'add', path: '/a' }], '/0', 'needs a value'],
    ['move into a child', [{ op: 'move', from: '/spec', path: '/spec/x' }], '/0', 'into one of its children'],
    [
      'second op fails',
      [
        { op: 'add', path: '/a', value: 1 },
        { op: 'remove', path: '/b' },
      ],
      '/1',
      'remove /b',
    ],
  ])('WHEN %s THEN an InputError points at the operation', (_name, operations, path, message) => {
    let error: unknown;
    try {
      jsonPatch(doc, operations);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems[0]?.path).toBe(path);
    expect((error as InputError).message).toContain(message);
  });
});

describe('helpers', () => {
  it.each([
    ['', []],
    ['/a/b', ['a', 'b']],
    ['/a~1b/c~0d', ['a/b', 'c~d']],
    ['/', ['']],
  ])('parsePointer(%j) = %j', (pointer, tokens) => {
    expect(parsePointer(pointer)).toEqual(tokens);
  });
});
