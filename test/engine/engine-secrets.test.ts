/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), when the parameter Secret of
 * a committed step changes under it. The database's `<env>-db-params` Secret holds the master
 * password only the user has (the API wrote it) and the terraform.tfvars.json envcat derives from
 * it: without the password the step is Failed SecretNotFound, with the remedy, until the user
 * brings it back; a derived key that is missing envcat writes again. Git is not touched either way,
 * and the log says only what happened: a blocked step once, never as a committed wave, and never
 * the secret value.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { JsonValue } from '../../src/core/index.js';
import { OUTPUTS, domainRequest, useEngineHarness, type EngineHarness } from '../support/engine-harness.js';

const ENV = 'dev-secret';
const PASSWORD = 'Pw-4-engine-twin-test';
const TFVARS = 'terraform.tfvars.json';
const base64 = (text: string) => Buffer.from(text).toString('base64');

/** The domain example, its database's master password given through the API (or a reference). */
function request(masterPassword: JsonValue = PASSWORD): JsonValue {
  const document = domainRequest(ENV) as {
    spec: { catalogs: Array<{ parameters: Record<string, JsonValue> }> };
  };
  document.spec.catalogs[0]!.parameters.masterPassword = masterPassword;
  return document as unknown as JsonValue;
}

/** Every line the engine logs (pino JSON, debug and up), cleared before each test. */
const logged: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged.push(chunk.toString('utf8'));
      callback();
    },
  }),
);
beforeEach(() => {
  logged.length = 0;
});

