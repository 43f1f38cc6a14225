/** The private copy of a request: what the JSON round trip gives, without the text in between. */
import { copyJson } from '../../../src/core/environment/json-copy.js';
import { checkEnvironment, type JsonValue } from '../../../src/core/index.js';
import { fiveInstanceTemplate } from '../../bench/requests.js';
import { builtInCatalog } from '../../support/examples.js';

const LIMIT = 256 * 1024;
const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Deep equality that tells -0 from 0 and keeps key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function expectCopy(value: unknown): void {
  const result = copyJson(value, LIMIT);
  expect(result).toBeDefined();
  expect(sameJson(result!.copy, roundTrip(value))).toBe(true);
  expect(result!.maxBytes).toBeGreaterThanOrEqual(jsonBytes(value));
}

describe('copyJson', () => {
  it.each<[string, JsonValue]>([
    ['a request', fiveInstanceTemplate() as unknown as JsonValue],
    ['scalars', { s: 'x', n: 1.5, i: -3, t: true, f: false, z: null }],
    ['negative zero, written as 0 by JSON', { a: -0, b: [-0] }],
    ['big and tiny numbers', [1e21, 5e-324, Number.MAX_VALUE, -0.0000012345678901234567]],
    ['strings JSON escapes', ['"', '\\', '\n', '\u0001', '\u007f', '\ud800', 'é', '🚀', '\u2028']],
    ['numeric keys, reordered as by JSON', { b: 1, 10: 2, 2: 3, a: 4 }],
    ['nested empties', { a: {}, b: [], c: [[], [{}]] }],
  ])('copies %s as the JSON round trip does, with a bound of its size', (_name, value) => {
    expectCopy(value);
  });

  it('copies: changing the copy leaves the original alone', () => {
    // GIVEN a nested value WHEN copied and the copy changed THEN the original is untouched
    const original = { a: { b: [1, { c: 'd' }] } };
    const { copy } = copyJson(original, LIMIT)!;
    ((copy as { a: { b: Array<{ c: string }> } }).a.b[1] as { c: string }).c = 'changed';
    expect(original.a.b[1]).toEqual({ c: 'd' });
  });

  it('keeps a null prototype object as plain data', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    expectCopy(value);
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  let deep: unknown = 'leaf';
  for (let i = 0; i < 80; i++) deep = { d: deep };

  it.each<[string, unknown]>([
    ['a toJSON method', { a: { toJSON: () => 'x' } }],
    ['a Date', { at: new Date(0) }],
    ['a Map', { m: new Map() }],
    ['a class instance', { c: new (class Thing {})() }],
    ['an undefined member', { a: undefined }],
    ['an undefined item', [undefined]],
    ['a hole', [1, , 2]], // eslint-disable-line no-sparse-arrays
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('s') }],
    ['a bigint', { b: 1n }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Number.NEGATIVE_INFINITY]],
    ['a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}}') as unknown],
    ['a cycle', cyclic],
    ['too deep a value', deep],
    ['undefined at the root', undefined],
  ])('declines %s, which the JSON round trip decides', (_name, value) => {
    expect(copyJson(value, LIMIT)).toBeUndefined();
  });

  it('declines when the bound passes the limit, so the caller measures exactly', () => {
    // GIVEN a 1,000-character string WHEN the limit is below its bound THEN no copy
    expect(copyJson({ s: 'x'.repeat(1000) }, 2000)).toBeUndefined();
    expect(copyJson({ s: 'x'.repeat(1000) }, 10_000)).toBeDefined();
  });

  it('bounds the JSON size of 2,000 seeded random values', () => {
    let seed = 42;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const chars = ['a', 'é', '🚀', '"', '\\', '\n', '\u0000', '\u001f', '\u2028', ' '];
    const value = (depth: number): JsonValue => {
      const r = next();
      if (depth > 3 || r < 0.4) {
        if (r < 0.1) return Math.floor(next() * 1e6) * (next() < 0.5 ? -1 : 1) + (next() < 0.5 ? 0 : next());
        if (r < 0.15) return next() < 0.5;
        if (r < 0.2) return null;
        return Array.from(
          { length: Math.floor(next() * 8) },
          () => chars[Math.floor(next() * chars.length)],
        ).join('');
      }
      if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      const out: Record<string, JsonValue> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) out[`k${Math.floor(next() * 20)}é`] = value(depth + 1);
      return out;
    };
    for (let i = 0; i < 2000; i++) expectCopy(value(0));
  });
});

describe('checkEnvironment keeps a private copy of the request', () => {
  it('as its document, unchanged by later edits of the input', async () => {
    // GIVEN a valid request WHEN validated and the input then changed
    const catalog = await builtInCatalog();
    const request = fiveInstanceTemplate();
    const check = checkEnvironment(request, catalog);
    expect(check.problems).toEqual([]);
    const before = JSON.stringify(check.environment!.document);
    request.spec.catalogs[0]!.parameters!.cidrBlock = '10.99.0.0/16';
    request.metadata.labels!.team = 'someone-else';
    // THEN the environment's document still holds what was validated
    expect(JSON.stringify(check.environment!.document)).toBe(before);
    expect(check.environment!.document).not.toBe(request);
  });

  it('measures the exact size when a request is over the limit', async () => {
    // GIVEN a request whose JSON is 1 byte over a limit WHEN checked THEN the exact size is reported
    const catalog = await builtInCatalog();
    const request = fiveInstanceTemplate();
    const size = jsonBytes(request);
    const check = checkEnvironment(request, catalog, { limits: { maxRequestBytes: size - 1 } });
    expect(check.problems).toEqual([
      { path: '', message: `request is ${size} bytes; the limit is ${size - 1}` },
    ]);
    // AND at exactly the limit it passes
    expect(checkEnvironment(request, catalog, { limits: { maxRequestBytes: size } }).problems).toEqual([]);
  });
});
