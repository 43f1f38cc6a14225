/** The breaking-change detector: one row per rule, the exact pointer and message expected. */
import {
  breakingChanges,
  mayBreak,
  type BreakingChange,
  type CatalogEntryDocument,
  type JsonSchema,
  type OutputDeclaration,
  type OutputUse,
} from '../../../src/core/catalog/index.js';

const BASE_PROPERTIES: Record<string, JsonSchema> = {
  databaseName: { type: 'string', title: 'Database name', pattern: '^[a-z][a-z0-9_]{0,62}$' },
  instanceClass: { type: 'string', enum: ['db.t3.micro', 'db.t3.small'], default: 'db.t3.micro' },
  allocatedStorage: { type: 'integer', minimum: 20, maximum: 1000, default: 20 },
  masterPassword: { type: 'string', minLength: 12, writeOnly: true, 'x-envcat-secret': true },
  tags: { type: 'object', properties: { team: { type: 'string', maxLength: 20 } } },
  subnetIds: { type: 'array', items: { type: 'string' }, maxItems: 6, default: [] },
  ratio: { type: 'number', default: 0.5 },
};
const BASE_OUTPUTS: OutputDeclaration[] = [
  { name: 'endpoint', schema: { type: 'string' } },
  { name: 'port', schema: { type: 'integer' } },
];

function doc(
  properties: Record<string, JsonSchema> = BASE_PROPERTIES,
  required: string[] = ['databaseName'],
  outputs: OutputDeclaration[] = BASE_OUTPUTS,
): CatalogEntryDocument {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'CatalogEntry',
    metadata: { name: 'rds-postgres', version: '1.0.0' },
    spec: {
      type: 'iac',
      parameters: { type: 'object', required, properties },
      outputs,
      iac: { module: './terraform' },
    },
  };
}

/** The base properties with one changed (undefined removes it). */
function withProperty(name: string, schema: JsonSchema | undefined): Record<string, JsonSchema> {
  const copy = { ...BASE_PROPERTIES };
  if (schema === undefined) delete copy[name];
  else copy[name] = schema;
  return copy;
}

const P = '/spec/parameters/properties';

