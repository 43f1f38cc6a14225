/**
 * What the composition function does for a real cluster's controllers, through its real gRPC server:
 * - Usages (protection.crossplane.io/v1beta1) that make Crossplane destroy a database's Workspace
 *   before the VPC's it lives in when the XR is deleted (functions/usage.ts);
 * - a resource composed again from what was observed carries none of the finalizers, labels and
 *   annotations the provider, Crossplane or Argo CD added (functions/adapt.ts asObserved).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlDocument } from '../../src/core/index.js';
import { EnvcatFunction } from '../../functions/function.js';
import { REPO_ROOT } from '../support/examples.js';
import {
  applicationObserved,
  compositionInput,
  desiredResources,
  environmentObjectObserved,
  observedFrom,
  request,
  startFunction,
  workspaceObserved,
  type Obj,
  type RunningFunction,
} from './support.js';

const NOW = new Date('2025-01-01T01:00:00Z');
const VPC_OUTPUTS = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0a1b2c3d4e5f67891'],
  publicSubnetIds: ['subnet-0f1e2d3c4b5a69788'],
  cidrBlock: '10.20.0.0/16',
};

let fn: RunningFunction;
beforeAll(async () => {
  fn = await startFunction(new EnvcatFunction({ now: () => NOW }));
});
afterAll(() => fn.close());

/** catalogs/rds-postgres/examples/with-vpc.yaml as an Environment XR (namespaced, or cluster-scoped). */
function vpcXr(scope: 'Namespaced' | 'Cluster'): Obj {
  const request = parseYamlDocument(
    readFileSync(join(REPO_ROOT, 'catalogs', 'rds-postgres', 'examples', 'with-vpc.yaml'), 'utf8'),
  ) as { metadata: { name: string }; spec: Obj & { namespace: string } };
  const { namespace, ...spec } = request.spec;
  return {
    apiVersion: 'platform.envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: {
      name: request.metadata.name,
      ...(scope === 'Namespaced' ? { namespace } : {}),
      uid: 'xr-uid',
      generation: 1,
      creationTimestamp: '2025-01-01T00:00:00Z',
    },
    spec: scope === 'Namespaced' ? spec : { ...spec, namespace },
  };
}

function input(workspaceApi: 'namespaced' | 'cluster'): Obj {
  const base = compositionInput();
  return { ...base, render: { ...(base.render as Obj), workspaceApi } };
}

/** Runs reconciles as Crossplane would, the Workspaces turning Available, until both waves are composed. */
async function bothWaves(xr: Obj, workspaceApi: 'namespaced' | 'cluster' = 'namespaced') {
  const first = await fn.run(request({ xr, input: input(workspaceApi) }));
  const observed: Record<string, Obj> = {};
  for (const [key, object] of Object.entries(observedFrom(first)))
    observed[key] =
      key === 'infra-network'
        ? workspaceObserved(object, 'available', VPC_OUTPUTS)
        : environmentObjectObserved(object);
  const second = await fn.run(request({ xr, observed, input: input(workspaceApi) }));
  return { first, second, observed };
}

