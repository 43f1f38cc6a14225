/** Validation errors in words: the wording the API, the CLI and the portal's forms share. */
import { ajvProblems, createAjv, schemaAtPath, schemaErrorMessage } from '../../src/core/schema/index.js';
import type { JsonSchema, JsonValue } from '../../src/core/index.js';

const properties: Record<string, JsonSchema> = {
  databaseName: {
    type: 'string',
    title: 'Database name',
    pattern: '^[a-z][a-z0-9_]{0,62}$',
    'x-envcat-messages': { pattern: 'lower-case letters, digits and _; starts with a letter' },
  },
  apiKey: { type: 'string', title: 'API key', minLength: 12, writeOnly: true },
  port: { type: 'integer', minimum: 1024, maximum: 65535 },
  region: {
    type: 'string',
    description: 'An AWS region such as eu-west-1.',
    pattern: '^[a-z]+-[a-z]+-[0-9]$',
  },
  owner: {
    type: 'string',
    title: 'Owner',
    'x-envcat-messages': { required: 'name someone who answers for it' },
  },
};
const database: JsonSchema = { type: 'object', required: ['databaseName', 'apiKey', 'port'], properties };

describe('schemaErrorMessage', () => {
  it.each<[string, string, Record<string, unknown>, JsonValue | undefined, string]>([
    [
      'the schema’s own message',
      'pattern',
      { pattern: 'x' },
      properties.databaseName,
      'lower-case letters, digits and _; starts with a letter',
    ],
    [
      'a pattern with a description',
      'pattern',
      { pattern: 'x' },
      properties.region,
      'is not in the expected form: An AWS region such as eu-west-1.',
    ],
    [
      'a bare pattern',
      'pattern',
      { pattern: '^[0-9]+$' },
      { type: 'string' },
      'is not in the expected form (pattern ^[0-9]+$)',
    ],
    [
      'a missing property, by its title',
      'required',
      { missingProperty: 'apiKey' },
      database,
      'API key is required',
    ],
    ['a missing property without a title', 'required', { missingProperty: 'port' }, database, 'is required'],
    [
      'a missing property with its own message',
      'required',
      { missingProperty: 'owner' },
      database,
      'name someone who answers for it',
    ],
    ['a minimum', 'minimum', { limit: 1024, comparison: '>=' }, undefined, 'must be at least 1024'],
    ['a maximum', 'maximum', { limit: 20, comparison: '<=' }, undefined, 'must be at most 20'],
    ['an exclusive minimum', 'exclusiveMinimum', { limit: 0 }, undefined, 'must be more than 0'],
    ['a short text', 'minLength', { limit: 12 }, undefined, 'must be at least 12 characters long'],
    ['an empty text', 'minLength', { limit: 1 }, undefined, 'must not be empty'],
    ['a long text', 'maxLength', { limit: 1 }, undefined, 'must be at most 1 character long'],
    ['an integer', 'type', { type: 'integer' }, undefined, 'must be a whole number'],
    ['a union of types', 'type', { type: ['string', 'null'] }, undefined, 'must be text or empty (null)'],
    [
      'rjsf’s comma-joined types',
      'type',
      { type: 'number,boolean' },
      undefined,
      'must be a number or true or false',
    ],
    ['an empty list', 'minItems', { limit: 1 }, undefined, 'must have at least one item'],
    ['too many items', 'maxItems', { limit: 3 }, undefined, 'must have at most 3 items'],
    ['an enum', 'enum', { allowedValues: ['a', 1] }, undefined, 'must be one of: "a", 1'],
    ['a format', 'format', { format: 'email' }, undefined, 'must be an email address'],
    ['an unknown format', 'format', { format: 'iban' }, undefined, 'must be in the format iban'],
    [
      'an unknown property',
      'additionalProperties',
      { additionalProperty: 'x' },
      undefined,
      'is not a known property',
    ],
    [
      'a dependency',
      'dependentRequired',
      { property: 'owner', missingProperty: 'apiKey' },
      database,
      'API key is required when Owner is set',
    ],
    ['an unknown keyword', 'x-custom', {}, undefined, 'is not valid'],
  ])('%s', (_, keyword, params, schema, expected) => {
    expect(schemaErrorMessage({ keyword, params, schema })).toBe(expected);
  });

  it('ignores an own message that is not text', () => {
    const schema = { type: 'integer', 'x-envcat-messages': { minimum: 5 } } as JsonValue;
    expect(schemaErrorMessage({ keyword: 'minimum', params: { limit: 1 }, schema })).toBe(
      'must be at least 1',
    );
  });
});

describe('schemaAtPath', () => {
  const root = {
    ...database,
    properties: { ...properties, 'a/b': { type: 'string' } },
  } as JsonValue;
  it.each([
    ['#/properties/port/minimum', properties.port],
    ['#/required', root],
    ['#/properties/a~1b/type', { type: 'string' }],
    ['#/$defs/missing/type', undefined],
  ])('%s', (path, expected) => {
    expect(schemaAtPath(root, path)).toEqual(expected);
  });
});

describe('ajvProblems', () => {
  it('words every error with the schema, and keeps the JSON pointer paths', () => {
    const validate = createAjv().compile(database);
    validate({ databaseName: 'Feature-DB', port: 80, extra: 1 });
    expect(ajvProblems(validate.errors, '/spec/catalogs/0/parameters', database as JsonValue)).toEqual(
      expect.arrayContaining([
        { path: '/spec/catalogs/0/parameters/apiKey', message: 'API key is required', keyword: 'required' },
        {
          path: '/spec/catalogs/0/parameters/databaseName',
          message: 'lower-case letters, digits and _; starts with a letter',
          keyword: 'pattern',
        },
        { path: '/spec/catalogs/0/parameters/port', message: 'must be at least 1024', keyword: 'minimum' },
      ]),
    );
  });

  it('never echoes the value', () => {
    const validate = createAjv().compile(database);
    const secret = 'hunter2-SECRET';
    validate({ databaseName: secret, apiKey: secret, port: 2000 });
    expect(JSON.stringify(ajvProblems(validate.errors, '', database as JsonValue))).not.toContain(secret);
  });
});
