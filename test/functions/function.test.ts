/**
 * The composition function through its real gRPC server (the SDK's, on a free port, insecure) and a
 * real gRPC client, one reconcile after another as Crossplane drives it: each response's desired
 * resources come back as observed, with the status the real controllers would report.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlDocument } from '../../src/core/index.js';
import { EnvcatFunction } from '../../functions/function.js';
import { REPO_ROOT } from '../support/examples.js';
import {
  applicationObserved,
  compositeStatus,
  compositionInput,
  desiredResources,
  environmentObjectObserved,
  observedFrom,
  request,
  responseJson,
  startFunction,
  workspaceObserved,
  type Obj,
  type RunningFunction,
} from './support.js';

const NOW = new Date('2025-01-01T01:00:00Z');
const ENDPOINT = 'dev-feature-auth-db.abcdefghijkl.eu-west-1.rds.amazonaws.com';
/** A value a broken provider might leak into status: it must never come out of the function. */
const LEAKED_PASSWORD = 'Sup3r-S3cret-Passw0rd!';

/** compositions/examples/dev-feature-auth.yaml, as Crossplane observes it. */
function exampleXr(): Obj {
  const xr = parseYamlDocument(
    readFileSync(join(REPO_ROOT, 'compositions', 'examples', 'dev-feature-auth.yaml'), 'utf8'),
  ) as Obj & { metadata: Obj };
  xr.metadata = { ...xr.metadata, uid: 'xr-uid', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' };
  return xr;
}

function withCatalogs(xr: Obj, edit: (catalogs: Array<Obj & { parameters?: Obj }>) => void): Obj {
  const copy = structuredClone(xr) as { spec: { catalogs: Array<Obj & { parameters?: Obj }> } };
  edit(copy.spec.catalogs);
  return copy as unknown as Obj;
}

let fn: RunningFunction;
beforeAll(async () => {
  fn = await startFunction(new EnvcatFunction({ now: () => NOW }));
});
afterAll(() => fn.close());

/** Phase 1 observed with the Workspace in `state`, the environment's objects in place. */
async function phase1(state: 'creating' | 'available' | 'failed') {
  const xr = exampleXr();
  const first = await fn.run(request({ xr }));
  const observed = observedFrom(first);
  for (const key of Object.keys(observed)) {
    const object = observed[key] as Obj;
    observed[key] = key.startsWith('infra-')
      ? workspaceObserved(object, state, {
          endpoint: ENDPOINT,
          port: 5432,
          username: 'envcat_admin',
          databaseName: 'feature_auth_db',
          password: LEAKED_PASSWORD,
        })
      : environmentObjectObserved(object);
  }
  return { xr, first, observed };
}

describe('function-envcat over gRPC', () => {
  it('composes only phase 1 on the first call: the Workspace and the isolation objects, nothing ready yet', async () => {
    // GIVEN a new Environment XR WHEN the function first runs
    const rsp = await fn.run(request({ xr: exampleXr() }));
    const resources = desiredResources(rsp);
    // THEN it composes the database's Workspace and the NetworkPolicy, no Application
    expect(Object.keys(resources).sort()).toEqual(['env-networkpolicy-envcat-isolate-namespace', 'infra-db']);
    const workspace = resources['infra-db'] as { resource: Obj; ready: string };
    expect(workspace.resource).toMatchObject({
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      metadata: { name: 'dev-feature-auth-db', namespace: 'dev-feature-auth' },
      spec: { writeConnectionSecretToRef: { name: 'dev-feature-auth-db-outputs' } },
    });
    // AND nothing is ready: nothing was observed yet
    expect(workspace.ready).toBe('READY_FALSE');
    expect(responseJson(rsp).desired?.composite?.ready).toBe('READY_FALSE');
    // AND the status says phase 1 runs, with the apps waiting
    expect(compositeStatus(rsp)).toMatchObject({
      phase: 'ProvisioningInfrastructure',
      namespace: 'dev-feature-auth',
      steps: [
        { instance: 'db', part: 'infra', phase: 'Progressing' },
        { instance: 'monitoring', part: 'apps', phase: 'Pending' },
        { instance: 'app', part: 'apps', phase: 'Pending' },
      ],
      outputSecrets: [{ instance: 'db', secretName: 'dev-feature-auth-db-outputs' }],
      expiresAt: '2025-01-02T00:00:00.000Z',
    });
    expect(responseJson(rsp).results ?? []).toEqual([]);
  });

  it('holds phase 2 back while the Workspace is not Available', async () => {
    // GIVEN the Workspace observed Ready=False (Creating)
    const { xr, observed } = await phase1('creating');
    // WHEN the function runs again
    const rsp = await fn.run(request({ xr, observed }));
    const resources = desiredResources(rsp);
    // THEN still no Application, the Workspace not ready, the isolation object ready (it exists)
    expect(Object.keys(resources).filter((k) => k.startsWith('apps-'))).toEqual([]);
    expect(resources['infra-db']?.ready).toBe('READY_FALSE');
    expect(resources['env-networkpolicy-envcat-isolate-namespace']?.ready).toBe('READY_TRUE');
    expect(compositeStatus(rsp)).toMatchObject({
      phase: 'ProvisioningInfrastructure',
      steps: [{ instance: 'db', phase: 'Progressing', reason: 'Creating' }, {}, {}],
    });
    expect(responseJson(rsp).conditions).toContainEqual(
      expect.objectContaining({ type: 'InfrastructureReady', status: 'STATUS_CONDITION_FALSE' }),
    );
  });

  it('composes the Applications with the endpoint resolved once the Workspace is Available', async () => {
    // GIVEN the Workspace observed Ready=True (Available), Synced, with its outputs
    const { xr, observed } = await phase1('available');
    // WHEN the function runs again
    const rsp = await fn.run(request({ xr, observed }));
    const resources = desiredResources(rsp);
    // THEN phase 2 is composed: both Applications, in the XR's namespace (a namespaced XR composes there only)
    expect(Object.keys(resources).sort()).toEqual([
      'apps-app',
      'apps-monitoring',
      'env-networkpolicy-envcat-isolate-namespace',
      'infra-db',
    ]);
    expect(resources['infra-db']?.ready).toBe('READY_TRUE');
    const app = resources['apps-app'] as { resource: Obj & { spec: { source: Obj } }; ready: string };
    expect(app.resource.metadata).toMatchObject({
      name: 'dev-feature-auth-app',
      namespace: 'dev-feature-auth',
    });
    expect(app.ready).toBe('READY_FALSE');
    // AND the app's manifests travel in the Application, DATABASE_HOST set to the observed endpoint
    const source = app.resource.spec.source as {
      chart: string;
      helm: { valuesObject: { resources: Obj[] } };
    };
    expect(source.chart).toBe('raw');
    const deployment = source.helm.valuesObject.resources.find((r) => r.kind === 'Deployment') as {
      spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
    };
    expect(deployment.spec.template.spec.containers[0]?.env).toContainEqual({
      name: 'DATABASE_HOST',
      value: ENDPOINT,
    });
    // AND the Datadog key is read from the user's Secret, never a value
    expect(resources['apps-monitoring']?.resource).toMatchObject({
      spec: {
        source: {
          chart: 'datadog',
          helm: { valuesObject: { datadog: { apiKeyExistingSecret: 'datadog' } } },
        },
      },
    });
    // AND the status: infrastructure ready, applications deploying, non-sensitive outputs only
    const status = compositeStatus(rsp);
    expect(status).toMatchObject({
      phase: 'DeployingApplications',
      outputs: {
        db: { endpoint: ENDPOINT, port: 5432, username: 'envcat_admin', databaseName: 'feature_auth_db' },
      },
    });
    expect((status.outputs as Record<string, Obj>).db).not.toHaveProperty('password');
    // AND the password a provider wrongly reported appears nowhere in the response
    expect(JSON.stringify(responseJson(rsp))).not.toContain(LEAKED_PASSWORD);
  });

  it('calls the environment Ready only when every Application is Synced and Healthy', async () => {
    // GIVEN phase 2 composed, then the Applications observed Synced and Healthy at the source composed
    const { xr, observed } = await phase1('available');
    const second = await fn.run(request({ xr, observed }));
    const all = { ...observed, ...observedFrom(second) };
    for (const key of ['apps-app', 'apps-monitoring'])
      all[key] = applicationObserved(all[key] as Obj, 'healthy');
    all['infra-db'] = observed['infra-db'] as Obj;
    // WHEN the function runs again
    const rsp = await fn.run(request({ xr, observed: all }));
    // THEN every composed resource is ready, and so is the XR
    const resources = desiredResources(rsp);
    for (const [key, r] of Object.entries(resources)) expect([key, r.ready]).toEqual([key, 'READY_TRUE']);
    expect(responseJson(rsp).desired?.composite?.ready).toBe('READY_TRUE');
    expect(compositeStatus(rsp)).toMatchObject({ phase: 'Ready', message: 'all steps are ready' });
    expect(responseJson(rsp).conditions).toEqual([
      expect.objectContaining({ type: 'InfrastructureReady', status: 'STATUS_CONDITION_TRUE' }),
      expect.objectContaining({ type: 'ApplicationsReady', status: 'STATUS_CONDITION_TRUE' }),
    ]);
  });

  it('reports a failed Workspace and composes nothing of phase 2', async () => {
    const { xr, observed } = await phase1('failed');
    const rsp = await fn.run(request({ xr, observed }));
    expect(Object.keys(desiredResources(rsp)).filter((k) => k.startsWith('apps-'))).toEqual([]);
    expect(compositeStatus(rsp)).toMatchObject({
      phase: 'Failed',
      message: expect.stringContaining('quota exceeded'),
      steps: [{ instance: 'db', phase: 'Failed', reason: 'ReconcileError' }, {}, {}],
    });
    expect(responseJson(rsp).desired?.composite?.ready).toBe('READY_FALSE');
  });

  it('gives a FATAL result naming the field of invalid input, and composes nothing', async () => {
    // GIVEN an XR whose app asks for "two" replicas
    const xr = withCatalogs(exampleXr(), (c) => {
      (c[2] as { parameters: Obj }).parameters.replicas = 'two';
    });
    const rsp = await fn.run(request({ xr }));
    // THEN one FATAL result names the field, and no resource is composed (Crossplane keeps what exists)
    expect(responseJson(rsp).results).toEqual([
      {
        severity: 'SEVERITY_FATAL',
        reason: 'InvalidInput',
        message:
          'invalid Environment dev-feature-auth/dev-feature-auth: /spec/catalogs/2/parameters/replicas: must be a whole number',
      },
    ]);
    expect(desiredResources(rsp)).toEqual({});
  });

  it('rejects a literal secret in the XR with the field, without echoing the value', async () => {
    const xr = withCatalogs(exampleXr(), (c) => {
      (c[0] as { parameters: Obj }).parameters.masterPassword = LEAKED_PASSWORD;
    });
    const rsp = await fn.run(request({ xr }));
    const [result] = responseJson(rsp).results ?? [];
    expect(result?.severity).toBe('SEVERITY_FATAL');
    expect(result?.message).toContain('/spec/catalogs/0/parameters/masterPassword: is a secret parameter');
    expect(result?.message).toContain('fromSecret');
    expect(JSON.stringify(responseJson(rsp))).not.toContain(LEAKED_PASSWORD);
  });

  it('drops the resources of an instance deleted from the XR', async () => {
    // GIVEN the environment fully composed
    const { xr, observed } = await phase1('available');
    const all = { ...observed, ...observedFrom(await fn.run(request({ xr, observed }))) };
    all['infra-db'] = observed['infra-db'] as Obj;
    // WHEN the monitoring instance is removed from the spec
    const without = withCatalogs(xr, (c) => c.splice(1, 1));
    const rsp = await fn.run(request({ xr: without, observed: all }));
    // THEN its Application is no longer desired (Crossplane deletes it), the rest stays
    expect(Object.keys(desiredResources(rsp)).sort()).toEqual([
      'apps-app',
      'env-networkpolicy-envcat-isolate-namespace',
      'infra-db',
    ]);
  });

  it('removes a database only after the Applications removed with it are gone (deletion in reverse)', async () => {
    // GIVEN the environment fully composed
    const { xr, observed } = await phase1('available');
    const all = { ...observed, ...observedFrom(await fn.run(request({ xr, observed }))) };
    all['infra-db'] = observed['infra-db'] as Obj;
    // WHEN the database and the app that uses it are removed together
    const onlyMonitoring = withCatalogs(xr, (c) => c.splice(0, 3, c[1] as Obj));
    const first = await fn.run(request({ xr: onlyMonitoring, observed: all }));
    // THEN the app's Application goes at once, the Workspace stays (as composed) while it is observed
    expect(Object.keys(desiredResources(first)).sort()).toEqual([
      'apps-monitoring',
      'env-networkpolicy-envcat-isolate-namespace',
      'infra-db',
    ]);
    expect(desiredResources(first)['infra-db']?.resource).toEqual({
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      metadata: (observedFrom(await fn.run(request({ xr, observed })))['infra-db'] as Obj).metadata,
      spec: (all['infra-db'] as Obj).spec,
    });
    expect(responseJson(first).results).toEqual([
      expect.objectContaining({ severity: 'SEVERITY_NORMAL', reason: 'OrderedRemoval' }),
    ]);
    expect(responseJson(first).desired?.composite?.ready).toBe('READY_FALSE');
    // AND once the Application is gone, the Workspace goes too
    const { 'apps-app': _gone, ...remaining } = all;
    const second = await fn.run(request({ xr: onlyMonitoring, observed: remaining }));
    expect(Object.keys(desiredResources(second)).sort()).toEqual([
      'apps-monitoring',
      'env-networkpolicy-envcat-isolate-namespace',
    ]);
  });

  it('composes the Namespace and puts the Applications in argocd for a cluster-scoped XR', async () => {
    // GIVEN the same Environment as a cluster-scoped XR (an XRD generated with --scope Cluster)
    const xr = exampleXr() as Obj & { metadata: Obj; spec: Obj };
    delete xr.metadata.namespace;
    xr.spec.namespace = 'dev-feature-auth';
    const first = await fn.run(request({ xr }));
    // THEN phase 1 includes the Namespace
    expect(Object.keys(desiredResources(first)).sort()).toEqual([
      'env-namespace-dev-feature-auth',
      'env-networkpolicy-envcat-isolate-namespace',
      'infra-db',
    ]);
    // AND with the Workspace Available, the Applications go to Argo CD's namespace
    const observed = observedFrom(first);
    observed['infra-db'] = workspaceObserved(observed['infra-db'] as Obj, 'available', {
      endpoint: ENDPOINT,
    });
    for (const key of Object.keys(observed).filter((k) => k.startsWith('env-')))
      observed[key] = environmentObjectObserved(observed[key] as Obj);
    const second = await fn.run(request({ xr, observed }));
    expect(desiredResources(second)['env-namespace-dev-feature-auth']?.ready).toBe('READY_TRUE');
    expect(desiredResources(second)['apps-app']?.resource).toMatchObject({
      metadata: { namespace: 'argocd' },
      spec: { destination: { namespace: 'dev-feature-auth' } },
    });
  });

  it('reports a Composition whose input does not fit the XR as a FATAL result naming the input field', async () => {
    // GIVEN the cluster-scoped Workspace API configured for a namespaced XR
    const input = { ...compositionInput(), render: { workspaceApi: 'cluster' } };
    const rsp = await fn.run(request({ xr: exampleXr(), input }));
    expect(responseJson(rsp).results).toEqual([
      expect.objectContaining({
        severity: 'SEVERITY_FATAL',
        message: expect.stringMatching(/^invalid function input .*: \/render\/workspaceApi: is "cluster"/),
      }),
    ]);
    // AND no input at all
    const none = await fn.run({ ...request({ xr: exampleXr() }), input: undefined });
    expect(responseJson(none).results?.[0]?.message).toMatch(
      /\/: is missing: the Composition step must give an Input input/,
    );
  });
});
