/**
 * The simulated Argo CD against the simulated API server (over HTTP, through the real client-node
 * adapter) and real Git repos, set up with the real bootstrap (AppProjects and ApplicationSets,
 * repo URLs pointed at the test's repos), next to the simulated provider-terraform. The test plays
 * the engine: it commits what envcat renders and asks for refreshes with annotations. Git polling
 * is set far beyond the test's length, so everything that happens is triggered by a refresh or an
 * event.
 */
import { jest } from '@jest/globals';
import {
  APPSET_REFRESH_ANNOTATION,
  DEFAULT_BOOTSTRAP_DIR,
  loadBootstrap,
  REFRESH_ANNOTATION,
  REFRESH_TIMESTAMP_ANNOTATION,
  RepoControlSource,
  SimulatedArgoCD,
  SimulatedProviderTerraform,
  TRACKING_ANNOTATION,
  TRACKING_LABEL,
  type SimulatedArgoCDOptions,
} from '../../src/simulator/index.js';
import type { ClusterClient, KubeObject, ObjectRef } from '../../src/cluster/types.js';
import {
  renderEnvironment,
  renderOptions,
  validateEnvironment,
  type Catalog,
  type RenderedFile,
} from '../../src/core/index.js';
import { builtInCatalog, examples, sampleOutputs } from '../support/examples.js';
import {
  commit,
  conditionOf,
  createRepos,
  createSandbox,
  recordingLogger,
  startTestCluster,
  statusOf,
  waitFor,
  type Sandbox,
  type TestCluster,
  type TestRepos,
} from './support.js';

jest.setTimeout(90_000);

const HOUR = 3_600_000;
const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' } as const;
const APPLICATION_SET = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet' } as const;

interface AppStatus {
  sync?: { status: string; revision?: string; comparedTo?: { source?: Record<string, unknown> } };
  health?: { status: string; message?: string };
  operationState?: {
    phase: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    syncResult?: { revision: string; resources?: Array<Record<string, unknown>> };
  };
  reconciledAt?: string;
  resourceHealthSource?: string;
  resources?: Array<{
    kind: string;
    name: string;
    namespace?: string;
    status: string;
    health?: { status: string };
  }>;
  conditions?: Array<{ type: string; message: string }>;
}

let sandbox: Sandbox;
let repos: TestRepos;
let cluster: TestCluster;
let catalog: Catalog;
let controls: RepoControlSource;
let terraform: SimulatedProviderTerraform;
let argocd: SimulatedArgoCD | undefined;
let counter = 0;

beforeAll(async () => {
  sandbox = await createSandbox('argocd');
  repos = await createRepos(sandbox);
  cluster = await startTestCluster();
  catalog = await builtInCatalog();
  const logger = recordingLogger().logger;
  controls = new RepoControlSource({ repo: repos.reader('platform'), logger });
  terraform = new SimulatedProviderTerraform({
    cluster: cluster.client,
    apis: ['namespaced'],
    controls,
    defaultDelayMs: 50,
    catalog,
    logger,
  });
  await terraform.start();
  const bootstrap = await loadBootstrap({
    dir: DEFAULT_BOOTSTRAP_DIR,
    platformRepoUrl: repos.platformUrl,
    appsRepoUrl: repos.appsUrl,
  });
  for (const doc of bootstrap) await cluster.client.apply(doc, { fieldManager: 'test-bootstrap' });
});
afterEach(async () => {
  await argocd?.stop();
  argocd = undefined;
});
afterAll(async () => {
  await terraform.stop();
  await cluster.stop();
  await sandbox.cleanup();
});

async function startArgo(
  pollMs = HOUR,
  options: Pick<SimulatedArgoCDOptions, 'cluster' | 'trackingMethod' | 'persistResourceHealth'> = {
    cluster: cluster.client,
  },
): Promise<SimulatedArgoCD> {
  const readers = new Map([
    [repos.platformUrl, repos.reader('platform')],
    [repos.appsUrl, repos.reader('apps')],
  ]);
  argocd = new SimulatedArgoCD({
    repos: (url) => readers.get(url),
    controls,
    defaultDelayMs: 50,
    pollMs,
    logger: recordingLogger().logger,
    ...options,
  });
  await argocd.start();
  return argocd;
}