/** The engine's log lines about the environment, by message. */
const logLines = (msg: string) =>
  logged
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes(`"environment":"${ENV}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);

interface SecretCase {
  /** What happens to dev-secret-db-params. */
  breakIt: (h: EngineHarness) => Promise<unknown>;
  /** The db step's message meanwhile; undefined: it never leaves Ready. */
  message: RegExp | undefined;
  /** How the user brings it back (nothing to do when envcat can). */
  repair: (h: EngineHarness) => Promise<unknown>;
}

const secret = (h: EngineHarness) => h.parameterSecretRef(ENV, 'db');

const cases: Array<[string, SecretCase]> = [
  [
    'deleted',
    {
      breakIt: (h) => h.cluster.delete(secret(h)),
      message: new RegExp(
        `^Secret ${ENV}/${ENV}-db-params, which holds the secret parameters of instance db, is gone: re-create it with the key masterPassword`,
      ),
      // the password only: envcat derives the rest
      repair: (h) => h.createParameterSecret(ENV, 'db', { masterPassword: PASSWORD }),
    },
  ],
  [
    'without the key the user gives',
    {
      breakIt: (h) => h.cluster.mergePatch(secret(h), { data: { masterPassword: null } }),
      message: new RegExp(
        `^Secret ${ENV}/${ENV}-db-params has no key masterPassword \\(a secret parameter of instance db\\)`,
      ),
      repair: (h) => h.cluster.mergePatch(secret(h), { data: { masterPassword: base64(PASSWORD) } }),
    },
  ],
  [
    'without the key envcat derives',
    {
      breakIt: (h) => h.cluster.mergePatch(secret(h), { data: { [TFVARS]: null } }),
      message: undefined,
      repair: async () => undefined,
    },
  ],
];

describe('Engine on the twins: the parameter Secret of a committed step', () => {
  const h = useEngineHarness({ logger });

  it.each(cases)('%s', async (_, { breakIt, message, repair }) => {
    // GIVEN a Ready environment whose database reads its password from dev-secret-db-params
    await h().create(request());
    await h().bringUp(ENV, OUTPUTS);
    const original = (await h().cluster.get(secret(h())))!.data as Record<string, string>;
    expect(Object.keys(original).sort()).toEqual(['masterPassword', TFVARS]);
    expect(logLines('wave committed')).toHaveLength(2); // (what the log says of a wave that was)
    const commits = () => [...h().commits('platform'), ...h().commits('apps')].map((c) => c.sha);
    const before = commits();
    const phases: string[] = [];
    h().engine.on('status', (name, status) => {
      if (name === ENV) phases.push(status.phase);
    });

    // WHEN the Secret is broken, and a minute passes
    await breakIt(h());
    await h().settle();
    await h().advance(60_000);

    if (message) {
      // THEN db is Failed with the remedy, the rest stays Ready, and nothing is committed
      const status = h().status(ENV);
      expect(status?.phase).toBe('Failed');
      expect(status?.failed).toMatchObject({ instance: 'db', part: 'infra', reason: 'SecretNotFound' });
      expect(status?.failed?.message).toMatch(message);
      expect(JSON.stringify(status)).not.toContain(PASSWORD);
      expect(h().steps(ENV)).toEqual([
        'db/infra: Failed SecretNotFound',
        'monitoring/apps: Ready Healthy',
        'app/apps: Ready Healthy',
      ]);
    } else {
      // THEN envcat wrote it again at once: the environment never left Ready
      expect(h().status(ENV)?.phase).toBe('Ready');
      expect(phases.filter((p) => p !== 'Ready')).toEqual([]);
    }
    expect(commits()).toEqual(before);

    // WHEN the user brings it back THEN the environment is Ready, the Secret whole again
    await repair(h());
    await h().settle();
    expect(h().status(ENV)?.phase).toBe('Ready');
    expect((await h().cluster.get(secret(h())))!.data).toEqual(original);
    expect(commits()).toEqual(before);
    // …and the log said it was blocked once (while it was), and never said the password
    expect(logLines('step blocked')).toHaveLength(message ? 1 : 0);
    expect(logged.join('')).not.toContain(PASSWORD);
  });

  it('logs a step whose Secret was never there as blocked once, and never as a committed wave', async () => {
    // GIVEN an environment whose password comes from a Secret nobody created
    await h().create(request({ fromSecret: { name: 'not-there', key: 'password' } }));
    await h().settle();

    // WHEN the engine has tried for a minute
    await h().advance(60_000);

    // THEN the step is Failed SecretNotFound, nothing of it is committed, and the log says so once
    expect(h().steps(ENV)[0]).toBe('db/infra: Failed SecretNotFound');
    expect(
      h()
        .commits('platform')
        .filter((c) => c.files.some((f) => f.includes('/infra/'))),
    ).toEqual([]);
    expect(logLines('wave committed')).toEqual([]);
    expect(logLines('step blocked')).toEqual([
      expect.objectContaining({
        reason: 'SecretNotFound',
        message: expect.stringContaining('not-there') as unknown as string,
      }),
    ]);
  });

  it('fails an apps step whose Helm chart reads a parameter Secret that is gone, until it is back', async () => {
    // GIVEN a Ready environment whose monitoring (a Helm chart) reads its API key from
    // dev-secret-monitoring-params, which the API wrote and nothing derives from
    await h().create(request());
    await h().bringUp(ENV, OUTPUTS);
    const monitoring = h().parameterSecretRef(ENV, 'monitoring');
    const original = (await h().cluster.get(monitoring))!.data as Record<string, string>;
    expect(Object.keys(original)).toEqual(['api-key']);

    // WHEN that Secret is deleted
    await h().cluster.delete(monitoring);
    await h().settle();

    // THEN monitoring is Failed with the remedy, and nothing is written back or committed
    expect(h().steps(ENV)).toEqual([
      'db/infra: Ready Available',
      'monitoring/apps: Failed SecretNotFound',
      'app/apps: Ready Healthy',
    ]);
    expect(h().status(ENV)?.failed?.message).toMatch(
      new RegExp(
        `^Secret ${ENV}/${ENV}-monitoring-params, which holds the secret parameters of instance monitoring, is gone`,
      ),
    );
    expect(await h().cluster.get(monitoring)).toBeUndefined();

    // WHEN the user brings it back THEN the environment is Ready again
    await h().cluster.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: monitoring.name,
        namespace: monitoring.namespace!,
        labels: {
          'app.kubernetes.io/managed-by': 'envcat',
          'envcat.io/environment': ENV,
          'envcat.io/instance': 'monitoring',
        },
      },
      type: 'Opaque',
      data: original,
    });
    await h().settle();
    expect(h().status(ENV)?.phase).toBe('Ready');
  });
});
