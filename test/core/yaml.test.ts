/**
 * The fast YAML emitter behind toYaml: byte for byte what `yaml.stringify` writes with the same
 * options, on every golden file, every rendered example, a table of tricky values and a few thousand
 * seeded random JSON values; and it is actually the path the rendered documents take.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import type { JsonValue } from '../../src/core/index.js';
import {
  canonicalize,
  emitFast,
  parseYamlDocuments,
  toYaml,
  YAML_STRINGIFY_OPTIONS,
} from '../../src/core/yaml/index.js';
import { examples, renderExample, REPO_ROOT } from '../support/examples.js';

const GOLDEN = join(REPO_ROOT, 'test/golden/render');

/** What the library writes for one document. */
const library = (value: unknown): string => stringify(value, YAML_STRINGIFY_OPTIONS);

function goldenYamlFiles(): string[] {
  return readdirSync(GOLDEN, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.yaml'))
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

describe('emitFast on rendered output', () => {
  const files = goldenYamlFiles();

  it('has golden files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files.map((f) => [relative(GOLDEN, f), f] as const))(
    'golden %s: every document takes the fast path and matches yaml.stringify',
    (_name, file) => {
      // GIVEN the documents of a golden file
      const text = readFileSync(file, 'utf8');
      const docs = parseYamlDocuments(text);
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        // WHEN emitted THEN the fast path answers, with the library's bytes
        const fast = emitFast(doc);
        expect(fast).toBeDefined();
        expect(fast).toBe(library(doc));
      }
      // AND toYaml writes the golden file again
      expect(toYaml(docs)).toBe(text);
    },
  );

  it.each(examples().map((e) => [e.id, e] as const))(
    'example %s: every rendered file is the fast path and matches yaml.stringify',
    async (_id, example) => {
      // GIVEN an example request rendered with outputs for every step
      const { result } = await renderExample(example);
      expect(result.files.length).toBeGreaterThan(0);
      for (const file of result.files) {
        // WHEN its documents are emitted again
        const docs = parseYamlDocuments(file.content);
        for (const doc of docs) {
          const fast = emitFast(doc);
          // THEN the fast path takes them and agrees with the library
          expect(fast).toBeDefined();
          expect(fast).toBe(library(doc));
        }
        // AND the file is exactly what the library would have written
        expect(docs.map(library).join('---\n')).toBe(file.content);
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------

const TRICKY_STRINGS: Array<[string, string]> = [
  ['yes (YAML 1.1 boolean)', 'yes'],
  ['on', 'on'],
  ['null', 'null'],
  ['Null', 'Null'],
  ['NULL', 'NULL'],
  ['nULL (not null)', 'nULL'],
  ['tilde', '~'],
  ['true', 'true'],
  ['True', 'True'],
  ['FALSE', 'FALSE'],
  ['fAlse (not a boolean)', 'fAlse'],
  ['exponent', '1e3'],
  ['signed exponent', '-1.5E-3'],
  ['hex', '0x1F'],
  ['octal', '0o17'],
  ['YAML 1.1 octal', '017'],
  ['integer', '42'],
  ['signed integer', '+1'],
  ['float', '3.14'],
  ['leading dot float', '.5'],
  ['trailing dot float', '1.'],
  ['infinity', '.inf'],
  ['negative infinity', '-.Inf'],
  ['nan', '.NaN'],
  ['date (a string in the core schema)', '2024-01-01'],
  ['version', '1.0.0'],
  ['dash', '-'],
  ['dash space', '- a'],
  ['dash word', '-a'],
  ['question mark', '?'],
  ['question space', '? a'],
  ['colon start', ':a'],
  ['colon end', 'a:'],
  ['colon inside', 'a:b'],
  ['colon space', 'a: b'],
  ['space hash', 'a #b'],
  ['hash inside', 'a#b'],
  ['hash start', '#a'],
  ['at', '@x'],
  ['percent', '%x'],
  ['backtick', '`x'],
  ['ampersand', '&a'],
  ['star', '*a'],
  ['bang', '!a'],
  ['pipe', '|a'],
  ['greater', '>a'],
  ['brackets', '[a]'],
  ['braces', '{a}'],
  ['comma', 'a,b'],
  ['leading space', ' a'],
  ['trailing space', 'a '],
  ['only spaces', '   '],
  ['empty', ''],
  ['tab inside', 'a\tb'],
  ['leading tab', '\ta'],
  ['trailing tab', 'a\t'],
  ['unicode', 'ünïcødé ✓'],
  ['non-breaking space', '\u00a0x'],
  ['line separator', 'a\u2028b'],
  ['next line (C1)', 'a\u0085b'],
  ['emoji', 'deploy 🚀 now'],
  ['lone surrogate', 'a\ud800b'],
  ['double quote', 'say "hi"'],
  ['single quote', "it's"],
  ['both quotes', `it's "so"`],
  ['backslash', 'C:\\temp'],
  ['carriage return', 'a\r\nb'],
  ['NUL', 'a\u0000b'],
  ['bell', 'a\u0007'],
  ['DEL', 'a\u007f'],
  ['document start', '---'],
  ['document start with text', '--- a'],
  ['document end', '...'],
  ['multi-line, trailing newline', 'line one\nline two\n'],
  ['multi-line, no trailing newline', 'line one\nline two'],
  ['multi-line, blank lines', 'a\n\nb\n\n\nc\n'],
  ['multi-line, two trailing newlines', 'a\nb\n\n'],
  ['multi-line, leading-space line', 'a\n  b\n'],
  ['multi-line, first line indented', '  a\nb\n'],
  ['multi-line, leading newline', '\na\n'],
  ['multi-line, trailing spaces on a line', 'a  \nb\n'],
  ['multi-line, whitespace last line', 'a\n  '],
  ['multi-line, tab lines', 'a\n\tb\n'],
  ['multi-line, starts with hash', '# comment\nvalue\n'],
  ['multi-line, document marker line', 'a\n---\nb\n'],
  ['multi-line, percent line', 'a\n%b\n'],
  ['multi-line, only newlines', '\n\n'],
  ['multi-line with quotes', 'say "a"\nand \'b\'\n'],
  ['multi-line with colon space', 'key: value\nother: x\n'],
  ['long plain', 'word '.repeat(60).trim()],
  ['long quoted', `"${'x'.repeat(300)}"`],
  ['long single line', 'x'.repeat(5000)],
  ['long multi-line', Array.from({ length: 50 }, (_, i) => `line ${i} ${'y'.repeat(120)}`).join('\n')],
  ['long key-like', 'k'.repeat(1100)],
];

const TRICKY_VALUES: Array<[string, JsonValue]> = [
  ['negative zero', -0],
  ['1e21', 1e21],
  ['1e-7', 1e-7],
  ['big int', 2 ** 53 + 2],
  ['max safe int', Number.MAX_SAFE_INTEGER],
  ['negative float', -12.5],
  ['float', 0.1 + 0.2],
  ['tiny', 5e-324],
  ['huge', Number.MAX_VALUE],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty map', {}],
  ['empty seq', []],
  ['nested empty containers', { a: {}, b: [], c: [{}, [], [[]], { d: {} }] }],
  ['arrays of arrays', [[1, [2, [3, []]]], [['a'], []], [[{ x: [[]] }]]]],
  ['seq of maps', [{ a: 1, b: 2 }, { c: { d: [1, 2] } }]],
  ['map of seqs', { list: ['a', 'b'], nested: { more: [[1], { x: null }] } }],
  ['map with null values only', { a: null, b: null }],
  [
    'keys needing quotes',
    {
      'a: b': 1,
      '#x': 2,
      '- x': 3,
      '': 4,
      ' lead': 5,
      'trail ': 6,
      null: 7,
      true: 8,
      '~': 9,
      '[k]': 10,
      'it\'s "q"': 11,
      'say "q"': 12,
      '%x': 13,
      '---': 14,
      '...k': 15,
      'a\tb': 16,
      'multi\nline': 17,
      'ctl\u0001': 18,
    },
  ],
  ['numeric-looking keys', { '1': 'a', '10': 'b', '2': 'c', '1.5': 'd', '0x1F': 'e', '-1': 'f', '1e3': 'g' }],
  ['long key', { ['k'.repeat(1100)]: 1 }],
  ['block scalar in a sequence', ['a\nb\n', { s: 'x\ny' }, ['p\nq\n']]],
  ['deep nesting', { a: { b: { c: { d: { e: { f: ['g', { h: 'i\nj\n' }] } } } } } }],
];

/** A value in every position the emitter distinguishes: map value, key, sequence item, deep. */
function placements(value: JsonValue): JsonValue[] {
  const out: JsonValue[] = [
    { v: value },
    [value],
    { a: [{ b: value }] },
    [[value]],
    { list: [value, value] },
  ];
  if (typeof value === 'string') out.push({ [value]: 'x' }, { m: { [value]: [value] } });
  return out;
}

/** toYaml's contract for one document: fast path if it answers, else the library, same bytes. */
function expectSameBytes(value: unknown): void {
  const expected = library(value);
  const fast = emitFast(value);
  if (fast !== undefined) expect(fast).toBe(expected);
  // (toYaml takes an array as a list of documents: wrap the one document.)
  expect(toYaml([value])).toBe(library(canonicalize(value)));
}

describe('emitFast on tricky scalars and shapes', () => {
  it.each(TRICKY_STRINGS)('string: %s', (_name, value) => {
    for (const doc of placements(value)) expectSameBytes(doc);
  });

  it.each(TRICKY_VALUES)('value: %s', (_name, value) => {
    expectSameBytes(value);
    for (const doc of placements(value)) expectSameBytes(doc);
  });

  it.each<[string, string]>([
    ['yes', 'v: yes\n'],
    ['null', 'v: "null"\n'],
    ['1e3', 'v: "1e3"\n'],
    ['-', 'v: "-"\n'],
    ['a: b', 'v: "a: b"\n'],
    ['say "hi"', 'v: say "hi"\n'],
    ['"hi"', `v: '"hi"'\n`],
    [`it's "so"`, 'v: it\'s "so"\n'],
    ['#a', 'v: "#a"\n'],
    ['a\tb', 'v: a\tb\n'],
    ['\ta', 'v: "\\ta"\n'],
    ['', 'v: ""\n'],
    ['2024-01-01', 'v: 2024-01-01\n'],
    ['a\nb\n', 'v: |\n  a\n  b\n'],
    ['a\n\nb', 'v: |-\n  a\n\n  b\n'],
  ])('takes the fast path for %j', (value, yaml) => {
    // GIVEN a common string WHEN emitted as a map value THEN the fast path writes what yaml writes
    expect(emitFast({ v: value })).toBe(yaml);
    expect(library({ v: value })).toBe(yaml);
  });

  it.each<[string, unknown]>([
    ['a control character', { v: 'a\u0001' }],
    ['a carriage return', { v: 'a\r\nb' }],
    ['a lone surrogate', { v: 'a\ud800' }],
    ['keep chomping', { v: 'a\n\n' }],
    ['an indentation indicator', { v: ' a\nb' }],
    ['a whitespace-only last line', { v: 'a\n  ' }],
    ['a multi-line key', { 'a\nb': 1 }],
    ['a key over 1024 characters', { ['k'.repeat(1100)]: 1 }],
    ['a document marker in a key', { '---': 1 }],
    ['a scalar at the root', 'text'],
    ['undefined in a map', { a: undefined }],
    ['undefined in a sequence', [undefined]],
    ['a hole in a sequence', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['NaN', { a: Number.NaN }],
    ['Infinity', { a: Number.POSITIVE_INFINITY }],
    ['a bigint', { a: 1n }],
    ['a Date', { a: new Date(0) }],
    ['a Map', { a: new Map([['k', 1]]) }],
    ['a function', { a: () => 1 }],
  ])('leaves %s to the library', (_name, value) => {
    // GIVEN a value outside what the emitter is sure of WHEN emitted THEN it declines
    expect(emitFast(value)).toBeUndefined();
  });

  it('uses the library, per document, for what it declines', () => {
    // GIVEN two documents, one the fast path declines
    const docs = [
      { kind: 'A', v: 'plain' },
      { kind: 'B', v: 'ctl\u0001', when: new Date(0) },
    ];
    // WHEN written THEN each is what the library writes for it
    expect(toYaml(docs)).toBe(docs.map((d) => library(canonicalize(d))).join('---\n'));
    expect(toYaml(docs)).toContain('v: "ctl\\x01"');
  });
});

// ---------------------------------------------------------------------------------------------

/** mulberry32: a small, seeded generator, so every run checks the same values. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces that hit yaml's quoting rules when combined.
const PIECES = [
  'a',
  'b',
  'word',
  'x-y',
  ' ',
  '  ',
  '\n',
  '\n\n',
  '\t',
  ':',
  ': ',
  '#',
  ' #',
  '-',
  '- ',
  '?',
  ',',
  '[',
  ']',
  '{',
  '}',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
  '\\',
  '0',
  '1',
  '12',
  '.',
  'e',
  'E3',
  '0x',
  '0o',
  '+',
  'true',
  'False',
  'null',
  '~',
  '.inf',
  '---',
  '...',
  'é',
  '✓',
  '🚀',
  '\u00a0',
  '\u0001',
  '\r',
  '\u0085',
];

function generator(seed: number) {
  const next = random(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const string = (): string => {
    if (next() < 0.3) return pick(['', 'plain', 'with space', 'CamelCase', 'a.b/c', 'x-1', '8080']);
    let s = '';
    const n = 1 + int(6);
    for (let i = 0; i < n; i++) s += pick(PIECES);
    return s;
  };
  const number = (): number =>
    pick([
      () => int(1000),
      () => -int(1000),
      () => next() * 1e6 - 5e5,
      () => -0,
      () => 1e21 * (1 + int(9)),
      () => 2 ** 53 + int(1000),
      () => Number((next() * 10).toFixed(int(4))),
      () => 1e-7 * (1 + int(9)),
    ])();
  const value = (depth: number): JsonValue => {
    const r = next();
    if (depth > 3 || r < 0.45) {
      const k = int(5);
      return k === 0 ? number() : k === 1 ? next() < 0.5 : k === 2 ? null : string();
    }
    if (r < 0.7) return Array.from({ length: int(4) }, () => value(depth + 1));
    const out: Record<string, JsonValue> = {};
    const n = int(5);
    for (let i = 0; i < n; i++)
      out[next() < 0.7 ? pick(['name', 'spec', 'a', 'b', '1', '10']) : string()] = value(depth + 1);
    return out;
  };
  return () => (next() < 0.5 ? value(1) : { root: value(1) });
}

describe('emitFast on seeded random JSON values', () => {
  it('matches yaml.stringify on 4,000 values, taking the fast path on most', () => {
    // GIVEN a deterministic stream of JSON values built from quoting-sensitive pieces
    const next = generator(0x5eed);
    let fast = 0;
    const total = 4000;
    for (let i = 0; i < total; i++) {
      const doc = next();
      // WHEN emitted THEN the fast path, when it answers, writes the library's bytes
      const expected = library(doc);
      const got = emitFast(doc);
      if (got !== undefined) {
        fast++;
        if (got !== expected) expect({ doc, got }).toEqual({ doc, got: expected });
      }
    }
    // AND the generator exercises the fast path, not only the fallback
    expect(fast).toBeGreaterThan(total / 2);
  });
});