describe('Usages: the VPC is kept while the database in it exists', () => {
  it('composes a Usage of the VPC Workspace by the database Workspace once both are composed', async () => {
    // GIVEN the VPC Available WHEN the function composes the database's wave
    const { first, second } = await bothWaves(vpcXr('Namespaced'));
    const resources = desiredResources(second);
    // THEN there was none while only the VPC was composed (its `by` Workspace did not exist)…
    expect(Object.keys(desiredResources(first)).filter((k) => k.startsWith('usage-'))).toEqual([]);
    // …and now a Usage in the environment's namespace says the database's Workspace uses the VPC's
    expect(Object.keys(resources).sort()).toEqual([
      'env-networkpolicy-envcat-isolate-namespace',
      'infra-db',
      'infra-network',
      'usage-network-by-db',
    ]);
    expect(resources['usage-network-by-db']).toEqual({
      ready: 'READY_FALSE',
      resource: {
        apiVersion: 'protection.crossplane.io/v1beta1',
        kind: 'Usage',
        metadata: {
          name: 'dev-orders-db-db-uses-network',
          namespace: 'dev-orders-db',
          labels: {
            'app.kubernetes.io/managed-by': 'envcat',
            'envcat.io/environment': 'dev-orders-db',
            'envcat.io/instance': 'db',
          },
        },
        spec: {
          of: {
            apiVersion: 'tf.m.upbound.io/v1beta1',
            kind: 'Workspace',
            resourceRef: { name: 'dev-orders-db-network' },
          },
          by: {
            apiVersion: 'tf.m.upbound.io/v1beta1',
            kind: 'Workspace',
            resourceRef: { name: 'dev-orders-db-db' },
          },
          reason: 'dev-orders-db-db is provisioned inside dev-orders-db-network: destroy it first',
          replayDeletion: true,
        },
      },
    });
    // AND the names it refers to are the Workspaces composed beside it
    const name = (key: string) => (resources[key]?.resource.metadata as { name: string }).name;
    const spec = resources['usage-network-by-db']?.resource.spec as Record<
      string,
      { resourceRef: { name: string } }
    >;
    expect(spec.of?.resourceRef.name).toBe(name('infra-network'));
    expect(spec.by?.resourceRef.name).toBe(name('infra-db'));
  });

  it('reports the Usage ready only once the usage controller says Ready=True', async () => {
    // GIVEN the Usage composed, and observed as the usage controller reports it
    const { second, observed } = await bothWaves(vpcXr('Namespaced'));
    const all = { ...observed, ...observedFrom(second) };
    all['infra-db'] = workspaceObserved(all['infra-db'] as Obj, 'available', {
      endpoint: 'db.example',
      port: 5432,
    });
    const usage = all['usage-network-by-db'] as Obj;
    // WHEN it has no condition yet, and then Ready=True
    const before = await fn.run(request({ xr: vpcXr('Namespaced'), observed: all }));
    all['usage-network-by-db'] = {
      ...usage,
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] },
    };
    const after = await fn.run(request({ xr: vpcXr('Namespaced'), observed: all }));
    // THEN it is ready only after
    expect(desiredResources(before)['usage-network-by-db']?.ready).toBe('READY_FALSE');
    expect(desiredResources(after)['usage-network-by-db']?.ready).toBe('READY_TRUE');
  });

  it('composes a ClusterUsage for a cluster-scoped XR with cluster-scoped Workspaces', async () => {
    // GIVEN the Environment as a cluster-scoped XR and the tf.upbound.io Workspace API
    const { second } = await bothWaves(vpcXr('Cluster'), 'cluster');
    // THEN the Usage is cluster-scoped too, and refers to the cluster-scoped Workspaces
    expect(desiredResources(second)['usage-network-by-db']?.resource).toMatchObject({
      apiVersion: 'protection.crossplane.io/v1beta1',
      kind: 'ClusterUsage',
      metadata: { name: 'dev-orders-db-db-uses-network' },
      spec: {
        of: {
          apiVersion: 'tf.upbound.io/v1beta1',
          kind: 'Workspace',
          resourceRef: { name: 'dev-orders-db-network' },
        },
        by: {
          apiVersion: 'tf.upbound.io/v1beta1',
          kind: 'Workspace',
          resourceRef: { name: 'dev-orders-db-db' },
        },
      },
    });
    expect(desiredResources(second)['usage-network-by-db']?.resource.metadata).not.toHaveProperty(
      'namespace',
    );
  });

  it('composes a namespaced Usage in the Workspaces namespace for a cluster-scoped XR with namespaced Workspaces', async () => {
    const { second } = await bothWaves(vpcXr('Cluster'), 'namespaced');
    expect(desiredResources(second)['usage-network-by-db']?.resource).toMatchObject({
      kind: 'Usage',
      metadata: { name: 'dev-orders-db-db-uses-network', namespace: 'dev-orders-db' },
    });
  });
});

