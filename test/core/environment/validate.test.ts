/** Environment request validation: every bad input gets its own row with the exact pointer. */
import {
  checkEnvironment,
  environmentSchema,
  validateEnvironment,
  InputError,
  type JsonValue,
  type Catalog,
} from '../../../src/core/index.js';
import { createAjv } from '../../../src/core/schema/index.js';
import { builtInCatalog } from '../../support/examples.js';

const API_KEY = '0123456789abcdef0123456789abcdef';
const PASSWORD = 'correct-horse-battery-staple';

function request(
  overrides: { metadata?: object; spec?: object; catalogs?: object[] } = {},
): Record<string, JsonValue> {
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'dev-feature-auth', ...overrides.metadata },
      spec: {
        namespace: 'dev-feature-auth',
        type: 'pre-release',
        description: 'Auth feature work',
        ttl: '24h',
        catalogs: overrides.catalogs ?? [
          {
            name: 'db',
            entry: 'rds-postgres@^1',
            parameters: { databaseName: 'feature_auth_db', allocatedStorage: 20 },
          },
          { name: 'monitoring', entry: 'datadog-agent', parameters: { apiKey: API_KEY } },
          {
            name: 'app',
            entry: 'sample-app',
            parameters: { replicas: 2, databaseEndpoint: { fromOutput: 'db.endpoint' } },
          },
        ],
        ...overrides.spec,
      },
    }),
  );
}

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

describe('a valid request', () => {
  it('takes spec.timeouts, each part with its default when left out', () => {
    // GIVEN a request with an apps timeout only WHEN it is validated
    const doc = request();
    (doc.spec as Record<string, JsonValue>).timeouts = { apps: '90s' };
    const check = checkEnvironment(doc, catalog);
    // THEN apps takes it and infra keeps its default
    expect(check.problems).toEqual([]);
    expect(check.environment?.timeouts).toEqual({ infra: 1800, apps: 90 });
  });

  it('resolves entries, applies defaults, separates secrets and references', () => {
    // GIVEN the domain example WHEN it is validated
    const check = checkEnvironment(request(), catalog);
    // THEN there are no problems and the instances carry what rendering needs
    expect(check.problems).toEqual([]);
    const env = check.environment!;
    expect(env.namespace).toBe('dev-feature-auth');
    expect(env.ttlSeconds).toBe(86400);
    expect(env.timeouts).toEqual({ infra: 1800, apps: 600 });
    const [db, monitoring, app] = env.instances;
    expect(db!.entry.version).toBe('1.0.0');
    expect(db!.values).toMatchObject({
      databaseName: 'feature_auth_db',
      allocatedStorage: 20,
      instanceClass: 'db.t3.micro',
    });
    expect(monitoring!.values).not.toHaveProperty('apiKey');
    expect(monitoring!.secrets.apiKey).toEqual({ kind: 'literal', value: API_KEY });
    expect(app!.references.databaseEndpoint).toMatchObject({
      from: 'db',
      output: 'endpoint',
      sensitive: false,
    });
    expect(app!.values).not.toHaveProperty('databaseEndpoint');
  });

  it('never keeps a secret value in the document that goes to Git', () => {
    // GIVEN a request with a secret parameter WHEN validated
    const check = checkEnvironment(request(), catalog);
    // THEN the document holds a reference to the Secret instead of the value
    expect(JSON.stringify(check.environment!.document)).not.toContain(API_KEY);
    expect(check.environment!.document.spec.catalogs[1]!.parameters!.apiKey).toEqual({
      fromSecret: { name: 'dev-feature-auth-monitoring-params', key: 'api-key' },
    });
  });

  it('defaults the namespace to the environment name', () => {
    const doc = request();
    delete (doc.spec as Record<string, JsonValue>).namespace;
    expect(checkEnvironment(doc, catalog).environment!.namespace).toBe('dev-feature-auth');
  });

  it('accepts a fromSecret reference for a secret parameter', () => {
    const check = checkEnvironment(
      request({
        catalogs: [
          {
            name: 'monitoring',
            entry: 'datadog-agent',
            parameters: { apiKey: { fromSecret: { name: 'dd-creds', key: 'api-key' } } },
          },
        ],
      }),
      catalog,
    );
    expect(check.problems).toEqual([]);
    expect(check.environment!.instances[0]!.secrets.apiKey).toEqual({
      kind: 'secretRef',
      name: 'dd-creds',
      key: 'api-key',
    });
  });

  it('lets a sensitive output feed a secret parameter', () => {
    const check = checkEnvironment(
      request({
        catalogs: [
          { name: 'db', entry: 'rds-postgres', parameters: { databaseName: 'app' } },
          {
            name: 'app',
            entry: 'sample-app',
            parameters: { databasePassword: { fromOutput: 'db.password' } },
          },
        ],
      }),
      catalog,
    );
    expect(check.problems).toEqual([]);
    expect(check.environment!.instances[1]!.secrets.databasePassword).toMatchObject({
      kind: 'output',
      reference: { from: 'db', output: 'password', sensitive: true },
    });
  });

  it('validateEnvironment throws one InputError carrying every problem', () => {
    const doc = request({ metadata: { name: 'Bad_Name' }, spec: { ttl: 'forever' } });
    expect(() => validateEnvironment(doc, catalog)).toThrow(InputError);
    try {
      validateEnvironment(doc, catalog);
    } catch (error) {
      expect((error as InputError).code).toBe('INVALID_INPUT');
      expect((error as InputError).problems.map((p) => p.path)).toEqual(['/metadata/name', '/spec/ttl']);
    }
  });
});

