/**
 * "The hidden kinds of case" end to end (real bare repos, the simulated cluster over HTTP, the
 * engine, the REST API): entries published after the bootstrap, one with a chart repo no built-in
 * entry uses and one whose manifests hold a ClusterRole (and name their namespace), deploy without
 * anyone editing gitops/, because each environment gets its own Argo CD project. That project
 * fences the environment: an Application of it pointing at an unlisted repo or at another
 * environment's namespace is refused as upstream Argo CD refuses it (InvalidSpecError).
 */
import { jest } from '@jest/globals';
import type { KubeObject } from '../../src/cluster/types.js';
import { startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(120_000);

const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' } as const;
const CHART_REPO = 'https://charts.example.org/stable';
const ENV = 'hidden-kinds';

/** A Helm entry from a chart repo none of the built-in entries uses. */
const EXPORTER = [
  {
    path: 'catalog.yaml',
    content: [
      'apiVersion: envcat.io/v1alpha1',
      'kind: CatalogEntry',
      'metadata: { name: node-exporter, version: 1.0.0, title: Node exporter }',
      'spec:',
      '  type: yaml',
      '  parameters:',
      '    type: object',
      '    properties:',
      '      port: { type: integer, default: 9100, title: Port, description: The metrics port. }',
      '  apps:',
      `    helm: { repoURL: "${CHART_REPO}", chart: node-exporter, targetRevision: 4.2.0 }`,
      '    values: ./values.yaml',
      '    clusterResources:',
      '      - { group: rbac.authorization.k8s.io, kind: ClusterRole }',
      '',
    ].join('\n'),
  },
  { path: 'values.yaml', content: 'service:\n  port: ${{ parameters.port }}\n' },
];

/** A manifests entry with a cluster-scoped ClusterRole and binding, and manifests that name their namespace. */
const READER = [
  {
    path: 'catalog.yaml',
    content: [
      'apiVersion: envcat.io/v1alpha1',
      'kind: CatalogEntry',
      'metadata: { name: node-reader, version: 1.0.0, title: Node reader }',
      'spec:',
      '  type: yaml',
      '  parameters: { type: object }',
      '  apps:',
      '    manifests: ./manifests',
      '    clusterResources:',
      '      - { group: rbac.authorization.k8s.io, kind: ClusterRole }',
      '      - { group: rbac.authorization.k8s.io, kind: ClusterRoleBinding }',
      '',
    ].join('\n'),
  },
  {
    path: 'manifests/rbac.yaml',
    content: [
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata:',
      '  name: ${{ instance.name }}',
      '  namespace: ${{ environment.namespace }}',
      '---',
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRole',
      'metadata:',
      '  name: ${{ environment.name }}-${{ instance.name }}',
      'rules:',
      '  - { apiGroups: [""], resources: [nodes], verbs: [get, list, watch] }',
      '---',
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRoleBinding',
      'metadata:',
      '  name: ${{ environment.name }}-${{ instance.name }}',
      'roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "${{ environment.name }}-${{ instance.name }}" }',
      'subjects:',
      '  - { kind: ServiceAccount, name: "${{ instance.name }}", namespace: "${{ environment.namespace }}" }',
      '',
    ].join('\n'),
  },
];

function expectStatus(response: { status: number; text: string }, status: number): void {
  if (response.status !== status)
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 2000)}`);
}

async function phaseOf(
  envcat: TestEnvcat,
  name: string,
): Promise<{ phase: string; message: string } | undefined> {
  const response = await envcat.api<{ status: { phase: string; message: string } }>(
    'GET',
    `/api/v1/environments/${name}`,
  );
  return response.status === 200 ? response.body.status : undefined;
}

/** The environment's status and its Applications' conditions and operations, for a failure message. */
async function diagnosis(): Promise<string> {
  const env = (await envcat.api('GET', `/api/v1/environments/${ENV}`)).text;
  const apps = await envcat.cluster.list(APPLICATION, { namespace: 'argocd' });
  const states = apps.map((a) => {
    const s = a.status as { conditions?: unknown; operationState?: { phase?: string; message?: string } };
    return `${a.metadata.name}: ${JSON.stringify(s?.conditions ?? [])} ${s?.operationState?.phase ?? ''} ${s?.operationState?.message ?? ''}`;
  });
  return [env.slice(0, 2000), ...states].join('\n');
}

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

describe('hidden kinds: entries published after the bootstrap', () => {
  it('deploy a new chart repo and a ClusterRole, in a project of their own that fences the environment', async () => {
    // GIVEN two entries published through the API: a chart from a new repo, and manifests with a ClusterRole
    expectStatus(await envcat.api('POST', '/api/v1/catalogs', { files: EXPORTER }), 201);
    expectStatus(await envcat.api('POST', '/api/v1/catalogs', { files: READER }), 201);

    // WHEN an environment uses both
    const created = await envcat.api('POST', '/api/v1/environments', {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: ENV },
      spec: {
        namespace: ENV,
        type: 'pre-release',
        catalogs: [
          { name: 'exporter', entry: 'node-exporter' },
          { name: 'reader', entry: 'node-reader' },
        ],
      },
    });
    expectStatus(created, 201);

    // THEN it reaches Ready
    await ready().catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await diagnosis()}`);
    });
    async function ready() {
      return waitFor(
        `${ENV} Ready`,
        async () => {
          const status = await phaseOf(envcat, ENV);
          if (status?.phase === 'Failed') throw new Error(`${ENV} failed: ${status.message}`);
          return status?.phase === 'Ready' ? status : undefined;
        },
        { timeoutMs: 60_000 },
      );
    }
    // AND the ClusterRole is in the cluster, synced by the environment's Application
    const clusterRole = await envcat.cluster.get({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      name: `${ENV}-reader`,
    });
    // (Argo CD 3's annotation tracking: a cluster-scoped object carries the destination namespace)
    expect(clusterRole?.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toBe(
      `${ENV}-reader:rbac.authorization.k8s.io/ClusterRole:${ENV}/${ENV}-reader`,
    );
    // AND the environment's project allows exactly its repos, its namespace and the declared kinds
    const project = await envcat.cluster.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      name: `envcat-${ENV}`,
      namespace: 'argocd',
    });
    expect(project?.spec).toMatchObject({
      sourceRepos: [expect.any(String), CHART_REPO],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: ENV }],
      clusterResourceWhitelist: [
        { group: '', kind: 'Namespace', name: ENV },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      ],
    });
    for (const instance of ['exporter', 'reader']) {
      const app = await envcat.cluster.get({
        ...APPLICATION,
        name: `${ENV}-${instance}`,
        namespace: 'argocd',
      });
      expect(app?.spec).toMatchObject({ project: `envcat-${ENV}` });
    }

    // WHEN Applications of that project point at an unlisted repo, or at another environment's namespace
    const rogue = (name: string, source: Record<string, unknown>, namespace: string): KubeObject => ({
      ...APPLICATION,
      metadata: { name, namespace: 'argocd' },
      spec: {
        project: `envcat-${ENV}`,
        source,
        destination: { server: 'https://kubernetes.default.svc', namespace },
        syncPolicy: { automated: { prune: true } },
      },
    });
    await envcat.cluster.apply(
      rogue(
        'rogue-repo',
        { repoURL: 'https://charts.unlisted.example', chart: 'miner', targetRevision: '1.0.0' },
        ENV,
      ),
      { fieldManager: 'test' },
    );
    await envcat.cluster.apply(
      rogue(
        'rogue-namespace',
        { repoURL: CHART_REPO, chart: 'node-exporter', targetRevision: '4.2.0' },
        'dev-feature-auth',
      ),
      { fieldManager: 'test' },
    );

    // THEN the simulated Argo CD refuses each with upstream's InvalidSpecError, and syncs nothing
    const conditions = (name: string) =>
      waitFor(`${name} refused`, async () => {
        const app = await envcat.cluster.get({ ...APPLICATION, name, namespace: 'argocd' });
        const status = app?.status as { conditions?: Array<{ type: string; message: string }> } | undefined;
        return status?.conditions?.length ? status.conditions : undefined;
      });
    expect(await conditions('rogue-repo')).toEqual([
      expect.objectContaining({
        type: 'InvalidSpecError',
        message: `application repo https://charts.unlisted.example is not permitted in project 'envcat-${ENV}'`,
      }),
    ]);
    expect(await conditions('rogue-namespace')).toEqual([
      expect.objectContaining({
        type: 'InvalidSpecError',
        message: `application destination server 'https://kubernetes.default.svc' and namespace 'dev-feature-auth' do not match any of the allowed destinations in project 'envcat-${ENV}'`,
      }),
    ]);
    for (const name of ['rogue-repo', 'rogue-namespace'])
      await envcat.cluster.delete({ ...APPLICATION, name, namespace: 'argocd' });

    // WHEN the environment is deleted THEN its ClusterRole and its project go with it
    expectStatus(await envcat.api('DELETE', `/api/v1/environments/${ENV}`), 202);
    await waitFor(
      `${ENV} gone`,
      async () =>
        (await envcat.api('GET', `/api/v1/environments/${ENV}`)).status === 404 ? true : undefined,
      { timeoutMs: 60_000 },
    );
    await waitFor('the ClusterRole and the AppProject deleted', async () => {
      const left = await Promise.all([
        envcat.cluster.get({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          name: `${ENV}-reader`,
        }),
        envcat.cluster.get({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          name: `envcat-${ENV}`,
          namespace: 'argocd',
        }),
      ]);
      return left.every((o) => o === undefined) ? true : undefined;
    });
  });
});
