/**
 * The decision of src/engine/secrets.ts: is the parameter Secret a committed step reads still
 * whole? Table-driven, with the message checked for what it must say (the Secret, how to bring it
 * back) and must never say (a value).
 */
import type { SecretPlan } from '../../src/core/index.js';
import {
  checkParameterSecret,
  plannedKeys,
  secretForCache,
  seenSecret,
  unreadableSource,
} from '../../src/engine/secrets.js';

const NAME = 'shop-db-params';

/** The API's case: the user's values under their keys; envcat adds the tfvars key at commit. */
const fromApi: SecretPlan = {
  namespace: 'shop',
  name: NAME,
  labels: {},
  keys: [],
  tfvars: [{ variable: 'password', source: { kind: 'secretRef', name: NAME, key: 'password' } }],
};
/** A hybrid with a literal (a request from the CLI's render): every key is envcat's to write. */
const literal: SecretPlan = {
  namespace: 'shop',
  name: NAME,
  labels: {},
  keys: [{ key: 'api-key', source: { kind: 'literal', value: 'v3ry-s3cret' } }],
  tfvars: [],
};
/** Fed by a producer's sensitive output: derived only. */
const fromOutput: SecretPlan = {
  namespace: 'shop',
  name: NAME,
  labels: {},
  keys: [],
  tfvars: [
    {
      variable: 'db_password',
      source: {
        kind: 'output',
        reference: { from: 'db', output: 'password', instance: 'app', parameter: 'db_password' },
      } as never,
    },
  ],
};

describe('plannedKeys', () => {
  it.each([
    ['the API case', fromApi, { given: ['password'], derived: ['terraform.tfvars.json'] }],
    ['a literal', literal, { given: [], derived: ['api-key'] }],
    ['an output', fromOutput, { given: [], derived: ['terraform.tfvars.json'] }],
  ])('%s', (_case, plan, expected) => {
    // GIVEN a plan WHEN its keys are sorted into given and derived THEN they are these
    expect(plannedKeys(plan)).toEqual(expected);
  });
});

describe('checkParameterSecret', () => {
  it.each([
    ['whole', fromApi, ['password', 'terraform.tfvars.json'], 'ok'],
    ['gone', fromApi, undefined, 'missing'],
    ['without the key the user gave', fromApi, ['terraform.tfvars.json'], 'missing'],
    ['re-created with the user key only', fromApi, ['password'], 'rewrite'],
    ['gone, all derived', fromOutput, undefined, 'rewrite'],
    ['gone, from a literal', literal, undefined, 'rewrite'],
    ['whole, from a literal', literal, ['api-key'], 'ok'],
  ])('a Secret %s', (_case, plan, keys, kind) => {
    // GIVEN a step's plan and what the cluster holds
    const secret = keys === undefined ? undefined : { keys };
    // WHEN it is checked
    const check = checkParameterSecret({ plan, instance: 'db', secret });
    // THEN the step is ok, Failed, or its Secret is written again
    expect(check.kind).toBe(kind);
  });

  it('says which Secret is gone, what it holds and how to bring it back', () => {
    // GIVEN the API's parameter Secret, deleted
    const check = checkParameterSecret({ plan: fromApi, instance: 'db', secret: undefined });
    // THEN the message names it and its key, and says how to re-create it
    expect(check).toEqual({
      kind: 'missing',
      reason: 'SecretNotFound',
      message: expect.stringMatching(
        /^Secret shop\/shop-db-params, which holds the secret parameters of instance db, is gone: re-create it with the key password .*kubectl create secret generic shop-db-params -n shop.*or delete the environment and create it again/,
      ) as unknown as string,
    });
  });

  it('for values an update changed, says to annotate the re-created Secret with their revision', () => {
    const check = checkParameterSecret({
      plan: { ...fromApi, revision: 3 },
      instance: 'db',
      secret: undefined,
    });
    expect(check.kind === 'missing' && check.message).toContain(
      '--from-literal=<key>=<value>, then kubectl annotate secret shop-db-params -n shop envcat.io/secret-revision=3)',
    );
  });

  it('names the missing key, never a value', () => {
    const check = checkParameterSecret({ plan: fromApi, instance: 'db', secret: { keys: ['other'] } });
    expect(check.kind === 'missing' && check.message).toMatch(/has no key password/);
    const literalCheck = checkParameterSecret({ plan: literal, instance: 'db', secret: undefined });
    expect(JSON.stringify(literalCheck)).not.toContain('v3ry-s3cret');
  });
});

describe('secretForCache', () => {
  it('keeps the key names and drops every value', () => {
    // GIVEN a Secret as the API server sends it
    const cached = secretForCache({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: NAME,
        namespace: 'shop',
        resourceVersion: '7',
        labels: { a: 'b' },
        managedFields: [],
      },
      data: { password: Buffer.from('hunter2').toString('base64'), b: '' },
      type: 'Opaque',
    });
    // THEN the cache holds its identity and key names only
    expect(cached).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: NAME, namespace: 'shop', resourceVersion: '7', labels: { a: 'b' } },
      keys: ['b', 'password'],
    });
    expect(JSON.stringify(cached)).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(seenSecret(cached)).toEqual({ keys: ['b', 'password'] });
    expect(seenSecret(undefined)).toBeUndefined();
  });
});

describe('unreadableSource', () => {
  it.each([
    [
      'its own parameter Secret, gone',
      { name: NAME, key: 'password' },
      false,
      /^Secret shop\/shop-db-params, which holds the secret parameters of instance db, is gone: re-create it/,
    ],
    [
      'its own parameter Secret, without the key',
      { name: NAME, key: 'password' },
      true,
      /^Secret shop\/shop-db-params has no key password \(a secret parameter of instance db\): re-create it/,
    ],
    [
      "a user's Secret, gone",
      { name: 'theirs', key: 'pw' },
      false,
      /^Secret shop\/theirs does not exist: create it in namespace shop with the key pw$/,
    ],
    [
      "a user's Secret, without the key",
      { name: 'theirs', key: 'pw' },
      true,
      /^Secret shop\/theirs has no key pw$/,
    ],
  ])('%s', (_case, ref, exists, message) => {
    // GIVEN a source Secret the engine could not read WHEN it says why THEN the step is blocked with this
    const blocked = unreadableSource({ plan: fromApi, instance: 'db', ref, exists });
    expect(blocked.reason).toBe('SecretNotFound');
    expect(blocked.message).toMatch(message);
  });
});
