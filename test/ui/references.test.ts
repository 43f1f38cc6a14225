/** The output-reference picker offers exactly the references the server accepts. */
import { checkEnvironment, type JsonValue } from '../../src/core/index.js';
import type { JsonSchema, OutputDeclaration } from '../../src/api/contract.js';
import {
  isOutputReference,
  parseReference,
  referenceCandidates,
  referenceProblem,
  type ChosenInstance,
} from '../../src/ui/logic/references.js';
import { builtInCatalog } from '../support/examples.js';
import { asCatalogVersion } from './entries.js';

const out = (
  name: string,
  schema: JsonSchema,
  extra: Partial<OutputDeclaration> = {},
): OutputDeclaration => ({
  name,
  schema,
  ...extra,
});

const db: ChosenInstance = {
  name: 'db',
  type: 'iac',
  outputs: [
    out('endpoint', { type: 'string' }, { description: 'Host name' }),
    out('port', { type: 'integer' }),
    out('password', { type: 'string' }, { sensitive: true }),
  ],
};
const network: ChosenInstance = {
  name: 'network',
  type: 'iac',
  outputs: [out('vpcId', { type: 'string' }), out('subnetIds', { type: 'array', items: { type: 'string' } })],
};
const pgadmin: ChosenInstance = { name: 'admin', type: 'hybrid', outputs: [out('url', { type: 'string' })] };
const app: ChosenInstance = { name: 'app', type: 'yaml', outputs: [] };

const values = (list: ReturnType<typeof referenceCandidates>) => list.map((c) => c.value);

describe('referenceCandidates', () => {
  it.each<[string, ChosenInstance[], string, JsonSchema, string[]]>([
    [
      'a string parameter of an app takes string outputs of infra instances',
      [db, network, app],
      'app',
      { type: 'string' },
      ['db.endpoint', 'network.vpcId'],
    ],
    ['an integer output fits a number parameter', [db, app], 'app', { type: 'number' }, ['db.port']],
    ['a string output does not fit an integer parameter', [db, app], 'app', { type: 'integer' }, ['db.port']],
    [
      'arrays must match item types',
      [db, network, app],
      'app',
      { type: 'array', items: { type: 'string' } },
      ['network.subnetIds'],
    ],
    [
      'an array of integers does not take an array of strings',
      [network, app],
      'app',
      { type: 'array', items: { type: 'integer' } },
      [],
    ],
    [
      'a secret parameter takes only sensitive outputs',
      [db, network, app],
      'app',
      { type: 'string', writeOnly: true },
      ['db.password'],
    ],
    [
      'an enum parameter takes no free-form output',
      [db, app],
      'app',
      { type: 'string', enum: ['a', 'b'] },
      [],
    ],
    ['hybrid instances produce outputs too', [pgadmin, app], 'app', { type: 'string' }, ['admin.url']],
    ['an instance never feeds itself', [db], 'db', { type: 'string' }, []],
    [
      'an application (yaml) has no outputs to offer',
      [app, { ...app, name: 'web' }],
      'web',
      { type: 'string' },
      [],
    ],
  ])('%s', (_case, chosen, instance, schema, expected) => {
    // GIVEN the instances chosen so far WHEN a parameter of `instance` asks for candidates
    const candidates = referenceCandidates(chosen, { instance, parameter: 'p', schema });
    // THEN exactly these are offered
    expect(values(candidates)).toEqual(expected);
  });

  it('treats a parameter the API lists as secret like a writeOnly one', () => {
    const candidates = referenceCandidates([db, app], {
      instance: 'app',
      parameter: 'p',
      schema: { type: 'string' },
      secret: true,
    });
    expect(values(candidates)).toEqual(['db.password']);
  });

  it('describes each candidate for the picker', () => {
    const [first] = referenceCandidates([db, app], {
      instance: 'app',
      parameter: 'p',
      schema: { type: 'string' },
    });
    expect(first).toEqual({
      value: 'db.endpoint',
      instance: 'db',
      output: 'endpoint',
      type: 'string',
      sensitive: false,
      description: 'Host name',
    });
  });

  it('offers nothing that would close a cycle between infrastructure instances', () => {
    // GIVEN network already takes db's endpoint (db → network)
    const chain = [db, { ...network, references: { peer: 'db.endpoint' } }];
    // WHEN db asks for a string input THEN network's outputs are not offered (network → db would close it)
    expect(
      values(referenceCandidates(chain, { instance: 'db', parameter: 'p', schema: { type: 'string' } })),
    ).toEqual([]);
    // AND an application may still take both
    expect(
      values(
        referenceCandidates([...chain, app], { instance: 'app', parameter: 'p', schema: { type: 'string' } }),
      ),
    ).toEqual(['db.endpoint', 'network.vpcId']);
  });
});

