/** What envcat reads in a parameter schema beyond JSON Schema: which parameters are secret. */
import type { JsonValue } from '../../../src/core/index.js';
import { isSchema, isSecretSchema } from '../../../src/core/catalog/schema-keywords.js';

describe('isSecretSchema', () => {
  it.each<[string, JsonValue | undefined, boolean]>([
    ['x-envcat-secret: true', { type: 'string', 'x-envcat-secret': true }, true],
    ['writeOnly: true', { type: 'string', writeOnly: true }, true],
    ['x-envcat-secret: false', { type: 'string', 'x-envcat-secret': false }, false],
    ['a plain string', { type: 'string' }, false],
    ['a boolean schema', true, false],
    ['an array', [{ writeOnly: true }], false],
    ['no schema', undefined, false],
  ])('GIVEN %s THEN %s', (_name, schema, expected) => {
    expect(isSecretSchema(schema)).toBe(expected);
  });
});

describe('isSchema', () => {
  it.each<[string, JsonValue | undefined, boolean]>([
    ['an object', { type: 'string' }, true],
    ['a boolean schema', true, false],
    ['an array', [], false],
    ['null', null, false],
  ])('GIVEN %s THEN %s', (_name, value, expected) => {
    expect(isSchema(value)).toBe(expected);
  });
});
