/**
 * SecretWriter: the Secrets steps read, written from the values they refer to, on an in-memory
 * cluster that keeps Secrets by namespace/name and records what was written.
 */
import {
  validateEnvironment,
  type ResolvedEnvironment,
  type SecretPlan,
  type Step,
} from '../../src/core/index.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { SecretWriter, decodeSecretData } from '../../src/engine/secret-writer.js';
import { secretForCache } from '../../src/engine/secrets.js';
import { builtInCatalog } from '../support/examples.js';

const b64 = (value: string) => Buffer.from(value).toString('base64');
const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'shop' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

function fakeCluster(initial: KubeObject[] = []) {
  const secrets = new Map(initial.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const writes: string[] = [];
  const key = (ref: { name: string; namespace?: string }) => `${ref.namespace}/${ref.name}`;
  return {
    secrets,
    writes,
    get: async (ref: ObjectRef) => secrets.get(key(ref)),
    create: async (object: KubeObject) => {
      writes.push(`create ${key(object.metadata)}`);
      secrets.set(key(object.metadata), object);
      return object;
    },
    mergePatch: async (ref: ObjectRef, patch: Record<string, unknown>) => {
      writes.push(`patch ${key(ref)}`);
      const merged = { ...secrets.get(key(ref))!, data: patch.data };
      secrets.set(key(ref), merged);
      return merged;
    },
  };
}

const env = { name: 'shop', namespace: 'shop' } as ResolvedEnvironment;
const LABELS = { 'envcat.io/instance': 'db' };
/** The db step's parameter Secret: the password from the user's Secret, the VPC id from vpc's outputs. */
const plan: SecretPlan = {
  namespace: 'shop',
  name: 'shop-db-params',
  labels: LABELS,
  keys: [{ key: 'mode', source: { kind: 'literal', value: 'strict' } }],
  tfvars: [
    { variable: 'password', source: { kind: 'secretRef', name: 'db-creds', key: 'password' } },
    {
      variable: 'vpc_id',
      source: {
        kind: 'output',
        reference: { from: 'vpc', output: 'id', instance: 'db', parameter: 'vpc_id' },
      } as never,
    },
  ],
};
const sources = [secret('db-creds', { password: 'hunter2' }), secret('shop-vpc-outputs', { id: 'vpc-1' })];
const EXPECTED = { mode: 'strict', 'terraform.tfvars.json': '{"password":"hunter2","vpc_id":"vpc-1"}' };

describe('SecretWriter.ensure', () => {
  it('creates the Secret from its sources, labelled as planned', async () => {
    const cluster = fakeCluster(sources);
    const writer = new SecretWriter({ cluster, cached: () => undefined });
    expect(await writer.ensure(env, plan)).toBeUndefined();
    const written = cluster.secrets.get('shop/shop-db-params')!;
    expect(written.metadata.labels).toEqual(LABELS);
    expect(decodeSecretData(written)).toEqual(EXPECTED);
    expect(cluster.writes).toEqual(['create shop/shop-db-params']);
  });

  it.each([
    ['already what it should be', EXPECTED, []],
    ['with an outdated value', { ...EXPECTED, mode: 'lax' }, ['patch shop/shop-db-params']],
  ])('leaves or patches a Secret %s', async (_name, data, writes) => {
    const cluster = fakeCluster([...sources, secret('shop-db-params', data)]);
    const writer = new SecretWriter({ cluster, cached: () => undefined });
    expect(await writer.ensure(env, plan)).toBeUndefined();
    expect(cluster.writes).toEqual(writes);
    expect(decodeSecretData(cluster.secrets.get('shop/shop-db-params')!)).toEqual(EXPECTED);
  });

  it.each([
    [
      'the user Secret is missing',
      [sources[1]!],
      'Secret shop/db-creds does not exist: create it in namespace shop with the key password',
    ],
    ['it lacks the key', [secret('db-creds', {}), sources[1]!], 'Secret shop/db-creds has no key password'],
    [
      'the output Secret is missing',
      [sources[0]!],
      'Secret shop/shop-vpc-outputs does not exist: create it in namespace shop with the key id',
    ],
  ])('writes nothing when %s, and says why', async (_name, initial, message) => {
    const cluster = fakeCluster(initial);
    const writer = new SecretWriter({ cluster, cached: () => undefined });
    expect(await writer.ensure(env, plan)).toEqual({ reason: 'SecretNotFound', message });
    expect(cluster.writes).toEqual([]);
  });
});

describe('decodeSecretData', () => {
  it('decodes data over stringData', () => {
    const object = { ...secret('s', { a: 'from-data' }), stringData: { a: 'from-stringData', b: 'plain' } };
    expect(decodeSecretData(object)).toEqual({ a: 'from-data', b: 'plain' });
  });
});

describe('SecretWriter.missing', () => {
  /** A database whose password is in the user's Secret (as the API writes it): the parameter Secret itself. */
  async function database(): Promise<{ env: ResolvedEnvironment; step: Step }> {
    const { environment, plan: envPlan } = validateEnvironment(
      {
        apiVersion: 'envcat.io/v1alpha1',
        kind: 'Environment',
        metadata: { name: 'shop' },
        spec: {
          namespace: 'shop',
          type: 'release',
          catalogs: [
            {
              name: 'db',
              entry: 'rds-postgres@1.0.0',
              parameters: {
                databaseName: 'orders',
                masterPassword: { fromSecret: { name: 'shop-db-params', key: 'masterPassword' } },
              },
            },
          ],
        },
      },
      await builtInCatalog(),
    );
    return { env: environment, step: envPlan.steps.find((s) => s.id === 'db/infra')! };
  }

  it.each([
    ['whole', { masterPassword: 'x', 'terraform.tfvars.json': '{}' }, new Map(), []],
    [
      'without the key envcat derives: written again',
      { masterPassword: 'x' },
      new Map(),
      ['patch shop/shop-db-params'],
    ],
  ])('finds nothing missing when the Secret is %s', async (_name, data, expected, writes) => {
    const { env, step } = await database();
    const cluster = fakeCluster([secret('shop-db-params', data)]);
    const writer = new SecretWriter({ cluster, cached: () => undefined });
    expect(await writer.missing(env, [step])).toEqual(expected);
    expect(cluster.writes).toEqual(writes);
  });

  it('blocks the step whose Secret is gone, naming it', async () => {
    const { env, step } = await database();
    const writer = new SecretWriter({ cluster: fakeCluster(), cached: () => undefined });
    const missing = await writer.missing(env, [step]);
    expect([...missing.keys()]).toEqual(['db/infra']);
    expect(missing.get('db/infra')).toMatchObject({
      reason: 'SecretNotFound',
      message: expect.stringContaining(
        'Secret shop/shop-db-params, which holds the secret parameters of instance db, is gone',
      ),
    });
  });

  it('asks the cluster only for a Secret the cache does not hold', async () => {
    const { env, step } = await database();
    const cluster = fakeCluster([
      secret('shop-db-params', { masterPassword: 'x', 'terraform.tfvars.json': '{}' }),
    ]);
    const asked: string[] = [];
    const get = cluster.get;
    cluster.get = async (ref) => {
      asked.push(ref.name);
      return get(ref);
    };
    const cache = new Map<string, KubeObject>();
    const writer = new SecretWriter({ cluster, cached: (ref) => cache.get(ref.name) });
    // WHEN the cache has not seen it yet THEN one request finds it
    expect(await writer.missing(env, [step])).toEqual(new Map());
    expect(asked).toEqual(['shop-db-params']);
    // WHEN the cache holds it THEN no request at all
    cache.set('shop-db-params', secretForCache(cluster.secrets.get('shop/shop-db-params')!));
    asked.length = 0;
    expect(await writer.missing(env, [step])).toEqual(new Map());
    expect(asked).toEqual([]);
  });
});
