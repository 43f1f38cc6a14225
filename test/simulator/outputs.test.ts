/**
 * Simulated Terraform outputs: typed by the entry's output schema, plausible by name,
 * deterministic, and encoded into a connection Secret as provider-terraform does.
 */
import {
  connectionSecretData,
  outputValue,
  publicOutputs,
  simulateOutputs,
  type OutputContext,
  type OutputSpec,
} from '../../src/simulator/index.js';
import type { JsonSchema, JsonValue } from '../../src/core/index.js';
import { createAjv } from '../../src/core/schema/index.js';
import { builtInCatalog } from '../support/examples.js';

const rds: OutputContext = {
  workspace: 'dev-x-db',
  inputs: { region: 'eu-central-1', masterUsername: 'app_admin', databaseName: 'orders' },
  postgres: true,
};
const plain: OutputContext = { workspace: 'dev-x-store', inputs: {}, postgres: false };

describe('outputValue', () => {
  it.each<[string, OutputSpec, OutputContext, RegExp | JsonValue]>([
    [
      'a postgres endpoint',
      { name: 'endpoint', sensitive: false, schema: { type: 'string' } },
      rds,
      /^dev-x-db\.c[0-9a-f]{12}\.eu-central-1\.rds\.amazonaws\.com$/,
    ],
    [
      'another host',
      { name: 'host', sensitive: false },
      plain,
      /^dev-x-store\.[0-9a-f]{10}\.eu-west-1\.envcat\.internal$/,
    ],
    ['a postgres port', { name: 'port', sensitive: false, schema: { type: 'integer' } }, rds, 5432],
    [
      'a URL',
      { name: 'consoleUrl', sensitive: false, schema: { type: 'string' } },
      plain,
      /^https:\/\/dev-x-store\.[0-9a-f]{10}\.eu-west-1\.envcat\.internal$/,
    ],
    [
      'a VPC id with a pattern',
      { name: 'vpcId', sensitive: false, schema: { type: 'string', pattern: '^vpc-[0-9a-f]{8,17}$' } },
      plain,
      /^vpc-[0-9a-f]{17}$/,
    ],
    [
      'a bucket ARN',
      { name: 'bucketArn', sensitive: false },
      plain,
      /^arn:aws:s3:::envcat-dev-x-store-[0-9a-f]{8}$/,
    ],
    [
      'another ARN',
      { name: 'roleArn', sensitive: false },
      plain,
      /^arn:aws:role:eu-west-1:\d{12}:dev-x-store-[0-9a-f]{8}$/,
    ],
    ['a name echoed from the inputs', { name: 'databaseName', sensitive: false }, rds, 'orders'],
    ['a user name echoed from masterUsername', { name: 'username', sensitive: false }, rds, 'app_admin'],
    ['a region echoed from the inputs', { name: 'region', sensitive: false }, rds, 'eu-central-1'],
    ['a sensitive password', { name: 'password', sensitive: true }, rds, /^[A-Za-z2-9]{24}$/],
    ['a const', { name: 'engine', sensitive: false, schema: { const: 'postgres' } }, plain, 'postgres'],
    ['a boolean', { name: 'encrypted', sensitive: false, schema: { type: 'boolean' } }, plain, true],
    [
      'an integer in range',
      { name: 'count', sensitive: false, schema: { type: 'integer', minimum: 3, maximum: 5 } },
      plain,
      /^[345]$/,
    ],
    [
      'a pattern the name rule misses, with an example',
      { name: 'zone', sensitive: false, schema: { type: 'string', pattern: '^z-\\d$', examples: ['z-1'] } },
      plain,
      'z-1',
    ],
    ['an untyped string', { name: 'fingerprint', sensitive: false }, plain, 'dev-x-store-fingerprint'],
  ])('GIVEN %s THEN a plausible value', (_case, spec, ctx, expected) => {
    const value = outputValue(spec, ctx);
    if (expected instanceof RegExp) expect(String(value)).toMatch(expected);
    else expect(value).toEqual(expected);
  });

  it('GIVEN a port of something else THEN a stable unprivileged number', () => {
    const port = outputValue({ name: 'port', sensitive: false }, plain);
    expect(typeof port).toBe('number');
    expect(port).toBeGreaterThanOrEqual(1024);
    expect(port).toBeLessThanOrEqual(49151);
    expect(outputValue({ name: 'port', sensitive: false }, plain)).toBe(port);
  });

  it('GIVEN an array of subnet ids THEN two ids of the item schema', () => {
    const value = outputValue(
      {
        name: 'privateSubnetIds',
        sensitive: false,
        schema: { type: 'array', items: { type: 'string', pattern: '^subnet-[0-9a-f]{8,17}$' } },
      },
      plain,
    ) as string[];
    expect(value).toHaveLength(2);
    for (const id of value) expect(id).toMatch(/^subnet-[0-9a-f]{17}$/);
    expect(value[0]).not.toBe(value[1]);
  });

  it('GIVEN an untyped plural id THEN a list of ids', () => {
    expect(outputValue({ name: 'securityGroupIds', sensitive: false }, plain)).toEqual([
      expect.stringMatching(/^group-[0-9a-f]{17}$/),
      expect.stringMatching(/^group-[0-9a-f]{17}$/),
    ]);
  });

  it('GIVEN an enum THEN one of its values', () => {
    expect(['a', 'b']).toContain(
      outputValue({ name: 'tier', sensitive: false, schema: { type: 'string', enum: ['a', 'b'] } }, plain),
    );
  });

  it('GIVEN the same Workspace twice THEN the same values; another Workspace THEN others', () => {
    const specs: OutputSpec[] = [
      { name: 'endpoint', sensitive: false },
      { name: 'password', sensitive: true },
    ];
    expect(simulateOutputs(specs, rds)).toEqual(simulateOutputs(specs, { ...rds }));
    const other = simulateOutputs(specs, { ...rds, workspace: 'dev-y-db' });
    expect(other.endpoint).not.toEqual(simulateOutputs(specs, rds).endpoint);
    expect(other.password).not.toEqual(simulateOutputs(specs, rds).password);
  });
});

