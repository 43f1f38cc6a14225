/** outputUses: which outputs of an entry committed requests take from its instances. */
import { outputUses } from '../../../src/core/environment/index.js';

const env = (name: string, catalogs: unknown) => ({ name, document: { spec: { catalogs } } });

describe('outputUses', () => {
  it.each<[string, Array<{ name: string; document: unknown }>, unknown[]]>([
    [
      'a reference to an instance of the entry',
      [
        env('dev-a', [
          { name: 'db', entry: 'rds-postgres@^1' },
          {
            name: 'app',
            entry: 'sample-app',
            parameters: { host: { fromOutput: 'db.endpoint' }, replicas: 2 },
          },
        ]),
      ],
      [{ environment: 'dev-a', instance: 'db', output: 'endpoint' }],
    ],
    [
      'references to another entry’s instance are not counted',
      [
        env('dev-b', [
          { name: 'net', entry: 'vpc' },
          { name: 'db', entry: 'rds-postgres', parameters: { vpcId: { fromOutput: 'net.vpcId' } } },
        ]),
      ],
      [],
    ],
    [
      'several environments and instances',
      [
        env('dev-c', [
          { name: 'db1', entry: 'rds-postgres' },
          { name: 'db2', entry: 'rds-postgres@1.0.0' },
          {
            name: 'app',
            entry: 'sample-app',
            parameters: { a: { fromOutput: 'db1.port' }, b: { fromOutput: 'db2.port' } },
          },
        ]),
        env('dev-d', [{ name: 'db', entry: 'rds-postgres' }]),
      ],
      [
        { environment: 'dev-c', instance: 'db1', output: 'port' },
        { environment: 'dev-c', instance: 'db2', output: 'port' },
      ],
    ],
    [
      'requests that are not well formed are read defensively',
      [
        { name: 'x', document: undefined },
        env('y', 'not a list'),
        env('z', [
          null,
          { name: 'db', entry: 'Not A Reference' },
          { name: 'app', parameters: { a: { fromOutput: 'db' } } },
        ]),
      ],
      [],
    ],
  ])('%s', (_case, environments, expected) => {
    // GIVEN committed requests WHEN the outputs of rds-postgres they take are listed THEN exactly these
    expect(outputUses({ entry: 'rds-postgres', environments })).toEqual(expected);
  });
});
