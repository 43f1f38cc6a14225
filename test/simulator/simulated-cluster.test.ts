/**
 * startSimulatedCluster: the embedded default's cluster, set up with the gitops/bootstrap of this
 * checkout, taking the domain example through both phases the way the engine will (commit, ask
 * the ApplicationSets and Applications to refresh, read outputs back from the Workspace).
 */
import { jest } from '@jest/globals';
import { join } from 'node:path';
import {
  APPSET_REFRESH_ANNOTATION,
  DEFAULT_BOOTSTRAP_DIR,
  loadBootstrap,
  startSimulatedCluster,
  type SimulatedCluster,
} from '../../src/simulator/index.js';
import {
  ExternalError,
  renderEnvironment,
  renderOptions,
  validateEnvironment,
  workspaceOutputs,
} from '../../src/core/index.js';
import { builtInCatalog, examples } from '../support/examples.js';
import {
  commit,
  conditionOf,
  createRepos,
  createSandbox,
  decodeSecret,
  recordingLogger,
  statusOf,
  waitFor,
  type Sandbox,
} from './support.js';

jest.setTimeout(90_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox('cluster');
});
afterAll(() => sandbox.cleanup());

describe('loadBootstrap', () => {
  it('reads the bootstrap in kustomization order with the placeholder repo URLs replaced everywhere', async () => {
    const docs = await loadBootstrap({
      dir: DEFAULT_BOOTSTRAP_DIR,
      platformRepoUrl: '/srv/platform.git',
      appsRepoUrl: '/srv/apps.git',
    });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'AppProject/envcat-bootstrap',
      'ApplicationSet/envcat-apps',
      'ApplicationSet/envcat-platform',
      'ClusterProviderConfig/default',
      'ProviderConfig/default',
    ]);
    const text = JSON.stringify(docs);
    expect(text).not.toContain('git.example.com');
    const bootstrapProject = docs.find((d) => d.metadata.name === 'envcat-bootstrap')!;
    expect((bootstrapProject.spec as { sourceRepos: string[] }).sourceRepos).toEqual([
      '/srv/platform.git',
      '/srv/apps.git',
    ]);
    expect(JSON.stringify(docs.find((d) => d.metadata.name === 'envcat-apps'))).toContain(
      '"repoURL":"/srv/apps.git"',
    );
  });

  it('GIVEN a folder without a bootstrap THEN an ExternalError naming the file', async () => {
    await expect(
      loadBootstrap({ dir: join(sandbox.root, 'nothing'), platformRepoUrl: 'a', appsRepoUrl: 'b' }),
    ).rejects.toThrow(ExternalError);
  });
});

describe('startSimulatedCluster', () => {
  let cluster: SimulatedCluster;
  let log: ReturnType<typeof recordingLogger>;

  afterAll(async () => {
    await cluster?.stop();
  });

  it('provisions the domain example through both phases, as a real cluster with the bootstrap would', async () => {
    // GIVEN
    const repos = await createRepos(sandbox);
    const catalog = await builtInCatalog();
    log = recordingLogger();
    cluster = await startSimulatedCluster({
      platformRepoUrl: repos.platformUrl,
      appsRepoUrl: repos.appsUrl,
      workdir: join(sandbox.root, 'simulator'),
      catalog,
      defaultDelayMs: 50,
      pollMs: 3_600_000,
      logger: log.logger,
    });
    const client = cluster.client;
    expect(
      log
        .lines()
        .some(
          (l) =>
            String(l.msg).includes('simulated cluster (not a real Kubernetes cluster)') &&
            l.url === cluster.url,
        ),
    ).toBe(true);
    expect(
      await client.get({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        name: 'envcat-bootstrap',
        namespace: 'argocd',
      }),
    ).toBeDefined();
    const refreshAppSets = async () => {
      for (const name of ['envcat-platform', 'envcat-apps'])
        await client.mergePatch(
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name, namespace: 'argocd' },
          { metadata: { annotations: { [APPSET_REFRESH_ANNOTATION]: 'true' } } },
        );
    };
    const example = examples().find((e) => e.id === 'sample-app/dev-feature-auth')!;
    const { environment, plan } = validateEnvironment(example.document, catalog);
    const options = renderOptions({ appsRepo: { url: repos.appsUrl, revision: 'main' } });
    const env = environment.name;

    // WHEN phase 1 is committed
    const phase1 = renderEnvironment({ env: environment, plan, options }).files;
    await commit(repos.platform, Object.fromEntries(phase1.map((f) => [f.path, f.content])), [], 'phase 1');
    await refreshAppSets();

    // THEN the database becomes Available, its outputs in status and its Secret
    const workspace = await waitFor('the Workspace Available', async () => {
      const ws = await client.get({
        apiVersion: 'tf.m.upbound.io/v1beta1',
        kind: 'Workspace',
        name: `${env}-db`,
        namespace: env,
      });
      return conditionOf(ws, 'Ready')?.status === 'True' ? ws : undefined;
    });
    const outputs = workspaceOutputs(workspace);
    expect(Object.keys(outputs).sort()).toEqual(['databaseName', 'endpoint', 'port', 'username']);
    const secret = await client.get({
      apiVersion: 'v1',
      kind: 'Secret',
      name: `${env}-db-outputs`,
      namespace: env,
    });
    expect(Object.keys(decodeSecret(secret)).sort()).toEqual([
      'databaseName',
      'endpoint',
      'password',
      'port',
      'username',
    ]);

    // WHEN phase 2 is rendered with those outputs and committed
    const phase2 = renderEnvironment({ env: environment, plan, options, outputs: { db: outputs } }).files;
    const sha = await commit(
      repos.apps,
      Object.fromEntries(phase2.filter((f) => f.repo === 'apps').map((f) => [f.path, f.content])),
      [],
      'phase 2',
    );
    await refreshAppSets();

    // THEN both Applications are Synced and Healthy, the manifests one at the commit
    for (const [instance, revision] of [
      ['app', sha],
      ['monitoring', '3.69.3'],
    ]) {
      await waitFor(`${instance} Synced and Healthy`, async () => {
        const app = await client.get({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          name: `${env}-${instance}`,
          namespace: 'argocd',
        });
        const status = statusOf<{ sync?: { status: string; revision: string }; health?: { status: string } }>(
          app,
        );
        return (
          status.sync?.status === 'Synced' &&
          status.sync.revision === revision &&
          status.health?.status === 'Healthy'
        );
      });
    }
    const deployment = await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'app',
      namespace: env,
    });
    const container = (
      deployment?.spec as {
        template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
      }
    ).template.spec.containers[0];
    expect(container?.env.find((e) => e.name === 'DATABASE_HOST')?.value).toBe(outputs.endpoint);

    // WHEN stopped THEN its API server no longer answers
    const url = cluster.url;
    await cluster.stop();
    await expect(fetch(`${url}/version`)).rejects.toThrow();
  });
});