describe('the built-in catalog entries', () => {
  it('get values that validate against every declared output schema', async () => {
    const catalog = await builtInCatalog();
    const ajv = createAjv({ strict: false });
    const entries = catalog.entries().filter((e) => (e.document.spec.outputs ?? []).length > 0);
    expect(entries.length).toBeGreaterThanOrEqual(4);
    for (const entry of entries) {
      const specs = (entry.document.spec.outputs ?? []).map((o) => ({
        name: o.name,
        sensitive: o.sensitive === true,
        schema: o.schema as JsonSchema,
      }));
      const values = simulateOutputs(specs, {
        workspace: `dev-${entry.name}`,
        inputs: {},
        postgres: entry.name.includes('postgres'),
      });
      for (const spec of specs) {
        const validate = ajv.compile(spec.schema);
        expect({ entry: entry.name, output: spec.name, valid: validate(values[spec.name]) }).toEqual({
          entry: entry.name,
          output: spec.name,
          valid: true,
        });
      }
    }
  });
});

describe('publicOutputs and connectionSecretData', () => {
  const specs: OutputSpec[] = [
    { name: 'endpoint', sensitive: false },
    { name: 'port', sensitive: false },
    { name: 'password', sensitive: true },
    { name: 'subnets', sensitive: false },
  ];
  const values: Record<string, JsonValue> = {
    endpoint: 'db.example.internal',
    port: 5432,
    password: 's3cr3t-Value',
    subnets: ['subnet-1', 'subnet-2'],
  };

  it('GIVEN sensitive and other outputs THEN status shows only the non-sensitive ones', () => {
    expect(publicOutputs(specs, values)).toEqual({
      endpoint: 'db.example.internal',
      port: 5432,
      subnets: ['subnet-1', 'subnet-2'],
    });
  });

  it('GIVEN every output THEN the Secret holds strings as raw bytes and the rest JSON-encoded, base64', () => {
    const data = connectionSecretData(values);
    const decoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
    expect(decoded).toEqual({
      endpoint: 'db.example.internal',
      password: 's3cr3t-Value',
      port: '5432',
      subnets: '["subnet-1","subnet-2"]',
    });
  });
});
