/**
 * The environment's Argo CD project (src/core/render/appproject.ts) and the namespaces manifests may
 * name: what the rendered AppProject allows (exactly what the environment's entries need), the
 * project the Applications use, a shared project when configured, and the render-time check that a
 * manifest's namespace is the environment's.
 */
import { stringify } from 'yaml';
import {
  Catalog,
  InputError,
  parseYamlDocuments,
  appProjectInPlace,
  projectOptionProblem,
  renderAppProject,
  renderEnvironment,
  renderOptions,
  validateEntry,
  validateEnvironment,
  type CatalogEntry,
  type JsonValue,
  type RenderOptions,
} from '../../../src/core/index.js';
import { builtInCatalog, examples, TEST_RENDER_OPTIONS } from '../../support/examples.js';

type Obj = Record<string, unknown>;

async function entry(args: {
  name: string;
  apps: JsonValue;
  parameters?: JsonValue;
  files?: Record<string, string>;
}): Promise<CatalogEntry> {
  const doc = {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'CatalogEntry',
    metadata: { name: args.name, version: '1.0.0' },
    spec: { type: 'yaml', parameters: args.parameters ?? { type: 'object' }, apps: args.apps },
  };
  const check = await validateEntry({
    dir: `catalogs/${args.name}`,
    files: [
      { path: 'catalog.yaml', content: stringify(doc) },
      ...Object.entries(args.files ?? {}).map(([path, content]) => ({ path, content })),
    ],
  });
  if (!check.entry) throw new Error(JSON.stringify(check.problems));
  return check.entry;
}

const CLUSTER_ROLE = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' };
const CRB = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' };

/** Two Helm entries (one sharing a chart repo) and a manifests entry with a namespace parameter. */
async function testCatalog(): Promise<Catalog> {
  return new Catalog([
    await entry({
      name: 'operator',
      apps: {
        helm: { repoURL: 'https://charts.example.org/stable', chart: 'operator', targetRevision: '2.0.0' },
        clusterResources: [
          CRB,
          CLUSTER_ROLE,
          { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
        ],
      },
    }),
    await entry({
      name: 'agent',
      apps: {
        helm: { repoURL: 'https://charts.example.org/stable', chart: 'agent', targetRevision: '1.0.0' },
        clusterResources: [CLUSTER_ROLE],
      },
    }),
    await entry({
      name: 'web',
      parameters: {
        type: 'object',
        properties: { ns: { type: 'string', default: 'team-a' }, other: { type: 'string', default: 'x' } },
      },
      apps: { manifests: './manifests' },
      files: {
        'manifests/config.yaml': [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: ${{ instance.name }}',
          '  namespace: ${{ environment.namespace }}',
          '---',
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: ${{ instance.name }}-2',
          '  namespace: ${{ parameters.ns }}',
          '---',
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: ${{ instance.name }}-3',
          '  namespace: ${{ parameters.other }}-${{ environment.name }}',
          '',
        ].join('\n'),
      },
    }),
  ]);
}

function request(name: string, namespace: string, catalogs: JsonValue[]): JsonValue {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: { namespace, type: 'pre-release', catalogs },
  };
}

function render(catalog: Catalog, doc: JsonValue, options: RenderOptions = TEST_RENDER_OPTIONS) {
  const { environment, plan } = validateEnvironment(doc, catalog);
  return renderEnvironment({ env: environment, plan, outputs: {}, options });
}

function namespaceDocs(result: ReturnType<typeof render>): Obj[] {
  const file = result.files.find((f) => f.path.endsWith('/namespace.yaml'));
  return parseYamlDocuments(file!.content) as Obj[];
}

const WEB_OK = { name: 'web', entry: 'web', parameters: { ns: 'team-a', other: 'team' } };