describe('referenceProblem', () => {
  const target = { instance: 'app', parameter: 'p', schema: { type: 'string' } };
  it.each([
    ['db.endpoint', undefined],
    ['nope', 'must be <instance>.<output>'],
    ['cache.endpoint', 'no instance named "cache" in this environment'],
    ['db.url', '"db" has no output "url"'],
    ['db.port', 'db.port cannot feed this parameter'],
  ])('%s → %s', (reference, problem) => expect(referenceProblem([db, app], target, reference)).toBe(problem));
});

describe('reference values', () => {
  it('recognises {fromOutput} and nothing else', () => {
    expect(isOutputReference({ fromOutput: 'db.endpoint' })).toBe(true);
    expect(isOutputReference({ fromOutput: 'db.endpoint', extra: 1 })).toBe(false);
    expect(isOutputReference('db.endpoint')).toBe(false);
    expect(isOutputReference(null)).toBe(false);
  });

  it('splits a reference into instance and output', () => {
    expect(parseReference('my-db.endpoint')).toEqual({ instance: 'my-db', output: 'endpoint' });
    expect(parseReference('My.endpoint')).toBeUndefined();
  });
});

describe('referenceCandidates against the server on the built-in entries', () => {
  /** Valid values for each entry's required parameters, so that only the reference is judged. */
  const REQUIRED: Record<string, Record<string, JsonValue>> = {
    'rds-postgres': { databaseName: 'app_db' },
    'postgres-with-pgadmin': { databaseName: 'app_db', pgadminPassword: 'correct-horse-battery' },
    'datadog-agent': { apiKey: '0123456789abcdef0123456789abcdef' },
  };

  it('offers a reference exactly when the server accepts it', async () => {
    const catalog = await builtInCatalog();
    const entries = catalog.names().map((name) => asCatalogVersion(catalog.latest(name)!));
    const names = catalog.names();
    let offered = 0;
    let refused = 0;
    for (const [pi, producer] of entries.entries()) {
      if (producer.type === 'yaml') continue;
      for (const [ci, consumer] of entries.entries()) {
        const chosen: ChosenInstance[] = [
          { name: 'producer', type: producer.type, outputs: producer.outputs },
          { name: 'consumer', type: consumer.type, outputs: consumer.outputs },
        ];
        for (const [parameter, schema] of Object.entries(
          consumer.parameters.properties as Record<string, JsonSchema>,
        )) {
          const secret = consumer.secretParameters.includes(parameter);
          const candidates = values(
            referenceCandidates(chosen, { instance: 'consumer', parameter, schema, secret }),
          );
          for (const output of producer.outputs) {
            const reference = `producer.${output.name}`;
            // GIVEN an environment where the consumer takes this output for this parameter
            const document = {
              apiVersion: 'envcat.io/v1alpha1',
              kind: 'Environment',
              metadata: { name: 'refs' },
              spec: {
                type: 'pre-release',
                catalogs: [
                  { name: 'producer', entry: names[pi], parameters: REQUIRED[names[pi]!] ?? {} },
                  {
                    name: 'consumer',
                    entry: names[ci],
                    parameters: { ...(REQUIRED[names[ci]!] ?? {}), [parameter]: { fromOutput: reference } },
                  },
                ],
              },
            };
            // WHEN the server checks it
            const problems = checkEnvironment(document, catalog).problems;
            const accepted = !problems.some((p) =>
              p.path.startsWith(`/spec/catalogs/1/parameters/${parameter}`),
            );
            // THEN the picker offered it if and only if the server accepts it
            const label = `${names[pi]}.${output.name} → ${names[ci]}.${parameter}`;
            expect({ label, offered: candidates.includes(reference) }).toEqual({ label, offered: accepted });
            if (accepted) offered++;
            else refused++;
          }
        }
      }
    }
    // Both sides of the rule were exercised.
    expect(offered).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });
});