type Mutation = (doc: Record<string, JsonValue>) => void;
const spec = (doc: Record<string, JsonValue>) => doc.spec as Record<string, JsonValue>;
const instance = (doc: Record<string, JsonValue>, i: number) =>
  (spec(doc).catalogs as Array<Record<string, JsonValue>>)[i]!;
const params = (doc: Record<string, JsonValue>, i: number) =>
  instance(doc, i).parameters as Record<string, JsonValue>;

const cases: Array<[string, Mutation, string, string | RegExp]> = [
  ['wrong apiVersion', (d) => (d.apiVersion = 'envcat.io/v1'), '/apiVersion', 'must be "envcat.io/v1alpha1"'],
  ['wrong kind', (d) => (d.kind = 'Env'), '/kind', 'must be "Environment"'],
  ['unknown top-level field', (d) => (d.extra = 1), '/extra', 'is not a known property'],
  ['missing spec.type', (d) => delete spec(d).type, '/spec/type', 'is required'],
  [
    'bad spec.type',
    (d) => (spec(d).type = 'staging'),
    '/spec/type',
    'must be one of: "pre-release", "release"',
  ],
  ['no catalogs', (d) => (spec(d).catalogs = []), '/spec/catalogs', 'must have at least one item'],
  [
    'environment name not DNS-1123',
    (d) => ((d.metadata as Record<string, JsonValue>).name = 'Dev_Env'),
    '/metadata/name',
    /DNS-1123 label/,
  ],
  [
    'environment name with a path',
    (d) => ((d.metadata as Record<string, JsonValue>).name = '../etc'),
    '/metadata/name',
    /DNS-1123 label/,
  ],
  [
    'environment name with a slash',
    (d) => ((d.metadata as Record<string, JsonValue>).name = 'a/b'),
    '/metadata/name',
    /DNS-1123 label/,
  ],
  [
    'environment name with a control character',
    (d) => ((d.metadata as Record<string, JsonValue>).name = 'dev\u0000x'),
    '/metadata/name',
    /DNS-1123 label/,
  ],
  ['namespace not DNS-1123', (d) => (spec(d).namespace = 'Dev.NS'), '/spec/namespace', /DNS-1123 label/],
  [
    'reserved namespace',
    (d) => (spec(d).namespace = 'kube-system'),
    '/spec/namespace',
    'namespace "kube-system" is reserved',
  ],
  [
    'argocd namespace',
    (d) => (spec(d).namespace = 'argocd'),
    '/spec/namespace',
    'namespace "argocd" is reserved',
  ],
  [
    'bad ttl',
    (d) => (spec(d).ttl = '1 day'),
    '/spec/ttl',
    'must be a duration such as 30m, 24h, 7d or 1d12h',
  ],
  ['ttl too short', (d) => (spec(d).ttl = '10s'), '/spec/ttl', /must be between 60s and 90d/],
  ['ttl too long', (d) => (spec(d).ttl = '365d'), '/spec/ttl', /must be between 60s and 90d/],
  [
    'bad apps timeout',
    (d) => (spec(d).timeouts = { apps: 'soon' }),
    '/spec/timeouts/apps',
    'must be a duration such as 90s, 10m, 1h or 1h30m',
  ],
  [
    'infra timeout too long',
    (d) => (spec(d).timeouts = { infra: '30d' }),
    '/spec/timeouts/infra',
    /between 1s and 7d/,
  ],
  ['unknown timeout part', (d) => (spec(d).timeouts = { db: '1m' }), '/spec/timeouts/db', /./],
  [
    'bad label value',
    (d) => ((d.metadata as Record<string, JsonValue>).labels = { team: 'a b' }),
    '/metadata/labels/team',
    'is not a valid label value',
  ],
  [
    'bad annotation key',
    (d) => ((d.metadata as Record<string, JsonValue>).annotations = { 'a b': 'x' }),
    '/metadata/annotations/a b',
    'is not a valid Kubernetes key',
  ],
  [
    'label key whose name part is longer than 63 characters',
    (d) => ((d.metadata as Record<string, JsonValue>).labels = { [`example.com/${'k'.repeat(64)}`]: 'x' }),
    `/metadata/labels/example.com~1${'k'.repeat(64)}`,
    'is not a valid Kubernetes key',
  ],
  [
    'instance name not DNS-1123',
    (d) => (instance(d, 0).name = 'DB'),
    '/spec/catalogs/0/name',
    /DNS-1123 label/,
  ],
  ['instance name with ..', (d) => (instance(d, 0).name = '..'), '/spec/catalogs/0/name', /DNS-1123 label/],
  [
    'instance name too long for a Helm release',
    (d) => (instance(d, 2).name = 'a'.repeat(54)),
    '/spec/catalogs/2/name',
    'must be at most 53 characters (got 54)',
  ],
  [
    'environment and instance names too long together',
    (d) =>
      ((d.metadata as Record<string, JsonValue>).name = 'e'.repeat(40)) &&
      (instance(d, 2).name = 'a'.repeat(30)),
    '/spec/catalogs/2/name',
    /must be at most 63 characters/,
  ],
  [
    'duplicate instance name',
    (d) => (instance(d, 1).name = 'db'),
    '/spec/catalogs/1/name',
    'duplicates the instance name of /spec/catalogs/0',
  ],
  [
    'unknown entry',
    (d) => (instance(d, 0).entry = 'oracle'),
    '/spec/catalogs/0/entry',
    'no catalog entry named "oracle"',
  ],
  [
    'no version matching the range',
    (d) => (instance(d, 0).entry = 'rds-postgres@^2'),
    '/spec/catalogs/0/entry',
    'no version of "rds-postgres" matches "^2" (published: 1.0.0)',
  ],
  [
    'not a semver range',
    (d) => (instance(d, 0).entry = 'rds-postgres@latest!'),
    '/spec/catalogs/0/entry',
    '"latest!" is not a semver range',
  ],
  [
    'malformed entry reference',
    (d) => (instance(d, 0).entry = 'RDS'),
    '/spec/catalogs/0/entry',
    'must be <entry name> or <entry name>@<semver range>',
  ],
  [
    'missing required parameter',
    (d) => delete params(d, 0).databaseName,
    '/spec/catalogs/0/parameters/databaseName',
    'Database name is required',
  ],
  [
    'unknown parameter',
    (d) => (params(d, 0).databaseNmae = 'x'),
    '/spec/catalogs/0/parameters/databaseNmae',
    'is not a known property',
  ],
  [
    'parameter of the wrong type',
    (d) => (params(d, 0).allocatedStorage = '20'),
    '/spec/catalogs/0/parameters/allocatedStorage',
    'must be a whole number',
  ],
  [
    'parameter out of range',
    (d) => (params(d, 0).allocatedStorage = 5),
    '/spec/catalogs/0/parameters/allocatedStorage',
    'must be at least 20',
  ],
  [
    'parameter not in enum',
    (d) => (params(d, 0).instanceClass = 'db.m5.24xlarge'),
    '/spec/catalogs/0/parameters/instanceClass',
    'must be one of: "db.t3.micro", "db.t3.small"',
  ],
  [
    'parameter not matching its pattern',
    (d) => (params(d, 0).databaseName = 'Feature-DB'),
    '/spec/catalogs/0/parameters/databaseName',
    // the entry's own message (x-envcat-messages), not the pattern
    'must be lower-case letters, digits and _, start with a letter, and be at most 63 characters',
  ],
  [
    'secret too short',
    (d) => (params(d, 0).masterPassword = 'short'),
    '/spec/catalogs/0/parameters/masterPassword',
    'must be at least 12 characters long',
  ],
  [
    'reference to an unknown instance',
    (d) => (params(d, 2).databaseEndpoint = { fromOutput: 'database.endpoint' }),
    '/spec/catalogs/2/parameters/databaseEndpoint/fromOutput',
    'no instance named "database" in this environment',
  ],
  [
    'reference to an unknown output',
    (d) => (params(d, 2).databaseEndpoint = { fromOutput: 'db.hostname' }),
    '/spec/catalogs/2/parameters/databaseEndpoint/fromOutput',
    /has no output "hostname" \(outputs: endpoint, port, username, password/,
  ],
  [
    'malformed reference',
    (d) => (params(d, 2).databaseEndpoint = { fromOutput: 'db' }),
    '/spec/catalogs/2/parameters/databaseEndpoint/fromOutput',
    'must be <instance>.<output>',
  ],
  [
    'reference from an unknown parameter',
    (d) => (params(d, 2).dbHost = { fromOutput: 'db.endpoint' }),
    '/spec/catalogs/2/parameters/dbHost',
    /is not a parameter of sample-app@1.0.0/,
  ],
  [
    'reference to its own output',
    (d) => (params(d, 0).vpcId = { fromOutput: 'db.endpoint' }),
    '/spec/catalogs/0/parameters/vpcId/fromOutput',
    /cannot take its own output/,
  ],
  [
    'output type does not fit the parameter',
    (d) => (params(d, 2).replicas = { fromOutput: 'db.endpoint' }),
    '/spec/catalogs/2/parameters/replicas/fromOutput',
    'db.endpoint cannot feed replicas: output type string does not fit parameter type integer',
  ],
  [
    'output cannot satisfy an enum',
    (d) => (params(d, 2).logLevel = { fromOutput: 'db.endpoint' }),
    '/spec/catalogs/2/parameters/logLevel/fromOutput',
    /accepts only listed values/,
  ],
  [
    'sensitive output into a plain parameter',
    (d) => (params(d, 2).databaseEndpoint = { fromOutput: 'db.password' }),
    '/spec/catalogs/2/parameters/databaseEndpoint/fromOutput',
    'output db.password is sensitive and may only feed a secret parameter',
  ],
  [
    'plain output into a secret parameter',
    (d) => (params(d, 2).databasePassword = { fromOutput: 'db.endpoint' }),
    '/spec/catalogs/2/parameters/databasePassword/fromOutput',
    /is secret and takes only a literal, a fromSecret or a sensitive output/,
  ],
  [
    'fromSecret on a plain parameter',
    (d) => (params(d, 0).databaseName = { fromSecret: { name: 's', key: 'k' } }),
    '/spec/catalogs/0/parameters/databaseName',
    'fromSecret is only for secret parameters',
  ],
  [
    'malformed fromSecret',
    (d) => (params(d, 1).apiKey = { fromSecret: { name: 's' } }),
    '/spec/catalogs/1/parameters/apiKey/fromSecret',
    'must be { name, key } of a Secret in the environment namespace',
  ],
  [
    'fromSecret naming no valid Secret',
    (d) => (params(d, 1).apiKey = { fromSecret: { name: '../x', key: 'k' } }),
    '/spec/catalogs/1/parameters/apiKey/fromSecret',
    'names no valid Secret and key',
  ],
];

describe('an invalid request', () => {
  it.each(cases)('%s', (_name, mutate, path, message) => {
    // GIVEN the valid example with one mistake
    const doc = request();
    mutate(doc);
    // WHEN it is validated
    const check = checkEnvironment(doc, catalog);
    // THEN nothing is resolved and the problem names the field
    expect(check.environment).toBeUndefined();
    const problem = check.problems.find((p) => p.path === path);
    expect(problem).toBeDefined();
    if (typeof message === 'string') expect(problem!.message).toBe(message);
    else expect(problem!.message).toMatch(message);
  });

  it('reports an IaC step that refers to an application', () => {
    // GIVEN an s3 bucket (infrastructure) whose name comes from an app instance
    const doc = request({
      catalogs: [
        { name: 'app', entry: 'sample-app' },
        { name: 'bucket', entry: 's3-bucket', parameters: { bucketName: { fromOutput: 'app.url' } } },
      ],
    });
    // WHEN validated THEN the reference is rejected at its pointer
    expect(checkEnvironment(doc, catalog).problems).toEqual([
      {
        path: '/spec/catalogs/1/parameters/bucketName/fromOutput',
        message:
          '"app" is an application (sample-app, type yaml) and has no outputs: an infrastructure step cannot depend on an application',
      },
    ]);
  });

  it('reports a reference cycle between infrastructure steps', () => {
    // GIVEN a VPC named after the database's user and a database placed in that VPC
    const doc = request({
      catalogs: [
        { name: 'network', entry: 'vpc', parameters: { name: { fromOutput: 'db.username' } } },
        {
          name: 'db',
          entry: 'rds-postgres',
          parameters: { databaseName: 'app', vpcId: { fromOutput: 'network.vpcId' } },
        },
      ],
    });
    // WHEN validated THEN one problem names the cycle at a reference that closes it
    const problems = checkEnvironment(doc, catalog).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toMatch(/^\/spec\/catalogs\/[01]\/parameters\/(name|vpcId)\/fromOutput$/);
    expect(problems[0]!.message).toMatch(
      /^references form a cycle: (network → db → network|db → network → db)$/,
    );
  });

  it('reports every problem at once', () => {
    // GIVEN three independent mistakes
    const doc = request();
    params(doc, 0).allocatedStorage = 1;
    instance(doc, 1).entry = 'nope';
    params(doc, 2).databaseEndpoint = { fromOutput: 'db.nothing' };
    // WHEN validated THEN all three are reported
    expect(checkEnvironment(doc, catalog).problems.map((p) => p.path)).toEqual([
      '/spec/catalogs/1/entry',
      '/spec/catalogs/0/parameters/allocatedStorage',
      '/spec/catalogs/2/parameters/databaseEndpoint/fromOutput',
    ]);
  });

  it.each([
    ['request bytes', { maxRequestBytes: 200 }, '', /request is \d+ bytes; the limit is 200/],
    ['instances', { maxInstances: 2 }, '/spec/catalogs', 'has 3 instances; the limit is 2'],
    [
      'parameter bytes',
      { maxParameterBytes: 10 },
      '/spec/catalogs/0/parameters',
      /parameters take \d+ bytes; the limit is 10/,
    ],
  ])('enforces the limit on %s', (_what, limits, path, message) => {
    const problem = checkEnvironment(request(), catalog, { limits }).problems.find((p) => p.path === path);
    expect(problem?.message).toMatch(message);
  });

  it.each(['Bad_Name', '../etc', 'x/y', 'dev\u0000x'])(
    'reports a bad name %j once when the namespace defaults to it',
    (name) => {
      // GIVEN a bad metadata.name and no spec.namespace (so the namespace is that name too)
      const doc = request({ metadata: { name } });
      delete (doc.spec as Record<string, JsonValue>).namespace;
      // WHEN validated THEN one problem, at /metadata/name
      expect(checkEnvironment(doc, catalog).problems).toEqual([
        { path: '/metadata/name', message: expect.stringMatching(/DNS-1123 label/) },
      ]);
    },
  );

  it('refuses a document nested past the limit before anything recursive walks it', () => {
    // GIVEN a request whose parameters nest 10,000 levels (an object built in memory, not parsed)
    let deep: JsonValue = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const doc = request();
    params(doc, 0).tags = deep;
    // WHEN validated THEN one problem at the pointer where the limit was crossed, no RangeError
    expect(checkEnvironment(doc, catalog).problems).toEqual([
      {
        path: `/spec/catalogs/0/parameters/tags${'/0'.repeat(59)}`,
        message: 'nests deeper than 64 levels',
      },
    ]);
  });

  it('never echoes a secret value in a problem', () => {
    // GIVEN a secret that violates its pattern
    const secret = 'NOT-A-HEX-KEY-but-a-secret-value';
    const doc = request();
    params(doc, 1).apiKey = secret;
    params(doc, 0).masterPassword = 'tiny';
    // WHEN validated THEN the problems name the fields but not the values
    const problems = checkEnvironment(doc, catalog).problems;
    expect(problems.map((p) => p.path)).toEqual([
      '/spec/catalogs/0/parameters/masterPassword',
      '/spec/catalogs/1/parameters/apiKey',
    ]);
    expect(JSON.stringify(problems)).not.toContain(secret);
    expect(JSON.stringify(problems)).not.toContain('tiny');
    void PASSWORD;
  });
});

describe('the environment schema', () => {
  it('is a valid JSON Schema (validate.ts compiles it without checking it against the meta-schema)', () => {
    const ajv = createAjv({ strict: false });

    expect(ajv.validateSchema(environmentSchema)).toBe(true);
    expect(ajv.errors).toBeNull();
  });
});
