/** planEdges: each edge of the plan with the outputs the waiting step reads through it. */
import { checkEnvironment, planEdges, type Catalog, type PlanEdge } from '../../../src/core/index.js';
import { builtInCatalog } from '../../support/examples.js';

const PASSWORD = 'correct-horse-battery-staple';

function edgesOf(catalogs: object[]): PlanEdge[] {
  const check = checkEnvironment(
    {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'dev-graph' },
      spec: { type: 'pre-release', catalogs },
    },
    catalog,
  );
  expect(check.problems).toEqual([]);
  return planEdges(check.environment!, check.plan!);
}

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

describe('planEdges', () => {
  it.each<[string, object[], PlanEdge[]]>([
    [
      'an app reading a database endpoint: the edge carries db.endpoint',
      [
        { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'orders' } },
        { name: 'app', entry: 'sample-app', parameters: { databaseEndpoint: { fromOutput: 'db.endpoint' } } },
      ],
      [{ from: 'db/infra', to: 'app/apps', outputs: ['db.endpoint'] }],
    ],
    [
      'two outputs of one producer on one edge, sorted',
      [
        { name: 'network', entry: 'vpc@^1', parameters: { cidrBlock: '10.20.0.0/16' } },
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: {
            databaseName: 'orders',
            vpcId: { fromOutput: 'network.vpcId' },
            subnetIds: { fromOutput: 'network.privateSubnetIds' },
          },
        },
      ],
      [{ from: 'network/infra', to: 'db/infra', outputs: ['network.privateSubnetIds', 'network.vpcId'] }],
    ],
    [
      'a hybrid: its Terraform reads the VPC, its own apps read the outputs its values use, an app reads its endpoint',
      [
        { name: 'network', entry: 'vpc@^1', parameters: { cidrBlock: '10.20.0.0/16' } },
        {
          name: 'data',
          entry: 'postgres-with-pgadmin@^1',
          parameters: {
            databaseName: 'orders',
            pgadminPassword: PASSWORD,
            vpcId: { fromOutput: 'network.vpcId' },
          },
        },
        {
          name: 'app',
          entry: 'sample-app',
          parameters: { databaseEndpoint: { fromOutput: 'data.endpoint' } },
        },
      ],
      [
        { from: 'network/infra', to: 'data/infra', outputs: ['network.vpcId'] },
        { from: 'data/infra', to: 'data/apps', outputs: ['data.endpoint', 'data.port', 'data.username'] },
        { from: 'data/infra', to: 'app/apps', outputs: ['data.endpoint'] },
      ],
    ],
    [
      'instances that read nothing from each other: no edges',
      [
        { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'orders' } },
        { name: 'app', entry: 'sample-app', parameters: {} },
      ],
      [],
    ],
  ])('%s', (_title, catalogs, expected) => {
    // GIVEN a valid request WHEN its plan's edges are listed THEN each names what it carries
    expect(edgesOf(catalogs)).toEqual(expect.arrayContaining(expected));
    expect(edgesOf(catalogs)).toHaveLength(expected.length);
  });
});