/** Metadata the API server and the real controllers add to what the function composed. */
const ADDED_BY_OTHERS = {
  uid: '6a4f3a0e-0000-4000-8000-000000000001',
  resourceVersion: '4711',
  generation: 3,
  creationTimestamp: '2025-01-01T00:10:00Z',
  managedFields: [{ manager: 'crossplane', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' }],
  ownerReferences: [
    { apiVersion: 'platform.envcat.io/v1alpha1', kind: 'Environment', name: 'x', uid: 'xr-uid' },
  ],
};
const OTHERS_LABELS = {
  'crossplane.io/composite': 'dev-orders-db',
  'crossplane.io/in-use': 'true',
};
const OTHERS_ANNOTATIONS = {
  'crossplane.io/external-name': 'dev-orders-db-db',
  'crossplane.io/external-create-pending': '2025-01-01T00:10:00Z',
  'crossplane.io/external-create-succeeded': '2025-01-01T00:10:01Z',
  'crossplane.io/composition-resource-name': 'infra-db',
  'usage.crossplane.io/deletion-attempt-with-policy': 'Background',
  'argocd.argoproj.io/refresh': 'normal',
  'kubectl.kubernetes.io/last-applied-configuration': '{}',
};

/** The object as a real cluster returns it: the function's object plus what others added. */
function asInCluster(object: Obj, finalizers: string[]): Obj {
  const metadata = object.metadata as { labels?: Obj; annotations?: Obj; finalizers?: string[] };
  return {
    ...object,
    metadata: {
      ...metadata,
      ...ADDED_BY_OTHERS,
      labels: { ...metadata.labels, ...OTHERS_LABELS },
      annotations: { ...metadata.annotations, ...OTHERS_ANNOTATIONS },
      finalizers: [...(metadata.finalizers ?? []), ...finalizers],
    },
  };
}

describe('composing again what was observed', () => {
  it('sends back neither the provider-terraform finalizer nor the annotations and labels others set (Workspace)', async () => {
    // GIVEN both Workspaces composed, the database's as provider-terraform and Crossplane left it
    const xr = vpcXr('Namespaced');
    const { second, observed } = await bothWaves(xr);
    const composedDb = desiredResources(second)['infra-db']?.resource as Obj;
    const all = { ...observed, ...observedFrom(second) };
    all['infra-db'] = asInCluster(workspaceObserved(composedDb, 'available', {}), [
      'finalizer.managedresource.crossplane.io',
    ]);
    // WHEN the database instance is removed from the spec while an Application is still being
    // removed (the function keeps the Workspace as observed until then)
    const spec = structuredClone(xr.spec) as { catalogs: Obj[] };
    spec.catalogs = [spec.catalogs[0] as Obj, { name: 'web', entry: 'sample-app@^1', parameters: {} }];
    all['apps-gone'] = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'gone' },
    };
    const rsp = await fn.run(request({ xr: { ...xr, spec }, observed: all }));
    const kept = desiredResources(rsp)['infra-db']?.resource as Obj & { metadata: Obj };
    // THEN it is composed again with its name, spec and envcat's own metadata only
    expect(kept).toBeDefined();
    expect(kept.spec).toEqual(composedDb.spec);
    expect(kept.metadata).toEqual({
      name: 'dev-orders-db-db',
      namespace: 'dev-orders-db',
      labels: (composedDb.metadata as Obj).labels,
      annotations: (composedDb.metadata as Obj).annotations,
    });
    expect(kept).not.toHaveProperty('status');
  });

  it('keeps the Argo CD resources finalizer envcat renders, and drops every other (Application)', async () => {
    // GIVEN the sample app's Application composed, observed with what Argo CD and Crossplane added
    const xr = parseYamlDocument(
      readFileSync(join(REPO_ROOT, 'compositions', 'examples', 'dev-feature-auth.yaml'), 'utf8'),
    ) as Obj & { metadata: Obj };
    xr.metadata = { ...xr.metadata, uid: 'xr-uid', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' };
    const first = await fn.run(request({ xr }));
    const observed = observedFrom(first);
    const outputs = { endpoint: 'db.example', port: 5432, username: 'u', databaseName: 'd' };
    observed['infra-db'] = workspaceObserved(observed['infra-db'] as Obj, 'available', outputs);
    const second = await fn.run(request({ xr, observed }));
    const composedApp = desiredResources(second)['apps-app']?.resource as Obj;
    expect((composedApp.metadata as Obj).finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    const all = { ...observed, ...observedFrom(second) };
    all['apps-app'] = asInCluster(applicationObserved(composedApp, 'healthy'), [
      'pre-delete-finalizer.argocd.argoproj.io',
    ]);
    // WHEN the database stops reporting its endpoint, so the app cannot be rendered and is composed as observed
    all['infra-db'] = workspaceObserved(observed['infra-db'] as Obj, 'available', {});
    const rsp = await fn.run(request({ xr, observed: all }));
    const kept = desiredResources(rsp)['apps-app']?.resource as Obj & { metadata: Obj };
    // THEN only envcat's metadata is sent back: its labels, its annotation, its finalizer
    expect(kept.metadata).toEqual({
      name: (composedApp.metadata as Obj).name,
      namespace: (composedApp.metadata as Obj).namespace,
      labels: (composedApp.metadata as Obj).labels,
      annotations: (composedApp.metadata as Obj).annotations,
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    });
    expect(kept.spec).toEqual(composedApp.spec);
  });
});