const appRef = (name: string): ObjectRef => ({ ...APPLICATION, name, namespace: 'argocd' });
const getApp = (name: string) => cluster.client.get(appRef(name));
const appStatus = async (name: string) => statusOf<AppStatus>(await getApp(name));

async function refreshAppSets(): Promise<void> {
  for (const name of ['envcat-platform', 'envcat-apps'])
    await cluster.client.mergePatch(
      { ...APPLICATION_SET, name, namespace: 'argocd' },
      { metadata: { annotations: { [APPSET_REFRESH_ANNOTATION]: 'true' } } },
    );
}

async function refresh(name: string): Promise<void> {
  await cluster.client.mergePatch(appRef(name), {
    metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } },
  });
}

/** An example request renamed to a fresh environment, with simulator controls on its instances. */
function request(exampleId: string, controlsByInstance: Record<string, Record<string, unknown>> = {}) {
  const example = examples().find((e) => e.id === exampleId)!;
  const env = `argo-${++counter}-${process.pid % 1000}`;
  const document = structuredClone(example.document) as {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { namespace: string };
  };
  document.metadata.name = env;
  document.spec.namespace = env;
  if (Object.keys(controlsByInstance).length > 0)
    document.metadata.annotations = Object.fromEntries(
      Object.entries(controlsByInstance).map(([instance, c]) => [
        `simulator.envcat.io/${instance}`,
        JSON.stringify(c),
      ]),
    );
  return { env, document };
}

/** Renders a request; phase 2 too when `withApps`, with outputs as a provider would report them. */
function render(document: unknown, withApps: boolean): RenderedFile[] {
  const { environment, plan } = validateEnvironment(document, catalog);
  return renderEnvironment({
    env: environment,
    plan,
    ...(withApps ? { outputs: sampleOutputs(environment) } : {}),
    options: renderOptions({ appsRepo: { url: repos.appsUrl, revision: 'main' } }),
  }).files;
}

async function commitFiles(files: RenderedFile[], repo: 'platform' | 'apps'): Promise<string> {
  return commit(
    repo === 'platform' ? repos.platform : repos.apps,
    Object.fromEntries(files.filter((f) => f.repo === repo).map((f) => [f.path, f.content])),
  );
}

/**
 * Commits the platform files, lets Argo CD sync them, and commits the app files once the
 * environment's AppProject is in the cluster, as envcat does (src/engine/project-gate.ts): an
 * Application reconciled before its project exists is InvalidSpecError until its next poll (Argo CD
 * does not requeue a project's Applications when the project appears), an hour in these tests.
 * Returns the apps commit.
 */
async function commitInOrder(env: string, files: RenderedFile[]): Promise<string> {
  await commitFiles(files, 'platform');
  await refreshAppSets();
  await waitFor('the AppProject of the environment', () =>
    cluster.client.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      name: `envcat-${env}`,
      namespace: 'argocd',
    }),
  );
  return commitFiles(files, 'apps');
}

function isHealthySynced(status: AppStatus, revision?: string): boolean {
  return (
    status.health?.status === 'Healthy' &&
    status.sync?.status === 'Synced' &&
    (revision === undefined || status.sync.revision === revision)
  );
}

