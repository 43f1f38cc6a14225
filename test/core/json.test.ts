/** Parsing hostile text: syntax and depth are checked without recursion, and no message quotes the text. */
import {
  depthProblem,
  lineColumn,
  parseJsonText,
  scanJson,
  valueTooDeep,
} from '../../src/core/json/index.js';
import { parseYamlDocument, yamlProblem } from '../../src/core/yaml/index.js';

const SECRET = 'Sup3rS3cretValue123';
const nested = (open: string, close: string, n: number, inner = '1') =>
  open.repeat(n) + inner + close.repeat(n);

describe('scanJson: syntax', () => {
  it.each<[string, string, { line: number; column: number; message: string }]>([
    ['truncated string', `{"password": "${SECRET}`, { line: 1, column: 14, message: 'unterminated string' }],
    [
      'truncated object',
      `{"password": "${SECRET}"`,
      { line: 1, column: 35, message: 'unexpected end of the JSON text' },
    ],
    ['bare word', `{"password": ${SECRET}}`, { line: 1, column: 14, message: 'expected a JSON value' }],
    [
      'unquoted key',
      `{\n  password: "${SECRET}"}`,
      { line: 2, column: 3, message: 'expected an object key in double quotes' },
    ],
    ['missing colon', '{"a" 1}', { line: 1, column: 6, message: 'expected ":" after an object key' }],
    ['trailing comma', '[1,]', { line: 1, column: 4, message: 'expected a JSON value' }],
    ['missing comma', '{"a": 1 "b": 2}', { line: 1, column: 9, message: 'expected "," or "}"' }],
    [
      'bad escape',
      `["\\x${SECRET}"]`,
      { line: 1, column: 3, message: 'invalid escape sequence in a string' },
    ],
    [
      'raw control character',
      '["a\u0001"]',
      { line: 1, column: 4, message: 'control character in a string' },
    ],
    ['second value', '{} {}', { line: 1, column: 4, message: 'unexpected text after the JSON value' }],
    ['empty text', '', { line: 1, column: 1, message: 'unexpected end of the JSON text' }],
    ['leading zero', '01', { line: 1, column: 2, message: 'unexpected text after the JSON value' }],
    ['mismatched bracket', '[1}', { line: 1, column: 3, message: 'expected "," or "]"' }],
  ])('%s: says where, not what', (_name, text, expected) => {
    // GIVEN malformed JSON WHEN scanned THEN the failure has its line, column and a fixed message
    expect(scanJson(text)).toMatchObject({ ok: false, kind: 'syntax', ...expected });
    // AND the problem built from it never contains the text
    const parsed = parseJsonText(text);
    expect(parsed.ok).toBe(false);
    expect(JSON.stringify(parsed)).not.toContain(SECRET);
  });

  it.each([
    '{}',
    '[]',
    '{"a": [1, -2.5e+3, true, false, null, "x\\u00e9\\n"], "b": {"c": {}}}',
    ' \n\t[ ] ',
    '"just a string"',
    '0',
  ])('accepts %j exactly as JSON.parse does', (text) => {
    // GIVEN valid JSON WHEN parsed THEN the value is JSON.parse's
    expect(scanJson(text)).toEqual({ ok: true });
    expect(parseJsonText(text)).toEqual({ ok: true, value: JSON.parse(text) as unknown });
  });
});

