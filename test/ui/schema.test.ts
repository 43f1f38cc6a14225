/** Schema → form mapping: the uiSchema and the validated schema the parameter forms are built from. */
import { customizeValidator } from '@rjsf/validator-ajv8';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonSchema } from '../../src/api/contract.js';
import { ENVCAT_KEYWORDS } from '../../src/core/browser.js';
import {
  DRAFT_2020_12,
  REFERENCE_FIELD,
  formErrorMessage,
  formSchema,
  humanize,
  schemaToUiSchema,
  typeLabel,
} from '../../src/ui/logic/schema.js';
import { builtInVersion } from './entries.js';

function objectOf(property: JsonSchema): JsonSchema {
  return { type: 'object', properties: { p: property } };
}

describe('schemaToUiSchema', () => {
  it.each<[string, JsonSchema, Record<string, unknown>]>([
    [
      'a writeOnly secret is a password input the browser does not offer to save',
      { type: 'string', title: 'Password', writeOnly: true },
      { 'ui:widget': 'password', 'ui:autocomplete': 'new-password' },
    ],
    [
      'x-envcat-secret alone also masks the input',
      { type: 'string', title: 'Key', 'x-envcat-secret': true },
      { 'ui:widget': 'password', 'ui:autocomplete': 'new-password' },
    ],
    ['an enum is a select', { type: 'string', title: 'Size', enum: ['s', 'm'] }, { 'ui:widget': 'select' }],
    ['a boolean enum keeps its checkbox', { type: 'boolean', title: 'On', enum: [true, false] }, {}],
    [
      'the description becomes help text',
      { type: 'string', title: 'A', description: 'Why.' },
      { 'ui:help': 'Why.' },
    ],
    ['a property without title gets a readable label', { type: 'integer' }, { 'ui:title': 'P' }],
    [
      'readOnly is a read-only input',
      { type: 'string', title: 'A', readOnly: true },
      { 'ui:readonly': true },
    ],
    [
      'the first example is the placeholder',
      { type: 'string', title: 'A', examples: ['vpc-0a1b2c3d'] },
      { 'ui:placeholder': 'e.g. vpc-0a1b2c3d' },
    ],
    [
      'array items get the same treatment',
      {
        type: 'array',
        title: 'Subnets',
        items: { type: 'string', enum: ['a', 'b'], description: 'One subnet.' },
      },
      { items: { 'ui:widget': 'select', 'ui:help': 'One subnet.' } },
    ],
    [
      'nested objects get labels and order too',
      {
        type: 'object',
        title: 'Quota',
        required: ['memory'],
        properties: { cpuLimit: { type: 'string' }, memory: { type: 'string', title: 'Memory' } },
      },
      { 'ui:order': ['memory', 'cpuLimit', '*'], cpuLimit: { 'ui:title': 'Cpu limit' }, memory: {} },
    ],
  ])('%s', (_case, property, expected) => {
    // GIVEN a parameter schema WHEN it is mapped THEN its uiSchema says exactly this
    expect(schemaToUiSchema(objectOf(property)).p).toEqual(expected);
  });

  it('puts required parameters first, keeping the declared order otherwise', () => {
    const schema: JsonSchema = {
      type: 'object',
      required: ['c', 'a'],
      properties: {
        a: { type: 'string' },
        b: { type: 'string' },
        c: { type: 'string' },
        d: { type: 'string' },
      },
    };
    expect(schemaToUiSchema(schema)['ui:order']).toEqual(['a', 'c', 'b', 'd', '*']);
  });

  it('masks the parameters the API lists as secret even when the schema does not say so', () => {
    const ui = schemaToUiSchema(objectOf({ type: 'string', title: 'Token' }), { secretParameters: ['p'] });
    expect(ui.p).toEqual({ 'ui:widget': 'password', 'ui:autocomplete': 'new-password' });
  });

  it('renders a referenced parameter with the reference field, keeping its label and help', () => {
    const ui = schemaToUiSchema(objectOf({ type: 'string', description: 'Host.' }), {
      references: { p: 'db.endpoint' },
    });
    expect(ui.p).toEqual({
      'ui:field': REFERENCE_FIELD,
      'ui:label': false,
      'ui:title': 'P',
      'ui:help': 'Host.',
    });
  });

  it('maps the built-in rds-postgres entry as a user expects', async () => {
    const { parameters } = await builtInVersion('rds-postgres');
    const ui = schemaToUiSchema(parameters);
    expect((ui['ui:order'] as string[])[0]).toBe('databaseName');
    expect(ui.masterPassword).toMatchObject({ 'ui:widget': 'password' });
    expect(ui.instanceClass).toMatchObject({ 'ui:widget': 'select' });
    expect(ui.engineVersion).toMatchObject({ 'ui:widget': 'select' });
    expect(ui.allocatedStorage).toEqual({ 'ui:help': 'Allocated gp3 storage in GiB.' });
    expect(ui.multiAz).not.toHaveProperty('ui:widget');
  });
});

