/** The template expressions of catalog entries (catalogs/README.md, Templates). */
import {
  renderTemplate,
  scanTemplate,
  type TemplateContext,
  type JsonValue,
} from '../../../src/core/index.js';
import { TemplateRenderError } from '../../../src/core/template/index.js';

const ctx: TemplateContext = {
  environment: { name: 'dev-x', namespace: 'dev-x-ns' },
  instance: { name: 'app' },
  parameters: {
    replicas: { kind: 'value', value: 3 },
    enabled: { kind: 'value', value: false },
    tags: { kind: 'value', value: { team: 'a' } },
    host: { kind: 'value', value: 'db.example.test' },
    password: { kind: 'secret', secretName: 'dev-x-app-params', secretKey: 'password' },
  },
  outputs: { endpoint: { kind: 'value', value: 'pg.internal' }, port: { kind: 'value', value: 5432 } },
};

describe('renderTemplate', () => {
  it.each<[string, JsonValue, JsonValue]>([
    ['a whole expression keeps a number', '${{ parameters.replicas }}', 3],
    ['a whole expression keeps a boolean', '${{parameters.enabled}}', false],
    ['a whole expression keeps an object', '${{ parameters.tags }}', { team: 'a' }],
    [
      'interpolation makes text',
      'postgres://${{ parameters.host }}:${{ outputs.port }}/db',
      'postgres://db.example.test:5432/db',
    ],
    [
      'environment and instance',
      '${{ environment.name }}/${{ environment.namespace }}/${{ instance.name }}',
      'dev-x/dev-x-ns/app',
    ],
    [
      'a whole secret becomes a secretKeyRef',
      '${{ parameters.password }}',
      { secretKeyRef: { name: 'dev-x-app-params', key: 'password' } },
    ],
    ['secretName', '${{ parameters.password.secretName }}', 'dev-x-app-params'],
    ['secretKey', '${{ parameters.password.secretKey }}', 'password'],
    ['an undeclared-but-absent value renders null', '${{ parameters.missing }}', null],
    ['an absent value interpolates as empty text', 'x-${{ parameters.missing }}-y', 'x--y'],
    ['text without expressions is untouched', 'plain $HOME {{ not ours }}', 'plain $HOME {{ not ours }}'],
    [
      'two whole-looking expressions interpolate',
      '${{ parameters.replicas }}${{ parameters.replicas }}',
      '33',
    ],
  ])('%s', (_name, input, expected) => {
    expect(renderTemplate(input, ctx)).toEqual(expected);
  });

  it('renders nested documents without touching keys or the input', () => {
    const input: JsonValue = {
      spec: { replicas: '${{ parameters.replicas }}', list: ['${{ instance.name }}', 1, null] },
    };
    const copy = structuredClone(input);
    expect(renderTemplate(input, ctx)).toEqual({ spec: { replicas: 3, list: ['app', 1, null] } });
    expect(input).toEqual(copy);
  });

  it('refuses to interpolate an object into text', () => {
    expect(() => renderTemplate({ a: 'x ${{ parameters.tags }}' }, ctx)).toThrow(/not text/);
  });

  it.each<[string, JsonValue, string, string]>([
    ['an object in text', { spec: { a: ['ok', 'x ${{ parameters.tags }}'] } }, '/base/spec/a/1', 'not text'],
    [
      'an accessor on a plain value',
      { b: { 'c/d': '${{ parameters.host.secretName }}' } },
      '/base/b/c~1d',
      'not a secret',
    ],
    ['an unsupported expression', ['${{ parameters.replicas }}', '${{ foo.bar }}'], '/base/1', 'unsupported'],
  ])('GIVEN %s THEN the error names where, below the pointer given', (_case, input, at, message) => {
    let thrown: unknown;
    try {
      renderTemplate(input, ctx, '/base');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateRenderError);
    expect((thrown as TemplateRenderError).message).toContain(message);
    expect((thrown as TemplateRenderError).pointer).toBe(at);
  });
});

describe('scanTemplate', () => {
  it('finds every reference with its pointer and whether it is a whole value', () => {
    const scan = scanTemplate({
      a: ['${{ parameters.x }}', 'n-${{ outputs.y.secretName }}'],
      'b/c': '${{ environment.namespace }}',
    });
    expect(scan.problems).toEqual([]);
    expect(scan.references).toEqual([
      { scope: 'parameters', name: 'x', whole: true, pointer: '/a/0' },
      { scope: 'outputs', name: 'y', accessor: 'secretName', whole: false, pointer: '/a/1' },
      { scope: 'environment', name: 'namespace', whole: true, pointer: '/b~1c' },
    ]);
  });

  it.each([
    ['an unknown scope', { a: '${{ secrets.x }}' }, '/a', /unsupported expression/],
    ['a function call', { a: '${{ upper(parameters.x) }}' }, '/a', /unsupported expression/],
    ['a pipe', { a: '${{ parameters.x | quote }}' }, '/a', /unsupported expression/],
    ['an unknown environment field', { a: '${{ environment.owner }}' }, '/a', /unsupported expression/],
    ['an unterminated expression', { a: 'x ${{ parameters.x' }, '/a', 'unterminated "${{" expression'],
    [
      'an expression in a key',
      { '${{ parameters.x }}': 1 },
      '/${{ parameters.x }}',
      'expressions are allowed in string values only, not in keys',
    ],
  ])('reports %s', (_name, doc, pointer, message) => {
    const { problems } = scanTemplate(doc as JsonValue);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.pointer).toBe(pointer);
    if (typeof message === 'string') expect(problems[0]!.message).toBe(message);
    else expect(problems[0]!.message).toMatch(message);
  });
});