describe('nesting depth', () => {
  it.each<[string, string, number, string]>([
    ['arrays at the limit', nested('[', ']', 4), 4, ''],
    ['arrays past the limit', nested('[', ']', 5), 4, '/0/0/0/0'],
    ['a member past the limit', '{"spec": {"a": {"b~/": {"c": 1}}}}', 3, '/spec/a/b~0~1'],
    ['the second array item', '[[1], [[[2]]]]', 3, '/1/0/0'],
  ])('%s', (_name, text, max, pointer) => {
    // GIVEN JSON nested n levels WHEN scanned with a limit THEN the pointer is where it was crossed
    const scan = scanJson(text, max);
    if (pointer === '') expect(scan).toEqual({ ok: true });
    else expect(scan).toEqual({ ok: false, kind: 'depth', pointer });
  });

  it('refuses 10,000 nested arrays without overflowing the stack, at the 65th level', () => {
    // GIVEN the body that used to crash JSON.stringify WHEN parsed THEN a depth problem at /a/0/…/0
    const parsed = parseJsonText(`{"a": ${nested('[', ']', 10_000)}}`);
    expect(parsed).toEqual({ ok: false, kind: 'depth', problem: depthProblem(`/a${'/0'.repeat(63)}`) });
  });

  it('measures data that did not come as text, cycles included', () => {
    // GIVEN objects built in memory WHEN measured THEN the first too-deep pointer, or undefined
    expect(valueTooDeep({ a: [{ b: 1 }] }, 3)).toBeUndefined();
    expect(valueTooDeep({ a: [{ b: { c: 1 } }] }, 3)).toBe('/a/0/b');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(valueTooDeep(cycle, 5)).toBe('/self/self/self/self/self');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(valueTooDeep(deep)).toBe('/0'.repeat(64));
  });

  it('reports line and column from an offset', () => {
    expect(lineColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('', 0)).toEqual({ line: 1, column: 1 });
  });
});

describe('YAML: depth before composing, errors in our words', () => {
  it.each<[string, string, string]>([
    ['flow sequences', `a: ${nested('[', ']', 10_000)}`, `/a${'/0'.repeat(63)}`],
    ['flow mappings', `a: ${nested('{b: ', '}', 10_000)}`, `/a${'/b'.repeat(63)}`],
    [
      'block mappings',
      Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
      `/k0${Array.from({ length: 63 }, (_, i) => `/k${i + 1}`).join('')}`,
    ],
    ['compact block sequences', `a:\n${'- '.repeat(200)}x\n`, `/a${'/0'.repeat(63)}`],
  ])('refuses %s nested past the limit, at the pointer where it was crossed', (_name, text, pointer) => {
    // GIVEN YAML nested deeper than 64 levels WHEN parsed THEN a YamlSyntaxError at that pointer
    let error: unknown;
    try {
      parseYamlDocument(text);
    } catch (e) {
      error = e;
    }
    expect(yamlProblem(error)).toEqual({
      path: pointer,
      message: expect.stringMatching(/^invalid YAML at line \d+, column \d+: nests deeper than 64 levels$/),
    });
  });

  it.each<[string, string, string]>([
    [
      'an unterminated quote',
      `spec:\n  password: "${SECRET}\n  x: [`,
      'a closing quote or bracket is missing',
    ],
    ['a bad escape', `password: "\\q${SECRET}"`, 'invalid escape sequence in a double-quoted string'],
    ['a repeated key', `password: ${SECRET}\npassword: ${SECRET}`, 'a mapping key is repeated'],
    ['an unknown alias', `password: *${SECRET}`, 'an alias names no anchor defined before it'],
    ['a tab indent', `a:\n\tpassword: ${SECRET}`, 'tabs cannot indent YAML'],
    [
      'an alias bomb',
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'too many alias expansions',
    ],
  ])('%s: the message says what and where, never the text', (_name, text, what) => {
    // GIVEN YAML that cannot be read WHEN parsed THEN the problem names it without quoting it
    let error: unknown;
    try {
      parseYamlDocument(text);
    } catch (e) {
      error = e;
    }
    const problem = yamlProblem(error, 'env.yaml');
    expect(problem.message).toContain(what);
    expect(problem.message).toMatch(/^invalid YAML( at line \d+, column \d+)?: /);
    expect(JSON.stringify(problem)).not.toContain(SECRET);
    expect(JSON.stringify(problem)).not.toContain('S3cret');
  });
});