describe("the environment's AppProject", () => {
  it('allows exactly the apps repo and chart repos, the namespace, Namespace and the declared kinds', async () => {
    // GIVEN an environment of two Helm entries sharing a chart repo and a manifests entry
    const catalog = await testCatalog();
    const result = render(
      catalog,
      request('a', 'team-a', [
        { name: 'op', entry: 'operator' },
        { name: 'agent', entry: 'agent' },
        { name: 'web', entry: 'web', parameters: { other: 'team' } },
      ]),
    );
    // WHEN its namespace.yaml is read
    const project = namespaceDocs(result).find((d) => d.kind === 'AppProject');
    // THEN it holds the environment's project, in the Argo CD namespace
    expect(project).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: {
        name: 'envcat-a',
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/managed-by': 'envcat', 'envcat.io/environment': 'a' },
      },
      spec: {
        description: 'envcat environment a: its Applications deploy into namespace team-a only',
        sourceRepos: [TEST_RENDER_OPTIONS.appsRepo.url, 'https://charts.example.org/stable'],
        destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a' }],
        clusterResourceWhitelist: [
          { group: '', kind: 'Namespace', name: 'team-a' },
          { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
          CLUSTER_ROLE,
          CRB,
        ],
        namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });
    // AND it comes after the Namespace, in the file committed before any app
    expect(namespaceDocs(result).map((d) => d.kind)).toEqual(['Namespace', 'NetworkPolicy', 'AppProject']);
    // AND every Application of the environment uses it
    const apps = result.files.filter((f) => /\/apps\/[^/]+\.yaml$/.test(f.path));
    expect(apps).toHaveLength(3);
    for (const f of apps)
      expect(parseYamlDocuments(f.content)[0]).toMatchObject({ spec: { project: 'envcat-a' } });
  });

  it.each<[string, Partial<RenderOptions['argocd']>, string | undefined]>([
    ['the default, one per environment', {}, 'envcat-qa'],
    ['another pattern', { project: 'apps-{env}-team' }, 'apps-qa-team'],
    ['a shared project (no {env}): envcat renders none', { project: 'envcat' }, undefined],
  ])('%s', async (_case, argocd, expected) => {
    // GIVEN a project option WHEN an environment is rendered with it
    const options = renderOptions({
      ...TEST_RENDER_OPTIONS,
      argocd: { ...TEST_RENDER_OPTIONS.argocd, ...argocd },
    });
    const result = render(
      await testCatalog(),
      request('qa', 'qa-ns', [{ name: 'agent', entry: 'agent' }]),
      options,
    );
    // THEN namespace.yaml holds that project (or none), and the Application names the project it uses
    const project = namespaceDocs(result).find((d) => d.kind === 'AppProject');
    expect((project?.metadata as Obj | undefined)?.name).toBe(expected);
    const app = parseYamlDocuments(result.files.find((f) => f.path.endsWith('/apps/agent.yaml'))!.content)[0];
    expect(app).toMatchObject({ spec: { project: expected ?? argocd.project } });
  });

  it.each<[string, string | undefined]>([
    ['envcat-{env}', undefined],
    ['envcat', undefined],
    ['{env}', undefined],
    [
      'Envcat-{env}',
      '"Envcat-{env}" is not an AppProject name (a DNS-1123 subdomain, optionally with {env})',
    ],
    [
      'envcat_{env}',
      '"envcat_{env}" is not an AppProject name (a DNS-1123 subdomain, optionally with {env})',
    ],
    [`${'p'.repeat(200)}-{env}`, `"${'p'.repeat(200)}-{env}" gives names longer than 253 characters`],
  ])('project option %j: problem %j', (project, problem) => {
    // GIVEN a configured project WHEN checked THEN only names Argo CD accepts pass
    expect(projectOptionProblem(project)).toBe(problem);
  });

  it.each(examples().map((e) => [e.id, e] as const))(
    'example %s: every cluster-scoped kind its entries declare is allowed by its project',
    async (_id, example) => {
      // GIVEN a built-in example (the README's dev-feature-auth among them) rendered
      const catalog = await builtInCatalog();
      const { environment, plan } = validateEnvironment(example.document, catalog);
      const result = renderEnvironment({ env: environment, plan, options: TEST_RENDER_OPTIONS });
      const project = namespaceDocs(result).find((d) => d.kind === 'AppProject') as {
        spec: { clusterResourceWhitelist: Obj[]; sourceRepos: string[] };
      };
      // THEN each declared kind is on the whitelist, and each chart repo among the sources
      for (const instance of environment.instances) {
        const apps = instance.entry.document.spec.apps;
        for (const gk of apps?.clusterResources ?? [])
          expect(project.spec.clusterResourceWhitelist).toContainEqual({ group: gk.group, kind: gk.kind });
        if (apps?.helm) expect(project.spec.sourceRepos).toContain(apps.helm.repoURL);
      }
    },
  );

  it('dev-feature-auth: the Datadog chart gets its ClusterRoles and bindings', async () => {
    // GIVEN the README example (Datadog, the sample app, RDS)
    const example = examples().find((e) => e.id === 'sample-app/dev-feature-auth')!;
    const { environment, plan } = validateEnvironment(example.document, await builtInCatalog());
    const result = renderEnvironment({ env: environment, plan, options: TEST_RENDER_OPTIONS });
    // THEN its project allows what the datadog chart renders cluster-scoped by default
    const project = namespaceDocs(result).find((d) => d.kind === 'AppProject') as Obj;
    expect((project.spec as Obj).clusterResourceWhitelist).toEqual([
      { group: '', kind: 'Namespace', name: 'dev-feature-auth' },
      CLUSTER_ROLE,
      CRB,
    ]);
    expect((project.spec as Obj).sourceRepos).toEqual([
      TEST_RENDER_OPTIONS.appsRepo.url,
      'https://helm.datadoghq.com',
    ]);
  });
});