describe('formSchema', () => {
  const entry: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'name'],
    properties: {
      name: { type: 'string', description: 'The name.' },
      host: { type: 'string', title: 'Host', minLength: 3, description: 'Where.' },
      tags: { type: 'array', items: { type: 'string', description: 'A tag.' } },
    },
  };

  it('declares draft 2020-12 and moves descriptions to the uiSchema without touching its input', () => {
    const before = JSON.stringify(entry);
    const schema = formSchema(entry);
    expect(schema.$schema).toBe(DRAFT_2020_12);
    expect(schema.properties).toEqual({
      name: { type: 'string' },
      host: { type: 'string', title: 'Host', minLength: 3 },
      tags: { type: 'array', items: { type: 'string' } },
    });
    expect(JSON.stringify(entry)).toBe(before);
  });

  it('reduces a referenced parameter to its title and no longer requires it', () => {
    const schema = formSchema(entry, { references: { host: 'db.endpoint' } });
    expect((schema.properties as JsonSchema).host).toEqual({ title: 'Host' });
    expect(schema.required).toEqual(['name']);
    expect(formSchema(entry, { references: { host: 'a.b', name: 'a.c' } })).not.toHaveProperty('required');
  });

  it('gives a schema that Ajv 2020 compiles and that checks values as the server does', async () => {
    // GIVEN the validator the form uses: Ajv's draft 2020-12 class with envcat's annotations
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    for (const keyword of ENVCAT_KEYWORDS) ajv.addKeyword(keyword);
    const { parameters } = await builtInVersion('rds-postgres');
    // WHEN the form schema of a real entry is compiled
    const validate = ajv.compile(formSchema(parameters));
    // THEN a good value passes and a bad one fails at its field
    expect(validate({ databaseName: 'app_db', allocatedStorage: 20 })).toBe(true);
    expect(validate({ databaseName: 'app_db', allocatedStorage: 5 })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(['/allocatedStorage']);
  });
});

describe('labels', () => {
  it.each([
    ['allocatedStorage', 'Allocated storage'],
    ['db_name', 'Db name'],
    ['replicas', 'Replicas'],
    ['apiKey', 'Api key'],
  ])('humanize(%s) is %s', (name, label) => expect(humanize(name)).toBe(label));

  it.each<[JsonSchema, string]>([
    [{ type: 'string' }, 'string'],
    [{ type: 'array', items: { type: 'string' } }, 'array of string'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ enum: ['a'] }, 'enum'],
    [{}, 'any'],
  ])('typeLabel(%j) is %s', (schema, label) => expect(typeLabel(schema)).toBe(label));
});

describe('formErrorMessage', () => {
  it('says what the server says for the same values, with titles and the entry’s own messages', async () => {
    // The portal's validator (src/ui/wizard/validator.ts), built here: that file compiles under the
    // portal's tsconfig, whose view of Ajv's class differs from the root one's.
    const validator = customizeValidator({
      AjvClass: Ajv2020 as never,
      extenderFn: (ajv) => {
        for (const keyword of ENVCAT_KEYWORDS) ajv.addKeyword(keyword);
        return ajv;
      },
    });
    const { checkEnvironment } = await import('../../src/core/index.js');
    const { builtInCatalog } = await import('../support/examples.js');
    const rds = await builtInVersion('rds-postgres');
    const values = { databaseName: 'Feature-DB', masterPassword: 'short', allocatedStorage: 5 };

    // WHEN the form validates the values, and the server validates the same request
    const form = validator.validateFormData(values, formSchema(rds.parameters) as never);
    const shown = form.errors.map((e) => [e.property, formErrorMessage(e, rds.parameters)]);
    const server = checkEnvironment(
      {
        apiVersion: 'envcat.io/v1alpha1',
        kind: 'Environment',
        metadata: { name: 'dev-a' },
        spec: { type: 'pre-release', catalogs: [{ name: 'db', entry: 'rds-postgres', parameters: values }] },
      },
      await builtInCatalog(),
    ).problems.map((p) => [`.${p.path.split('/').at(-1)}`, p.message]);

    // THEN the messages are the same words, none of them Ajv's own
    expect(shown.sort()).toEqual(server.sort());
    expect(shown).toEqual(
      expect.arrayContaining([
        [
          '.databaseName',
          'must be lower-case letters, digits and _, start with a letter, and be at most 63 characters',
        ],
        ['.masterPassword', 'must be at least 12 characters long'],
        ['.allocatedStorage', 'must be at least 20'],
      ]),
    );
    const missing = validator.validateFormData({}, formSchema(rds.parameters) as never).errors;
    expect(missing.map((e) => formErrorMessage(e, rds.parameters))).toEqual(['Database name is required']);
  });
});