describe('SimulatedArgoCD', () => {
  it('generates envcat-platform-<env> and envcat-apps-<env> from the committed directories, and deletes them with what they deployed when the directories go', async () => {
    // GIVEN
    await startArgo();
    const { env, document } = request('sample-app/dev-feature-auth');
    const files = render(document, true);
    await commitInOrder(env, files);

    // WHEN
    await refreshAppSets();

    // THEN
    const platformApp = await waitFor('envcat-platform app', () => getApp(`envcat-platform-${env}`));
    const appsApp = await waitFor('envcat-apps app', () => getApp(`envcat-apps-${env}`));
    for (const [app, set] of [
      [platformApp, 'envcat-platform'],
      [appsApp, 'envcat-apps'],
    ] as const) {
      expect(app.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ApplicationSet', name: set, controller: true }),
      ]);
      expect(app.metadata.labels).toMatchObject({
        'envcat.io/environment': env,
        'app.kubernetes.io/managed-by': 'envcat',
      });
      expect(app.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    }
    expect(platformApp.spec).toMatchObject({
      source: { repoURL: repos.platformUrl, path: `environments/${env}` },
    });
    expect(appsApp.spec).toMatchObject({
      source: { repoURL: repos.appsUrl, path: `environments/${env}/apps` },
    });
    const set = await waitFor('the refresh annotation handled', async () => {
      const s = await cluster.client.get({ ...APPLICATION_SET, name: 'envcat-apps', namespace: 'argocd' });
      return s?.metadata.annotations?.[APPSET_REFRESH_ANNOTATION] === undefined ? s : undefined;
    });
    expect(conditionOf(set, 'ErrorOccurred')).toMatchObject({
      status: 'False',
      reason: 'ApplicationSetUpToDate',
    });
    expect(conditionOf(set, 'ResourcesUpToDate')).toMatchObject({ status: 'True' });
    await waitFor('the environment Healthy', async () =>
      isHealthySynced(await appStatus(`envcat-apps-${env}`)),
    );

    // WHEN the environment's folders are removed from both repos
    await commit(repos.apps, {}, [`environments/${env}/`]);
    await commit(repos.platform, {}, [`environments/${env}/`]);
    await refreshAppSets();

    // THEN the Applications go, and with them everything they deployed (children first)
    await waitFor(
      'the apps gone',
      async () => !(await getApp(`envcat-apps-${env}`)) && !(await getApp(`${env}-app`)),
    );
    await waitFor('the platform app gone', async () => !(await getApp(`envcat-platform-${env}`)));
    expect(
      await cluster.client.get({
        apiVersion: 'tf.m.upbound.io/v1beta1',
        kind: 'Workspace',
        name: `${env}-db`,
        namespace: env,
      }),
    ).toBeUndefined();
    expect(await cluster.client.get({ apiVersion: 'v1', kind: 'Namespace', name: env })).toBeUndefined();
  });

  it('syncs the platform folder: Namespace, NetworkPolicy and Workspace with the tracking annotation; Progressing until the Workspace is Available, then Healthy at the commit', async () => {
    // GIVEN
    await startArgo();
    const { env, document } = request('rds-postgres/minimal', { db: { delay: '750ms' } });
    const sha = await commitFiles(render(document, false), 'platform');

    // WHEN
    await refreshAppSets();

    // THEN
    const name = `envcat-platform-${env}`;
    const progressing = await waitFor('synced, Progressing', async () => {
      const status = await appStatus(name);
      return status.sync?.status === 'Synced' && status.health?.status === 'Progressing' ? status : undefined;
    });
    expect(progressing.sync?.revision).toBe(sha);
    expect(progressing.operationState).toMatchObject({
      phase: 'Succeeded',
      syncResult: { revision: sha },
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(progressing.reconciledAt).toEqual(expect.any(String));
    expect(progressing.resources?.map((r) => `${r.kind}/${r.name}`)).toEqual([
      `Namespace/${env}`,
      'NetworkPolicy/envcat-isolate-namespace',
      `AppProject/envcat-${env}`,
      `Workspace/${env}-db`,
    ]);
    const workspace = await cluster.client.get({
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      name: `${env}-db`,
      namespace: env,
    });
    // Argo CD 3's annotation tracking: <app>:<group>/<kind>:<namespace>/<name>, the namespace the
    // destination's (none here) for a cluster-scoped object; no tracking label is added.
    expect(workspace?.metadata.annotations?.[TRACKING_ANNOTATION]).toBe(
      `${name}:tf.m.upbound.io/Workspace:${env}/${env}-db`,
    );
    expect(workspace?.metadata.labels?.['envcat.io/instance']).toBe('db');
    expect(workspace?.metadata.labels?.[TRACKING_LABEL]).toBeUndefined();
    const namespace = await cluster.client.get({ apiVersion: 'v1', kind: 'Namespace', name: env });
    expect(namespace?.metadata.annotations?.[TRACKING_ANNOTATION]).toBe(`${name}:/Namespace:/${env}`);

    const healthy = await waitFor('Healthy', async () => {
      const status = await appStatus(name);
      return isHealthySynced(status, sha) ? status : undefined;
    });
    // Argo CD 3 keeps each resource's health in its resource tree, not in the Application
    // (controller.resource.health.persist: false)
    expect(healthy.resourceHealthSource).toBe('appTree');
    expect(healthy.resources?.find((r) => r.kind === 'Workspace')).not.toHaveProperty('health');
  });

  it('syncs a manifests child Application at the commit sha and a Helm one at its chart version; the app of apps is Healthy when both are', async () => {
    // GIVEN
    await startArgo();
    const { env, document } = request('sample-app/dev-feature-auth');
    const files = render(document, true);
    const sha = await commitInOrder(env, files);

    // WHEN
    await refreshAppSets();

    // THEN the manifests Application
    const app = await waitFor('the sample app Healthy', async () => {
      const status = await appStatus(`${env}-app`);
      return isHealthySynced(status) ? status : undefined;
    });
    expect(app.sync?.revision).toBe(sha);
    expect(app.operationState).toMatchObject({ phase: 'Succeeded', syncResult: { revision: sha } });
    expect(app.resources?.map((r) => `${r.kind}/${r.namespace}/${r.name}/${r.status}`)).toEqual([
      `ConfigMap/${env}/app-config/Synced`,
      `Service/${env}/app/Synced`,
      `Deployment/${env}/app/Synced`,
    ]);
    const deployment = await cluster.client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'app',
      namespace: env,
    });
    expect(deployment?.metadata.annotations?.[TRACKING_ANNOTATION]).toBe(
      `${env}-app:apps/Deployment:${env}/app`,
    );
    // The manifest's own app.kubernetes.io/instance label is left as it is (label tracking would overwrite it).
    expect(deployment?.metadata.labels?.[TRACKING_LABEL]).toBe('app');
    expect(deployment?.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });

    // THEN the Helm Application
    const monitoring = await waitFor('monitoring Healthy', async () => {
      const status = await appStatus(`${env}-monitoring`);
      return isHealthySynced(status) ? status : undefined;
    });
    expect(monitoring.sync).toMatchObject({
      revision: '3.69.3',
      comparedTo: {
        source: { chart: 'datadog', repoURL: 'https://helm.datadoghq.com', targetRevision: '3.69.3' },
      },
    });

    // THEN the app of apps
    const parent = await waitFor('envcat-apps Healthy', async () => {
      const status = await appStatus(`envcat-apps-${env}`);
      return isHealthySynced(status, sha) ? status : undefined;
    });
    expect(parent.resources?.map((r) => `${r.kind}/${r.name}/${r.status}`)).toEqual([
      `Application/${env}-app/Synced`,
      `Application/${env}-monitoring/Synced`,
    ]);
  });

  it('picks up a new commit at once on the refresh annotation (and removes it), pruning what left Git', async () => {
    // GIVEN a synced app, and polling that would take an hour
    await startArgo(HOUR);
    const { env, document } = request('sample-app/standalone');
    const files = render(document, true);
    const first = await commitInOrder(env, files);
    await refreshAppSets();
    const name = `${env}-web`;
    await waitFor('synced at the first commit', async () => isHealthySynced(await appStatus(name), first));
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config', namespace: env };
    expect(await cluster.client.get(configMap)).toBeDefined();

    // WHEN a file is removed in a new commit and a refresh is asked for
    const second = await commit(repos.apps, {}, [`environments/${env}/apps/web/configmap.yaml`]);
    await refresh(name);

    // THEN
    const status = await waitFor('synced at the second commit', async () => {
      const app = await getApp(name);
      const s = statusOf<AppStatus>(app);
      return s.sync?.revision === second && s.sync.status === 'Synced' ? app : undefined;
    });
    expect(await cluster.client.get(configMap)).toBeUndefined();
    expect(statusOf<AppStatus>(status).resources?.map((r) => r.kind)).toEqual(['Service', 'Deployment']);
    await waitFor(
      'the annotation removed',
      async () => (await getApp(name))?.metadata.annotations?.[REFRESH_ANNOTATION] === undefined,
    );
  });

  it('deletes what an Application with the resources finalizer deployed before the Application itself; without it, orphans', async () => {
    // GIVEN two standalone Applications over one folder (outside environments/, which the
    // ApplicationSets own), one of them with the finalizer
    await startArgo();
    const { env, document } = request('rds-postgres/minimal', { db: { delay: '500ms' } });
    const files = render(document, false).map((f) =>
      f.path.endsWith('/environment.yaml')
        ? f
        : { ...f, path: f.path.replace(/^environments\//, 'standalone/') },
    );
    await commitFiles(files, 'platform');
    const application = (name: string, finalizer: boolean, path: string): KubeObject => ({
      ...APPLICATION,
      metadata: {
        name,
        namespace: 'argocd',
        ...(finalizer ? { finalizers: ['resources-finalizer.argocd.argoproj.io'] } : {}),
      },
      spec: {
        project: 'envcat-bootstrap',
        source: {
          repoURL: repos.platformUrl,
          targetRevision: 'main',
          path,
          directory: { recurse: true, exclude: 'environment.yaml' },
        },
        destination: { server: 'https://kubernetes.default.svc' },
        syncPolicy: { automated: { prune: true } },
      },
    });
    await cluster.client.apply(application(`${env}-infra`, true, `standalone/${env}`), {
      fieldManager: 'test',
    });
    await waitFor('Healthy', async () => isHealthySynced(await appStatus(`${env}-infra`)));
    const workspace = {
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'Workspace',
      name: `${env}-db`,
      namespace: env,
    };

    // WHEN
    await cluster.client.delete(appRef(`${env}-infra`));

    // THEN the Workspace is destroyed (through its own finalizer) while the Application waits
    await waitFor(
      'the Workspace Deleting',
      async () => conditionOf(await cluster.client.get(workspace), 'Ready')?.reason === 'Deleting',
    );
    expect((await getApp(`${env}-infra`))?.metadata.deletionTimestamp).toBeDefined();
    await waitFor('the Application gone', async () => !(await getApp(`${env}-infra`)));
    expect(await cluster.client.get(workspace)).toBeUndefined();
    expect(await cluster.client.get({ apiVersion: 'v1', kind: 'Namespace', name: env })).toBeUndefined();

    // GIVEN WHEN an Application without the finalizer is deleted THEN its resources stay
    await cluster.client.apply(application(`${env}-orphans`, false, `standalone/${env}`), {
      fieldManager: 'test',
    });
    await waitFor('synced', async () => (await appStatus(`${env}-orphans`)).sync?.status === 'Synced');
    await cluster.client.delete(appRef(`${env}-orphans`));
    await waitFor('the Application gone', async () => !(await getApp(`${env}-orphans`)));
    expect(await cluster.client.get({ apiVersion: 'v1', kind: 'Namespace', name: env })).toBeDefined();
    expect(await cluster.client.get(workspace)).toBeDefined();
  });

  it('obeys the simulator controls of an instance: failApply → Failed and Degraded, neverReady → Progressing, delay', async () => {
    // GIVEN one environment with three instances of the sample app
    await startArgo();
    const { env, document } = request('sample-app/standalone', {
      broken: { failApply: 'ImagePullBackOff: no such image' },
      stuck: { neverReady: true },
      slow: { delay: '1500ms' },
    });
    const spec = (document as unknown as { spec: { catalogs: Array<Record<string, unknown>> } }).spec;
    const web = spec.catalogs[0]!;
    spec.catalogs = ['broken', 'stuck', 'slow', 'plain'].map((name) => ({ ...web, name }));
    const files = render(document, true);
    await commitInOrder(env, files);

    // WHEN
    await refreshAppSets();

    // THEN
    // the slow one is synced but stays Progressing for its delay, while the plain one gets Healthy
    await waitFor('the slow one synced and Progressing', async () => {
      const status = await appStatus(`${env}-slow`);
      return status.sync?.status === 'Synced' && status.health?.status === 'Progressing';
    });
    await waitFor('the plain one Healthy', async () => isHealthySynced(await appStatus(`${env}-plain`)));
    expect((await appStatus(`${env}-slow`)).health?.status).toBe('Progressing');
    const broken = await waitFor('the broken one Failed', async () => {
      const status = await appStatus(`${env}-broken`);
      return status.operationState?.phase === 'Failed' ? status : undefined;
    });
    expect(broken.operationState?.message).toBe('ImagePullBackOff: no such image');
    expect(broken.health).toMatchObject({ status: 'Degraded', message: 'ImagePullBackOff: no such image' });
    expect(broken.sync?.status).toBe('OutOfSync');
    await waitFor('the slow one Healthy', async () => isHealthySynced(await appStatus(`${env}-slow`)));
    const stuck = await appStatus(`${env}-stuck`);
    expect(stuck.sync?.status).toBe('Synced');
    expect(stuck.health?.status).toBe('Progressing');
    const parent = await waitFor('the app of apps Degraded', async () => {
      const status = await appStatus(`envcat-apps-${env}`);
      return status.health?.status === 'Degraded' ? status : undefined;
    });
    expect(parent.health?.message).toBe('ImagePullBackOff: no such image');
  });

  it('reports an ApplicationSet template it cannot render as ErrorOccurred, and an Application of a missing project as InvalidSpecError', async () => {
    await startArgo();
    const set = {
      ...APPLICATION_SET,
      metadata: { name: 'unsupported', namespace: 'argocd' },
      spec: {
        goTemplate: true,
        generators: [
          {
            git: { repoURL: repos.platformUrl, revision: 'main', directories: [{ path: 'environments/*' }] },
          },
        ],
        template: {
          metadata: { name: '{{ .path.basename | upper }}' },
          spec: { project: 'envcat-bootstrap' },
        },
      },
    };
    await cluster.client.apply(set, { fieldManager: 'test' });
    const failed = await waitFor('ErrorOccurred', async () => {
      const s = await cluster.client.get({ ...APPLICATION_SET, name: 'unsupported', namespace: 'argocd' });
      return conditionOf(s, 'ErrorOccurred')?.status === 'True' ? s : undefined;
    });
    expect(conditionOf(failed, 'ErrorOccurred')).toMatchObject({
      reason: 'ApplicationGenerationFromParamsError',
      message: expect.stringContaining('is not supported'),
    });
    expect(conditionOf(failed, 'ResourcesUpToDate')).toMatchObject({ status: 'False' });

    await cluster.client.apply(
      {
        ...APPLICATION,
        metadata: { name: 'no-project', namespace: 'argocd' },
        spec: {
          project: 'nope',
          source: { repoURL: repos.appsUrl, targetRevision: 'main', path: 'environments' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
        },
      },
      { fieldManager: 'test' },
    );
    const invalid = await waitFor('InvalidSpecError', async () => {
      const status = await appStatus('no-project');
      return status.conditions?.length ? status : undefined;
    });
    expect(invalid.conditions).toEqual([
      expect.objectContaining({
        type: 'InvalidSpecError',
        message: 'Application referencing project nope which does not exist',
      }),
    ]);
    expect(invalid.sync?.status).toBe('Unknown');
  });

  it('does not sync again after a restart: the operation of the current revision stands', async () => {
    await startArgo();
    const { env, document } = request('sample-app/standalone');
    const files = render(document, true);
    const sha = await commitInOrder(env, files);
    await refreshAppSets();
    const before = await waitFor('Healthy', async () => {
      const status = await appStatus(`${env}-web`);
      return isHealthySynced(status, sha) ? status : undefined;
    });

    // WHEN Argo CD restarts (its first look reads Git again)
    await argocd?.stop();
    await startArgo();
    await refresh(`${env}-web`);

    // THEN it compared again but did not run another sync
    const after = await waitFor('compared again', async () => {
      const app = await getApp(`${env}-web`);
      return app?.metadata.annotations?.[REFRESH_ANNOTATION] === undefined
        ? statusOf<AppStatus>(app)
        : undefined;
    });
    expect(after.operationState?.startedAt).toBe(before.operationState?.startedAt);
    expect(isHealthySynced(after, sha)).toBe(true);
  });
});

/**
 * The cluster client with a pause: once armed, the next PUT of the named Application (the removal
 * of the refresh request it handled, see consumeRefresh) waits until released. Argo CD has then read
 * Git for that refresh and written its status.
 */
function pausingClient(client: ClusterClient) {
  let armed: { name: string; reached: () => void; released: Promise<void> } | undefined;
  const paused = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'replace')
        return async (object: KubeObject) => {
          const pause = armed;
          if (pause && object.kind === 'Application' && object.metadata.name === pause.name) {
            armed = undefined;
            pause.reached();
            await pause.released;
          }
          return target.replace(object);
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    client: paused,
    /** Arms the pause; `reached` resolves once the write is held. */
    pauseRefreshRemoval(name: string) {
      let reached!: () => void;
      let release!: () => void;
      const atPause = new Promise<void>((resolve) => (reached = resolve));
      armed = { name, reached, released: new Promise<void>((resolve) => (release = resolve)) };
      return { reached: atPause, release };
    },
  };
}

describe('SimulatedArgoCD: refresh requests and resource tracking', () => {
  /** A standalone app synced at its first commit (Argo CD polling hourly), its ConfigMap deployed. */
  async function syncedStandalone(options?: Parameters<typeof startArgo>[1]) {
    await startArgo(HOUR, options);
    const { env, document } = request('sample-app/standalone');
    const files = render(document, true);
    const first = await commitInOrder(env, files);
    await refreshAppSets();
    const name = `${env}-web`;
    await waitFor('synced at the first commit', async () => isHealthySynced(await appStatus(name), first));
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config', namespace: env };
    return { env, name, first, configMap };
  }

  const requestRefresh = (name: string, timestamp?: string) =>
    cluster.client.mergePatch(appRef(name), {
      metadata: {
        annotations: {
          [REFRESH_ANNOTATION]: 'normal',
          ...(timestamp ? { [REFRESH_TIMESTAMP_ANNOTATION]: timestamp } : {}),
        },
      },
    });

  it.each([
    ['without refresh-timestamp (what Argo CD 3.5 knows), is lost with the one being handled', false],
    ['with a new refresh-timestamp, stays and is handled next', true],
  ])('a refresh asked for while another is being handled, %s', async (_case, timestamps) => {
    // GIVEN a synced app, and Argo CD held just before it removes the refresh request it handled
    const pausing = pausingClient(cluster.client);
    const { env, name, first, configMap } = await syncedStandalone({ cluster: pausing.client });
    const pause = pausing.pauseRefreshRemoval(name);
    await requestRefresh(name, timestamps ? '2026-01-01T00:00:00.000000001Z' : undefined);
    await pause.reached;

    // WHEN a commit lands and a refresh is asked for meanwhile
    const second = await commit(repos.apps, {}, [`environments/${env}/apps/web/configmap.yaml`]);
    await requestRefresh(name, timestamps ? '2026-01-01T00:00:00.000000002Z' : undefined);
    pause.release();

    // THEN with timestamps the second request is handled: the new commit is synced
    if (timestamps) {
      await waitFor('synced at the second commit', async () => {
        const s = await appStatus(name);
        return s.sync?.revision === second && s.sync.status === 'Synced';
      });
      expect(await cluster.client.get(configMap)).toBeUndefined();
    }
    // (both requests removed in the end)
    const settled = await waitFor('the refresh annotations removed', async () => {
      const app = await getApp(name);
      const annotations = app?.metadata.annotations ?? {};
      return annotations[REFRESH_ANNOTATION] === undefined &&
        annotations[REFRESH_TIMESTAMP_ANNOTATION] === undefined
        ? app
        : undefined;
    });
    if (!timestamps) {
      // …without, it went with the first: Argo CD stays at the commit it read until its next poll
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(statusOf<AppStatus>(settled).sync?.revision).toBe(first);
      expect((await appStatus(name)).sync?.revision).toBe(first);
      expect(await cluster.client.get(configMap)).toBeDefined();
    }
  });

  it('writes no status when nothing changed: an event that changes nothing of it is not answered by a write', async () => {
    // GIVEN a synced app, settled, and a watch on it
    const { name } = await syncedStandalone();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const writes: string[] = [];
    const informer = cluster.client.informer(APPLICATION, { namespace: 'argocd' });
    informer.on('MODIFIED', (app) => {
      if (app.metadata.name === name) writes.push(app.metadata.resourceVersion ?? '');
    });
    await informer.start();
    const before = await getApp(name);

    // WHEN something makes Argo CD reconcile it without a refresh (a label on the Application)
    await cluster.client.mergePatch(appRef(name), { metadata: { labels: { 'test.envcat.io/poke': '1' } } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    informer.stop();

    // THEN the label's write is the only one: Argo CD compared, found nothing new, wrote nothing
    expect(writes).toHaveLength(1);
    expect((await getApp(name))?.status).toEqual(before?.status);
  });

  it('prunes only what is still its own: an object whose tracking id names another Application stays (isSelfReferencedObj)', async () => {
    // GIVEN a synced app whose ConfigMap another Application has taken over since
    const { env, name, configMap } = await syncedStandalone();
    await cluster.client.mergePatch(configMap, {
      metadata: { annotations: { [TRACKING_ANNOTATION]: `other-app:/ConfigMap:${env}/web-config` } },
    });

    // WHEN the ConfigMap leaves Git
    const second = await commit(repos.apps, {}, [`environments/${env}/apps/web/configmap.yaml`]);
    await refresh(name);

    // THEN the app syncs without it, does not prune it and does not list it for pruning
    const status = await waitFor('synced at the second commit', async () => {
      const s = await appStatus(name);
      return s.sync?.revision === second && s.sync.status === 'Synced' ? s : undefined;
    });
    expect(status.resources?.map((r) => r.kind)).toEqual(['Service', 'Deployment']);
    expect(await cluster.client.get(configMap)).toBeDefined();
  });

  it('tracks by the app.kubernetes.io/instance label when told to (application.resourceTrackingMethod: label), and prunes by it', async () => {
    // GIVEN label tracking
    const { env, name, configMap } = await syncedStandalone({
      cluster: cluster.client,
      trackingMethod: 'label',
    });
    const deployment = await cluster.client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      namespace: env,
    });
    expect(deployment?.metadata.labels?.[TRACKING_LABEL]).toBe(name);
    expect(deployment?.metadata.annotations?.[TRACKING_ANNOTATION]).toBeUndefined();

    // WHEN the ConfigMap leaves Git THEN it is pruned
    const second = await commit(repos.apps, {}, [`environments/${env}/apps/web/configmap.yaml`]);
    await refresh(name);
    await waitFor('synced at the second commit', async () => {
      const s = await appStatus(name);
      return s.sync?.revision === second && s.sync.status === 'Synced';
    });
    expect(await cluster.client.get(configMap)).toBeUndefined();
  });

  it('keeps the health of each resource in status.resources when told to (controller.resource.health.persist: true, as Argo CD 2)', async () => {
    const { name } = await syncedStandalone({ cluster: cluster.client, persistResourceHealth: true });
    const status = await appStatus(name);
    expect(status.resourceHealthSource).toBeUndefined();
    expect(status.resources?.find((r) => r.kind === 'Deployment')?.health?.status).toBe('Healthy');
  });
});
