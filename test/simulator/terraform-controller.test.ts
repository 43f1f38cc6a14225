/**
 * The simulated provider-terraform against the simulated API server, over HTTP through the real
 * client-node adapter, with its controls read from a real platform repo. The test plays Argo CD:
 * it commits environment.yaml and applies the rendered Workspace itself.
 */
import { jest } from '@jest/globals';
import {
  DEFAULT_BOOTSTRAP_DIR,
  loadBootstrap,
  RepoControlSource,
  type ControlSource,
  SimulatedProviderTerraform,
  MANAGED_RESOURCE_FINALIZER,
  type SimulatedProviderTerraformOptions,
} from '../../src/simulator/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import {
  parseYamlDocument,
  renderEnvironment,
  toYaml,
  renderOptions,
  validateEnvironment,
  type Catalog,
  type WorkspaceApi,
} from '../../src/core/index.js';
import { builtInCatalog, examples } from '../support/examples.js';
import {
  commit,
  conditionOf,
  createRepos,
  createSandbox,
  decodeSecret,
  recordingLogger,
  startTestCluster,
  statusOf,
  waitFor,
  type Sandbox,
  type TestCluster,
  type TestRepos,
} from './support.js';

jest.setTimeout(60_000);

let sandbox: Sandbox;
let repos: TestRepos;
let cluster: TestCluster;
let catalog: Catalog;
let controls: RepoControlSource;
const running: SimulatedProviderTerraform[] = [];
let counter = 0;

beforeAll(async () => {
  sandbox = await createSandbox('terraform');
  repos = await createRepos(sandbox);
  cluster = await startTestCluster();
  catalog = await builtInCatalog();
  controls = new RepoControlSource({ repo: repos.reader('platform'), logger: recordingLogger().logger });
  // The provider configs of the bootstrap, as on a real cluster: a Workspace needs its config.
  const bootstrap = await loadBootstrap({
    dir: DEFAULT_BOOTSTRAP_DIR,
    platformRepoUrl: repos.platformUrl,
    appsRepoUrl: repos.appsUrl,
  });
  for (const doc of bootstrap.filter((d) => d.kind.endsWith('ProviderConfig')))
    await cluster.client.apply(doc, { fieldManager: 'test-bootstrap' });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(async () => {
  await cluster.stop();
  await sandbox.cleanup();
});

async function startController(
  options: Partial<SimulatedProviderTerraformOptions> = {},
): Promise<SimulatedProviderTerraform> {
  const controller = new SimulatedProviderTerraform({
    cluster: cluster.client,
    apis: ['namespaced', 'cluster'],
    controls,
    defaultDelayMs: 50,
    catalog,
    logger: recordingLogger().logger,
    ...options,
  });
  running.push(controller);
  await controller.start();
  return controller;
}

interface Provisioned {
  env: string;
  workspace: KubeObject;
  ref: { apiVersion: string; kind: string; name: string; namespace?: string };
  secretRef: { apiVersion: string; kind: string; name: string; namespace: string };
}

/**
 * Renders the rds-postgres example under a fresh environment name with the given simulator
 * controls, commits environment.yaml to the platform repo, creates the namespace and applies the
 * Workspace (what Argo CD would do).
 */
async function provision(
  args: {
    controls?: Record<string, unknown>;
    api?: WorkspaceApi;
    databaseName?: string;
    apply?: boolean;
  } = {},
): Promise<Provisioned> {
  const example = examples().find((e) => e.id === 'rds-postgres/minimal')!;
  const env = `tf-${++counter}-${process.pid % 1000}`;
  const document = structuredClone(example.document) as {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { namespace: string; catalogs: Array<{ parameters: Record<string, unknown> }> };
  };
  document.metadata.name = env;
  document.spec.namespace = env;
  if (args.databaseName) document.spec.catalogs[0]!.parameters.databaseName = args.databaseName;
  if (args.controls)
    document.metadata.annotations = { 'simulator.envcat.io/db': JSON.stringify(args.controls) };
  const { environment, plan } = validateEnvironment(document, catalog);
  const rendered = renderEnvironment({
    env: environment,
    plan,
    options: renderOptions({ workspaceApi: args.api ?? 'namespaced' }),
  });
  const file = (suffix: string) => rendered.files.find((f) => f.path.endsWith(suffix))!.content;
  await commit(repos.platform, { [`environments/${env}/environment.yaml`]: file('environment.yaml') });
  await cluster.client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: env } },
    { fieldManager: 'test' },
  );
  const workspace = parseYamlDocument(file('infra/db.yaml')) as unknown as KubeObject;
  if (args.apply !== false) await cluster.client.apply(workspace, { fieldManager: 'argocd-controller' });
  return {
    env,
    workspace,
    ref: {
      apiVersion: workspace.apiVersion,
      kind: 'Workspace',
      name: workspace.metadata.name,
      ...(workspace.metadata.namespace ? { namespace: workspace.metadata.namespace } : {}),
    },
    secretRef: { apiVersion: 'v1', kind: 'Secret', name: `${env}-db-outputs`, namespace: env },
  };
}