describe('breakingChanges', () => {
  it.each<[string, CatalogEntryDocument, BreakingChange[], CatalogEntryDocument?]>([
    ['nothing changed', doc(), []],
    [
      'only annotations changed (title, description, default)',
      doc(
        withProperty('databaseName', {
          type: 'string',
          title: 'DB',
          description: 'x',
          pattern: '^[a-z][a-z0-9_]{0,62}$',
        }),
      ),
      [],
    ],
    [
      'an optional parameter added',
      doc({ ...BASE_PROPERTIES, multiAz: { type: 'boolean', default: false } }),
      [],
    ],
    [
      'a new required parameter with a default',
      doc({ ...BASE_PROPERTIES, region: { type: 'string', default: 'eu-west-1' } }, [
        'databaseName',
        'region',
      ]),
      [],
    ],
    [
      'a parameter removed',
      doc(withProperty('instanceClass', undefined)),
      [{ path: P, message: 'parameter "instanceClass" is removed: requests that set it break' }],
    ],
    [
      'a parameter renamed (removed, and added with the same schema)',
      (() => {
        const properties = withProperty('databaseName', undefined);
        properties.dbName = { type: 'string', title: 'Name', pattern: '^[a-z][a-z0-9_]{0,62}$' };
        return doc(properties, []);
      })(),
      [
        {
          path: `${P}/dbName`,
          message:
            'parameter "databaseName" is renamed to "dbName" (removed, and added with the same schema): requests that set "databaseName" break',
        },
      ],
    ],
    [
      'a parameter removed and another one added with another schema',
      (() => {
        const properties = withProperty('ratio', undefined);
        properties.share = { type: 'integer', default: 1 };
        return doc(properties);
      })(),
      [{ path: P, message: 'parameter "ratio" is removed: requests that set it break' }],
    ],
    [
      'a new required parameter without a default',
      doc({ ...BASE_PROPERTIES, region: { type: 'string' } }, ['databaseName', 'region']),
      [
        {
          path: '/spec/parameters/required/1',
          message:
            'new parameter "region" is required and has no default: requests written for the previous version leave it out',
        },
      ],
    ],
    [
      'an optional parameter made required without a default',
      doc(BASE_PROPERTIES, ['masterPassword', 'databaseName']),
      [
        {
          path: '/spec/parameters/required/0',
          message:
            'parameter "masterPassword" is required now and has no default: requests that leave it out break',
        },
      ],
    ],
    [
      'a type narrowed',
      doc(withProperty('ratio', { type: 'integer', default: 1 })),
      [{ path: `${P}/ratio/type`, message: 'parameter "ratio": type narrowed from number to integer' }],
    ],
    [
      'a type widened (integer to number)',
      doc(withProperty('allocatedStorage', { type: 'number', minimum: 20, maximum: 1000 })),
      [],
    ],
    [
      'a type union narrowed',
      doc(withProperty('ratio', { type: 'number', default: 0.5 })),
      [
        {
          path: `${P}/ratio/type`,
          message: 'parameter "ratio": type narrowed from number | string to number',
        },
      ],
      doc(withProperty('ratio', { type: ['number', 'string'], default: 0.5 })),
    ],
    [
      'a type given where there was none',
      doc(withProperty('ratio', { type: 'number', default: 0.5 })),
      [{ path: `${P}/ratio/type`, message: 'parameter "ratio": type narrowed from any to number' }],
      doc(withProperty('ratio', { default: 0.5 })),
    ],
    [
      'an enum value removed',
      doc(withProperty('instanceClass', { type: 'string', enum: ['db.t3.small'], default: 'db.t3.small' })),
      [
        {
          path: `${P}/instanceClass/enum`,
          message: 'parameter "instanceClass": "db.t3.micro" is no longer allowed',
        },
      ],
    ],
    [
      'an enum value added',
      doc(
        withProperty('instanceClass', {
          type: 'string',
          enum: ['db.t3.micro', 'db.t3.small', 'db.t3.large'],
        }),
      ),
      [],
    ],
    [
      'an enum where there was none',
      doc(withProperty('ratio', { type: 'number', enum: [0.5, 1] })),
      [{ path: `${P}/ratio/enum`, message: 'parameter "ratio": values are limited to 0.5, 1 now' }],
    ],
    [
      'a const where there was an enum',
      doc(withProperty('instanceClass', { type: 'string', const: 'db.t3.small' })),
      [
        {
          path: `${P}/instanceClass/const`,
          message: 'parameter "instanceClass": "db.t3.micro" is no longer allowed',
        },
      ],
    ],
    [
      'a pattern changed',
      doc(withProperty('databaseName', { type: 'string', pattern: '^[a-z]{1,10}$' })),
      [
        {
          path: `${P}/databaseName/pattern`,
          message:
            'parameter "databaseName": pattern changed from "^[a-z][a-z0-9_]{0,62}$" to "^[a-z]{1,10}$": values the old one accepted may be refused',
        },
      ],
    ],
    [
      'a pattern added',
      doc(withProperty('ratio', { type: 'number', pattern: '^x$' })),
      [
        {
          path: `${P}/ratio/pattern`,
          message: 'parameter "ratio": pattern "^x$" is new: values it does not match are refused',
        },
      ],
    ],
    ['a pattern removed', doc(withProperty('databaseName', { type: 'string' })), []],
    [
      'a minimum raised',
      doc(withProperty('allocatedStorage', { type: 'integer', minimum: 50, maximum: 1000 })),
      [
        {
          path: `${P}/allocatedStorage/minimum`,
          message: 'parameter "allocatedStorage": minimum 50 (was minimum 20)',
        },
      ],
    ],
    [
      'a minimum lowered',
      doc(withProperty('allocatedStorage', { type: 'integer', minimum: 5, maximum: 1000 })),
      [],
    ],
    [
      'a maximum lowered',
      doc(withProperty('allocatedStorage', { type: 'integer', minimum: 20, maximum: 500 })),
      [
        {
          path: `${P}/allocatedStorage/maximum`,
          message: 'parameter "allocatedStorage": maximum 500 (was maximum 1000)',
        },
      ],
    ],
    ['a maximum removed', doc(withProperty('allocatedStorage', { type: 'integer', minimum: 20 })), []],
    [
      'a minimum made exclusive at the same value',
      doc(withProperty('allocatedStorage', { type: 'integer', exclusiveMinimum: 20, maximum: 1000 })),
      [
        {
          path: `${P}/allocatedStorage/exclusiveMinimum`,
          message: 'parameter "allocatedStorage": exclusiveMinimum 20 (was minimum 20)',
        },
      ],
    ],
    [
      'an exclusive maximum below the old maximum',
      doc(withProperty('allocatedStorage', { type: 'integer', minimum: 20, exclusiveMaximum: 1000 })),
      [
        {
          path: `${P}/allocatedStorage/exclusiveMaximum`,
          message: 'parameter "allocatedStorage": exclusiveMaximum 1000 (was maximum 1000)',
        },
      ],
    ],
    [
      'a range added where there was none',
      doc(withProperty('ratio', { type: 'number', minimum: 0, maximum: 1 })),
      [
        { path: `${P}/ratio/minimum`, message: 'parameter "ratio": minimum 0 (was unbounded)' },
        { path: `${P}/ratio/maximum`, message: 'parameter "ratio": maximum 1 (was unbounded)' },
      ],
    ],
    [
      'a minLength raised',
      doc(
        withProperty('masterPassword', {
          type: 'string',
          minLength: 16,
          writeOnly: true,
          'x-envcat-secret': true,
        }),
      ),
      [
        {
          path: `${P}/masterPassword/minLength`,
          message: 'parameter "masterPassword": minLength 16 (was minLength 12)',
        },
      ],
    ],
    [
      'a maxLength added',
      doc(withProperty('databaseName', { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$', maxLength: 30 })),
      [
        {
          path: `${P}/databaseName/maxLength`,
          message: 'parameter "databaseName": maxLength 30 (was unbounded)',
        },
      ],
    ],
    [
      'a maxItems lowered',
      doc(withProperty('subnetIds', { type: 'array', items: { type: 'string' }, maxItems: 3 })),
      [{ path: `${P}/subnetIds/maxItems`, message: 'parameter "subnetIds": maxItems 3 (was maxItems 6)' }],
    ],
    [
      'array items narrowed',
      doc(
        withProperty('subnetIds', {
          type: 'array',
          items: { type: 'string', pattern: '^subnet-' },
          maxItems: 6,
        }),
      ),
      [
        {
          path: `${P}/subnetIds/items/pattern`,
          message: 'parameter "subnetIds[]": pattern "^subnet-" is new: values it does not match are refused',
        },
      ],
    ],
    [
      'a nested property removed and another narrowed',
      doc(
        withProperty('tags', {
          type: 'object',
          properties: { owner: { type: 'string' } },
          required: ['owner'],
        }),
      ),
      [
        {
          path: `${P}/tags/properties`,
          message: 'parameter "tags.team" is removed: requests that set it break',
        },
        {
          path: `${P}/tags/required/0`,
          message:
            'new parameter "tags.owner" is required and has no default: requests written for the previous version leave it out',
        },
      ],
    ],
    [
      'a nested maxLength lowered',
      doc(withProperty('tags', { type: 'object', properties: { team: { type: 'string', maxLength: 10 } } })),
      [
        {
          path: `${P}/tags/properties/team/maxLength`,
          message: 'parameter "tags.team": maxLength 10 (was maxLength 20)',
        },
      ],
    ],
    [
      'an output removed that nothing references',
      doc(BASE_PROPERTIES, ['databaseName'], [{ name: 'endpoint', schema: { type: 'string' } }]),
      [
        {
          path: '/spec/outputs',
          message: 'output "port" is removed: requests that take it with fromOutput break',
        },
      ],
    ],
    [
      'an output added',
      doc(BASE_PROPERTIES, ['databaseName'], [...BASE_OUTPUTS, { name: 'arn', schema: { type: 'string' } }]),
      [],
    ],
    [
      'several changes at once, in catalog.yaml order',
      doc(
        { ...withProperty('instanceClass', undefined), allocatedStorage: { type: 'integer', minimum: 30 } },
        ['databaseName'],
        [],
      ),
      [
        { path: P, message: 'parameter "instanceClass" is removed: requests that set it break' },
        {
          path: `${P}/allocatedStorage/minimum`,
          message: 'parameter "allocatedStorage": minimum 30 (was minimum 20)',
        },
        {
          path: '/spec/outputs',
          message: 'output "endpoint" is removed: requests that take it with fromOutput break',
        },
        {
          path: '/spec/outputs',
          message: 'output "port" is removed: requests that take it with fromOutput break',
        },
      ],
    ],
  ])('%s', (_case, next, expected, previous = doc()) => {
    // GIVEN the previous version's document WHEN the next one is compared with it
    const changes = breakingChanges({ previous, next });
    // THEN exactly these breaking changes are listed
    expect(changes).toEqual(expected);
  });

  it('names the running environments that reference a removed output, and only for that output', () => {
    // GIVEN environments taking the entry's outputs
    const uses: OutputUse[] = [
      { environment: 'dev-b', instance: 'db', output: 'port' },
      { environment: 'dev-a', instance: 'db', output: 'port' },
      { environment: 'dev-a', instance: 'db2', output: 'port' },
      { environment: 'dev-a', instance: 'db', output: 'port' },
      { environment: 'dev-c', instance: 'db', output: 'endpoint' },
    ];
    // WHEN a version without the output "port" is compared
    const changes = breakingChanges({
      previous: doc(),
      next: doc(BASE_PROPERTIES, ['databaseName'], [{ name: 'endpoint', schema: { type: 'string' } }]),
      outputUses: uses,
    });
    // THEN the environments are named, each once, with the instances that are read
    expect(changes).toEqual([
      {
        path: '/spec/outputs',
        message:
          'output "port" is removed: requests that take it with fromOutput break; running environments reference it: dev-a (db.port, db2.port), dev-b (db.port)',
      },
    ]);
  });
});

describe('mayBreak', () => {
  it.each<[string, string, boolean]>([
    ['1.2.0', '2.0.0', true],
    ['1.2.0', '1.3.0', false],
    ['1.2.0', '1.2.1', false],
    ['1.2.0', '2.0.0-rc.1', true],
    ['1.2.0', '1.3.0-rc.1', false],
    ['0.2.0', '0.3.0', true],
    ['0.2.0', '0.2.1', false],
    ['0.0.1', '0.0.2', true],
  ])('%s → %s: %s', (previous, next, expected) => {
    // GIVEN two versions WHEN asked whether the next may break the previous THEN semver's caret decides
    expect(mayBreak(previous, next)).toBe(expected);
  });
});