describe('appProjectInPlace: the apps of an environment wait for its project', () => {
  it.each<[string, boolean, (spec: Record<string, unknown>) => unknown]>([
    ["the same, keys in the API server's order", true, (spec) => ({ spec: sortKeys(spec) })],
    ['not in the cluster yet', false, () => undefined],
    [
      'an older one, without the new chart repo',
      false,
      (spec) => ({ spec: { ...spec, sourceRepos: [TEST_RENDER_OPTIONS.appsRepo.url] } }),
    ],
    [
      'an older one, without a declared kind',
      false,
      (spec) => ({ spec: { ...spec, clusterResourceWhitelist: [] } }),
    ],
    ['another description only', true, (spec) => ({ spec: { ...spec, description: 'edited by hand' } })],
  ])('%s: in place is %s', async (_case, expected, live) => {
    // GIVEN an environment's rendered project and what the cluster holds
    const { environment } = validateEnvironment(
      request('a', 'team-a', [{ name: 'agent', entry: 'agent' }]),
      await testCatalog(),
    );
    const rendered = renderAppProject(environment, TEST_RENDER_OPTIONS)!;
    // WHEN compared THEN only a project that permits the same is in place
    expect(appProjectInPlace(live(rendered.spec as Record<string, unknown>), rendered)).toBe(expected);
  });
});

/** A deep copy with every object's keys in code-unit order (as the API server returns them). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

describe("a manifest's namespace at render", () => {
  it.each<[string, JsonValue, JsonValue]>([
    ['all render to the environment namespace', { ns: 'team-a', other: 'team' }, null],
    [
      'a parameter naming another namespace',
      { ns: 'kube-system', other: 'team' },
      {
        file: 'catalogs/web/catalog.yaml:manifests/config.yaml',
        path: '/1/metadata/namespace',
        message:
          'renders to "kube-system", not the environment\'s namespace "team-a": write ${{ environment.namespace }} or leave it out',
      },
    ],
    [
      'an interpolation giving another namespace',
      { ns: 'team-a', other: 'prod' },
      {
        file: 'catalogs/web/catalog.yaml:manifests/config.yaml',
        path: '/2/metadata/namespace',
        message:
          'renders to "prod-a", not the environment\'s namespace "team-a": write ${{ environment.namespace }} or leave it out',
      },
    ],
  ])('%s', async (_case, parameters, problem) => {
    // GIVEN the manifests entry with namespaces from the environment, a parameter and an interpolation
    const doc = request('a', 'team-a', [{ ...WEB_OK, parameters }]);
    // WHEN it is rendered
    const run = async () => render(await testCatalog(), doc);
    // THEN it renders when every namespace is the environment's, else it is refused naming the object
    if (problem === null) {
      const result = await run();
      const file = result.files.find((f) => f.path.endsWith('/apps/web/config.yaml'))!;
      expect((parseYamlDocuments(file.content) as Obj[]).map((d) => (d.metadata as Obj).namespace)).toEqual([
        'team-a',
        'team-a',
        'team-a',
      ]);
    } else {
      await expect(run()).rejects.toThrow(InputError);
      await expect(run()).rejects.toMatchObject({ problems: [problem] });
    }
  });
});