const get = (ref: Provisioned['ref']) => cluster.client.get(ref);

function isReady(object: KubeObject | undefined): boolean {
  const ready = conditionOf(object, 'Ready');
  return ready?.status === 'True' && ready.reason === 'Available';
}

describe('SimulatedProviderTerraform', () => {
  it('takes a new Workspace through its first apply (no conditions) to Available, with outputs in status (non-sensitive) and every output in the connection Secret', async () => {
    // GIVEN
    await startController();
    // WHEN
    const { ref, secretRef, env } = await provision({ controls: { delay: '500ms' } });

    // THEN first the finalizer, and no condition while the first apply runs: crossplane-runtime
    // marks conditions only once external.Create (terraform apply) returns
    // (pkg/reconciler/managed/reconciler.go)
    const applying = await waitFor('the finalizer', async () => {
      const ws = await get(ref);
      return ws?.metadata.finalizers?.includes(MANAGED_RESOURCE_FINALIZER) ? ws : undefined;
    });
    expect(conditionOf(applying, 'Ready')).toBeUndefined();
    expect(conditionOf(applying, 'Synced')).toBeUndefined();
    expect(await cluster.client.get(secretRef)).toBeUndefined();

    // THEN Available
    const available = await waitFor('Available', async () => {
      const ws = await get(ref);
      return isReady(ws) ? ws : undefined;
    });
    expect(conditionOf(available, 'Synced')).toMatchObject({
      status: 'True',
      reason: 'ReconcileSuccess',
      observedGeneration: available.metadata.generation,
    });
    expect(conditionOf(available, 'Ready')).toMatchObject({
      observedGeneration: available.metadata.generation,
      lastTransitionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    const outputs = statusOf<{ atProvider: { outputs: Record<string, unknown> } }>(available).atProvider
      .outputs;
    expect(outputs).toEqual({
      endpoint: expect.stringMatching(
        new RegExp(`^${env}-db\\.c[0-9a-f]{12}\\.eu-west-1\\.rds\\.amazonaws\\.com$`),
      ),
      port: 5432,
      username: 'envcat_admin',
      databaseName: 'reporting',
    });
    const secret = await cluster.client.get(secretRef);
    expect(secret).toMatchObject({
      type: 'connection.crossplane.io/v1alpha1',
      metadata: { ownerReferences: [{ kind: 'Workspace', name: ref.name, uid: available.metadata.uid }] },
    });
    const data = decodeSecret(secret);
    expect(Object.keys(data).sort()).toEqual(['databaseName', 'endpoint', 'password', 'port', 'username']);
    expect(data.password).toMatch(/^[A-Za-z2-9]{24}$/);
    expect(data).toMatchObject({ endpoint: outputs.endpoint, port: '5432', databaseName: 'reporting' });
  });

  it('fails the apply with the failApply message as crossplane-runtime wraps it (Synced=False ReconcileError) and writes no Secret', async () => {
    await startController();
    const { ref, secretRef } = await provision({ controls: { failApply: 'InsufficientDBInstanceCapacity' } });

    const failed = await waitFor('ReconcileError', async () => {
      const ws = await get(ref);
      return conditionOf(ws, 'Synced')?.status === 'False' ? ws : undefined;
    });
    expect(conditionOf(failed, 'Synced')).toMatchObject({
      reason: 'ReconcileError',
      // crossplane-runtime reconciler.go errReconcileCreate + provider-terraform workspace.go errApply
      message: 'create failed: cannot apply Terraform configuration: InsufficientDBInstanceCapacity',
      observedGeneration: failed.metadata.generation,
    });
    expect(conditionOf(failed, 'Ready')).toMatchObject({ status: 'False' });
    expect(await cluster.client.get(secretRef)).toBeUndefined();
  });

  it('retries a failed apply at once when the Workspace annotations change, not only on its poll', async () => {
    // GIVEN a Workspace whose apply failed, with the default 60 s poll
    await startController();
    const { ref, env } = await provision({ controls: { failApply: 'quota exceeded' } });
    await waitFor('the failure', async () => conditionOf(await get(ref), 'Synced')?.status === 'False');
    const path = `environments/${env}/environment.yaml`;
    const document = parseYamlDocument((await repos.platform.readTree(path)).get(path)!) as {
      metadata: { annotations?: Record<string, string> };
    };
    delete document.metadata.annotations;
    await commit(repos.platform, { [path]: toYaml(document) });

    // WHEN the cause is gone and an annotation changes (what envcat's retry does), crossplane-runtime's
    // DesiredStateChanged predicate (pkg/resource/predicates.go) reconciles it now
    await cluster.client.mergePatch(ref, {
      metadata: { annotations: { 'envcat.io/retried-at': new Date().toISOString() } },
    });

    // THEN it is Available long before the poll interval
    await waitFor('Available', async () => isReady(await get(ref)), { timeoutMs: 10_000 });
  });

  it('keeps a neverReady Workspace applying while one without controls becomes Available, and honours a delay', async () => {
    await startController({ defaultDelayMs: 50 });
    const plain = await provision();
    const never = await provision({ controls: { neverReady: true } });
    const slow = await provision({ controls: { delay: '1500ms' } });

    const started = Date.now();
    await waitFor('the plain Workspace Available', async () => isReady(await get(plain.ref)));
    expect(conditionOf(await get(slow.ref), 'Ready')).toBeUndefined();

    const slowReady = await waitFor('the delayed Workspace Available', async () => {
      const ws = await get(slow.ref);
      return isReady(ws) ? ws : undefined;
    });
    const done = Date.parse(conditionOf(slowReady, 'Ready')!.lastTransitionTime!);
    // Condition times have second precision: at least the delay, give or take that second.
    expect(done - Math.floor(started / 1000) * 1000).toBeGreaterThanOrEqual(1_000);

    // A first apply that never returns leaves no condition at all.
    const neverNow = await get(never.ref);
    expect(neverNow?.metadata.finalizers).toContain(MANAGED_RESOURCE_FINALIZER);
    expect(conditionOf(neverNow, 'Ready')).toBeUndefined();
  });

  it('reads the controls of a Workspace held by neverReady again as soon as its ControlSource says they changed', async () => {
    // GIVEN a source that holds db instances back until told otherwise, and a retry an hour away
    let held = true;
    const listeners = new Set<() => void>();
    const source: ControlSource = {
      forInstance: async (ref) => (held ? { neverReady: true } : controls.forInstance(ref)),
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const provider = await startController({ controls: source, retryMs: 3_600_000 });
    const never = await provision();
    await waitFor('the held apply to start', async () =>
      (await get(never.ref))?.metadata.finalizers?.includes(MANAGED_RESOURCE_FINALIZER),
    );
    expect(listeners.size).toBe(1);

    // WHEN the source changes
    held = false;
    for (const listener of listeners) listener();

    // THEN the Workspace goes on at once, not at its retry
    await waitFor('the released Workspace Available', async () => isReady(await get(never.ref)), {
      timeoutMs: 5_000,
    });
    await provider.stop();
    expect(listeners.size).toBe(0);
  });

  it('reads the controls again when they change while a read of them is under way', async () => {
    // GIVEN a source whose reads take a while and answer as things were when the read began
    let held = true;
    const listeners = new Set<() => void>();
    const changed = () => listeners.forEach((listener) => listener());
    const source: ControlSource = {
      forInstance: async (ref) => {
        const wasHeld = held;
        await new Promise((resolve) => setTimeout(resolve, 200));
        return wasHeld ? { neverReady: true } : controls.forInstance(ref);
      },
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    await startController({ controls: source, retryMs: 3_600_000 });
    const never = await provision();
    await waitFor('the held apply to start', async () =>
      (await get(never.ref))?.metadata.finalizers?.includes(MANAGED_RESOURCE_FINALIZER),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // WHEN a change starts a read, and the release comes while that read is under way
    changed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    held = false;
    changed();

    // THEN the Workspace goes on, not held until its retry an hour away
    await waitFor('the released Workspace Available', async () => isReady(await get(never.ref)), {
      timeoutMs: 5_000,
    });
  });

  it('deletes: Ready=False Deleting, then the Secret and the finalizer go and the Workspace is gone', async () => {
    await startController();
    const { ref, secretRef } = await provision({ controls: { delay: '500ms' } });
    await waitFor('Available', async () => isReady(await get(ref)));
    expect(await cluster.client.get(secretRef)).toBeDefined();

    // WHEN
    await cluster.client.delete(ref);

    // THEN
    const deleting = await waitFor('Deleting', async () => {
      const ws = await get(ref);
      return conditionOf(ws, 'Ready')?.reason === 'Deleting' ? ws : undefined;
    });
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(deleting.metadata.finalizers).toContain(MANAGED_RESOURCE_FINALIZER);
    await waitFor('the Workspace gone', async () => (await get(ref)) === undefined);
    expect(await cluster.client.get(secretRef)).toBeUndefined();
  });

  it('fails a destroy with failDestroy and keeps the finalizer; once the control is removed from Git, the destroy completes', async () => {
    await startController({ retryMs: 300 });
    const { ref, env } = await provision({ controls: { failDestroy: 'DeletionProtection is enabled' } });
    await waitFor('Available', async () => isReady(await get(ref)));

    await cluster.client.delete(ref);
    const stuck = await waitFor('the destroy to fail', async () => {
      const ws = await get(ref);
      return conditionOf(ws, 'Synced')?.status === 'False' ? ws : undefined;
    });
    expect(conditionOf(stuck, 'Synced')).toMatchObject({
      reason: 'ReconcileError',
      message: 'DeletionProtection is enabled',
    });
    expect(conditionOf(stuck, 'Ready')).toMatchObject({ status: 'False', reason: 'Deleting' });
    expect(stuck.metadata.finalizers).toContain(MANAGED_RESOURCE_FINALIZER);

    // WHEN the control is removed from the Environment in Git
    const path = `environments/${env}/environment.yaml`;
    const document = parseYamlDocument((await repos.platform.readTree(path)).get(path)!) as {
      metadata: { annotations?: Record<string, string> };
    };
    delete document.metadata.annotations;
    await commit(repos.platform, { [path]: toYaml(document) });

    // THEN
    await waitFor('the Workspace gone', async () => (await get(ref)) === undefined);
  });

  it('re-applies a changed spec (new generation): Creating again, then Available with the new outputs', async () => {
    await startController();
    const { ref, workspace, secretRef } = await provision({ controls: { delay: '500ms' } });
    const first = await waitFor('Available', async () => {
      const ws = await get(ref);
      return isReady(ws) ? ws : undefined;
    });

    // WHEN the spec changes (another database name)
    const forProvider = (workspace.spec as { forProvider: { vars: Array<{ key: string; value: string }> } })
      .forProvider;
    const changed = structuredClone(workspace);
    (changed.spec as typeof workspace.spec & { forProvider: typeof forProvider }).forProvider.vars =
      forProvider.vars.map((v) => (v.key === 'databaseName' ? { ...v, value: 'renamed' } : v));
    await cluster.client.apply(changed, { fieldManager: 'argocd-controller' });

    // THEN
    const generation = (first.metadata.generation ?? 1) + 1;
    await waitFor('Creating for the new generation', async () => {
      const ready = conditionOf(await get(ref), 'Ready');
      return ready?.reason === 'Creating' && ready.observedGeneration === generation;
    });
    const second = await waitFor('Available for the new generation', async () => {
      const ws = await get(ref);
      return isReady(ws) && conditionOf(ws, 'Ready')?.observedGeneration === generation ? ws : undefined;
    });
    expect(
      statusOf<{ atProvider: { outputs: Record<string, unknown> } }>(second).atProvider.outputs.databaseName,
    ).toBe('renamed');
    expect(decodeSecret(await cluster.client.get(secretRef)).databaseName).toBe('renamed');
  });

  it('carries on after a restart: an apply under way completes; an Available Workspace is left alone but its Secret restored', async () => {
    const first = await startController();
    const { ref, secretRef } = await provision({ controls: { delay: '800ms' } });
    await waitFor('the apply under way', async () =>
      (await get(ref))?.metadata.finalizers?.includes(MANAGED_RESOURCE_FINALIZER),
    );

    // WHEN the controller stops mid-apply and another one starts
    await first.stop();
    await startController();

    // THEN
    const available = await waitFor('Available', async () => {
      const ws = await get(ref);
      return isReady(ws) ? ws : undefined;
    });

    // WHEN it restarts again after the Secret was deleted behind its back
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await cluster.client.delete(secretRef);
    await startController();

    // THEN the Secret is back and the Workspace's status was not rewritten
    await waitFor('the Secret restored', async () => cluster.client.get(secretRef));
    expect((await get(ref))?.metadata.resourceVersion).toBe(available.metadata.resourceVersion);
  });

  it('serves the cluster-scoped API: the connection Secret goes to the namespace of writeConnectionSecretToRef', async () => {
    await startController({ apis: ['cluster'] });
    const { ref, secretRef } = await provision({ api: 'cluster' });
    expect(ref.namespace).toBeUndefined();
    await waitFor('Available', async () => isReady(await get(ref)));
    expect(decodeSecret(await cluster.client.get(secretRef)).password).toBeDefined();
  });

  it('without a catalog entry, types outputs by name from the module; a Remote module without one has none', async () => {
    await startController();
    const moduleText = [
      'output "endpoint" { value = "x" }',
      'output "port" { value = 1 }',
      'output "token" {',
      '  value     = "y"',
      '  sensitive = true',
      '}',
    ].join('\n');
    const namespace = `tf-bare-${process.pid % 1000}`;
    await cluster.client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test' },
    );
    const inline = {
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      metadata: { name: 'inline', namespace },
      spec: {
        forProvider: { source: 'Inline', inlineFormat: 'HCL', module: moduleText },
        writeConnectionSecretToRef: { name: 'inline-conn' },
      },
    };
    const remote = {
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      metadata: { name: 'remote', namespace },
      spec: { forProvider: { source: 'Remote', module: 'git::https://example.com/modules.git' } },
    };
    await cluster.client.apply(inline, { fieldManager: 'test' });
    await cluster.client.apply(remote, { fieldManager: 'test' });

    const ref = (name: string) => ({
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      name,
      namespace,
    });
    const inlineReady = await waitFor('inline Available', async () => {
      const ws = await get(ref('inline'));
      return isReady(ws) ? ws : undefined;
    });
    expect(
      statusOf<{ atProvider: { outputs: Record<string, unknown> } }>(inlineReady).atProvider.outputs,
    ).toEqual({
      endpoint: expect.stringMatching(/^inline\.[0-9a-f]{10}\.eu-west-1\.envcat\.internal$/),
      port: expect.any(Number),
    });
    expect(
      Object.keys(
        decodeSecret(
          await cluster.client.get({ apiVersion: 'v1', kind: 'Secret', name: 'inline-conn', namespace }),
        ),
      ).sort(),
    ).toEqual(['endpoint', 'port', 'token']);
    const remoteReady = await waitFor('remote Available', async () => {
      const ws = await get(ref('remote'));
      return isReady(ws) ? ws : undefined;
    });
    expect(
      statusOf<{ atProvider: { outputs: Record<string, unknown> } }>(remoteReady).atProvider.outputs,
    ).toEqual({});
  });

  it('fails a Workspace whose provider config does not exist, as the provider cannot connect', async () => {
    await startController();
    const { ref, workspace } = await provision({ apply: false });
    (workspace.spec as { providerConfigRef: { name: string } }).providerConfigRef.name = 'missing';
    await cluster.client.apply(workspace, { fieldManager: 'argocd-controller' });
    const failed = await waitFor('ReconcileError', async () => {
      const ws = await get(ref);
      return conditionOf(ws, 'Synced')?.status === 'False' ? ws : undefined;
    });
    expect(conditionOf(failed, 'Synced')?.message).toBe(
      'connect failed: cannot get ClusterProviderConfig: ClusterProviderConfig.tf.m.upbound.io "missing" not found',
    );
  });

  it('fails a module that is not valid HCL with a ReconcileError', async () => {
    await startController();
    const namespace = `tf-bad-${process.pid % 1000}`;
    await cluster.client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test' },
    );
    const ref = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace', name: 'broken', namespace };
    await cluster.client.apply(
      {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: 'broken', namespace },
        spec: { forProvider: { source: 'Inline', module: 'output "x" {' } },
      },
      { fieldManager: 'test' },
    );
    const failed = await waitFor('ReconcileError', async () => {
      const ws = await get(ref);
      return conditionOf(ws, 'Synced')?.status === 'False' ? ws : undefined;
    });
    expect(conditionOf(failed, 'Synced')?.message).toMatch(
      /^connect failed: terraform init failed: invalid HCL/,
    );
  });
});
