/**
 * The pure rules of the simulated Argo CD, as tables: Go-template substitution, the two glob
 * dialects, the git generator over the real bootstrap ApplicationSets, AppProject permissions over
 * the real bootstrap projects, directory sources, health assessment and sync order.
 */
import {
  directoryParams,
  filterPaths,
  gitGeneratorParams,
  GenerationError,
  renderApplications,
  repoDirectories,
  sanitizeName,
  type GitGenerator,
} from '../../src/simulator/applicationset.js';
import {
  isDestinationPermitted,
  isGroupKindPermitted,
  isSourcePermitted,
  resourceProblem,
  type AppProjectSpec,
} from '../../src/simulator/appproject.js';
import { compareSyncOrder, isClusterScoped } from '../../src/simulator/argocd-kinds.js';
import { globMatch, GlobSyntaxError, pathMatch } from '../../src/simulator/glob.js';
import { renderGoTemplate, TemplateSyntaxError } from '../../src/simulator/go-template.js';
import {
  crossplaneHealth,
  resourceHealth,
  rolledOutStatus,
  worstHealth,
  type HealthStatus,
} from '../../src/simulator/health.js';
import { loadManifests, ParsedManifests } from '../../src/simulator/manifests.js';
import { DEFAULT_BOOTSTRAP_DIR, loadBootstrap } from '../../src/simulator/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { renderAppProject, renderOptions, validateEnvironment } from '../../src/core/index.js';
import { builtInCatalog, examples } from '../support/examples.js';

const PLATFORM = '/repos/platform.git';
const APPS = '/repos/apps.git';

async function bootstrap(): Promise<KubeObject[]> {
  return loadBootstrap({ dir: DEFAULT_BOOTSTRAP_DIR, platformRepoUrl: PLATFORM, appsRepoUrl: APPS });
}

describe('renderGoTemplate', () => {
  const params = {
    path: {
      path: 'environments/dev-a/apps',
      basename: 'apps',
      basenameNormalized: 'apps',
      segments: ['environments', 'dev-a', 'apps'],
    },
    cluster: { name: 'in-cluster', port: 443, tags: ['a', 'b'] },
  };
  const strict = { missingKeyError: true };

  it.each([
    ['{{ .path.path }}', 'environments/dev-a/apps'],
    ['envcat-platform-{{ .path.basename }}', 'envcat-platform-apps'],
    ['{{.path.basenameNormalized}}', 'apps'],
    ['envcat-apps-{{ index .path.segments 1 }}', 'envcat-apps-dev-a'],
    ['{{ index .path.segments 0 }}/{{ index .path.segments 2 }}', 'environments/apps'],
    ['{{ .cluster.port }}', '443'],
    ['{{ .cluster.tags }}', '[a b]'],
    ['a  {{- .cluster.name -}}  b', 'ain-clusterb'],
    ['no template at all', 'no template at all'],
  ])('GIVEN %j THEN %j', (template, expected) => {
    expect(renderGoTemplate(template, params, strict)).toBe(expected);
  });

  it.each([
    ['{{ .path.missing }}', 'map has no entry for key "missing"'],
    ['{{ index .path.segments 5 }}', 'index out of range: 5'],
    ['{{ .path.path | upper }}', 'is not supported'],
    ['{{ normalize .path.path }}', 'is not supported'],
    ['{{ if .path.path }}x{{ end }}', 'is not supported'],
    ['{{ index .path.segments }}', 'index needs a field and at least one index'],
    ['{{ }}', 'missing value for command'],
    ['{{ .path.path', 'unclosed action'],
  ])('GIVEN %j THEN it is rejected: %s', (template, message) => {
    expect(() => renderGoTemplate(template, params, strict)).toThrow(TemplateSyntaxError);
    expect(() => renderGoTemplate(template, params, strict)).toThrow(message);
  });

  it('GIVEN a missing key without missingkey=error THEN <no value>, as Go prints it', () => {
    expect(renderGoTemplate('x-{{ .nope }}', params, { missingKeyError: false })).toBe('x-<no value>');
  });
});

describe('pathMatch (Go path.Match) and globMatch (gobwas)', () => {
  it.each([
    ['environments/*', 'environments/dev', true],
    ['environments/*', 'environments/dev/apps', false],
    ['environments/*/apps', 'environments/dev/apps', true],
    ['environments/*/apps', 'environments/dev/infra', false],
    ['environments/dev-?', 'environments/dev-a', true],
    ['environments/[a-c]*', 'environments/beta', true],
    ['environments/[^a-c]*', 'environments/beta', false],
    ['environments/[!a-c]*', 'environments/!x', true],
    ['environments/[!a-c]*', 'environments/d', false],
    ['environments/{a,b}', 'environments/a', false],
    ['env\\*', 'env*', true],
  ])('pathMatch(%j, %j) is %s', (pattern, name, expected) => {
    expect(pathMatch(pattern, name)).toBe(expected);
  });

  it.each([
    ['environment.yaml', 'environment.yaml', undefined, true],
    ['environment.yaml', 'infra/environment.yaml', undefined, false],
    ['*.yaml', 'infra/db.yaml', undefined, true],
    ['*.yaml', 'infra/db.yaml', '/', false],
    ['**.yaml', 'infra/db.yaml', '/', true],
    ['{environment,namespace}.yaml', 'namespace.yaml', undefined, true],
    ['[!a-m]*.yaml', 'namespace.yaml', undefined, true],
    ['https://git.example.com/*', 'https://git.example.com/a/b', '/', false],
    ['https://git.example.com/**', 'https://git.example.com/a/b', '/', true],
  ])('globMatch(%j, %j, %j) is %s', (pattern, text, separator, expected) => {
    expect(globMatch(pattern, text, separator)).toBe(expected);
  });

  it.each(['[abc', 'a\\', '{a,b'])('GIVEN the malformed pattern %j THEN GlobSyntaxError', (pattern) => {
    expect(() => globMatch(pattern, 'x')).toThrow(GlobSyntaxError);
  });
});

describe('the git generator', () => {
  const files = new Map([
    ['environments/dev-a/environment.yaml', 'x'],
    ['environments/dev-a/namespace.yaml', 'x'],
    ['environments/dev-a/infra/db.yaml', 'x'],
    ['environments/dev-b/apps/web.yaml', 'x'],
    ['environments/dev-b/apps/web/deployment.yaml', 'x'],
    ['catalogs/vpc/catalog.yaml', 'x'],
    ['README.md', 'x'],
  ]);

  it('GIVEN a commit THEN its directories at every depth', () => {
    expect(repoDirectories(files.keys())).toEqual([
      'catalogs',
      'catalogs/vpc',
      'environments',
      'environments/dev-a',
      'environments/dev-a/infra',
      'environments/dev-b',
      'environments/dev-b/apps',
      'environments/dev-b/apps/web',
    ]);
  });

  it.each<[string, GitGenerator['directories'], string[]]>([
    ['the platform pattern', [{ path: 'environments/*' }], ['environments/dev-a', 'environments/dev-b']],
    ['the apps pattern', [{ path: 'environments/*/apps' }], ['environments/dev-b/apps']],
    [
      'an exclude entry',
      [{ path: 'environments/*' }, { path: 'environments/dev-b', exclude: true }],
      ['environments/dev-a'],
    ],
    [
      'an exclude that wins over another include',
      [{ path: 'environments/dev-a' }, { path: 'environments/*', exclude: true }],
      [],
    ],
  ])('GIVEN %s THEN the matching directories', (_case, directories, expected) => {
    expect(filterPaths(directories ?? [], repoDirectories(files.keys()))).toEqual(expected);
  });

  it('GIVEN a directory THEN the path parameters Argo CD gives', () => {
    expect(directoryParams('environments/Dev_A')).toEqual({
      path: {
        path: 'environments/Dev_A',
        basename: 'Dev_A',
        basenameNormalized: 'dev-a',
        segments: ['environments', 'Dev_A'],
      },
    });
  });

  it.each([
    ['Dev_A', 'dev-a'],
    ['-weird..name-', 'weird..name'],
    ['ok.name-1', 'ok.name-1'],
  ])('sanitizeName(%j) is %j', (name, expected) => {
    expect(sanitizeName(name)).toBe(expected);
  });

  it('GIVEN a files generator THEN one parameter set per object of each file, with path parameters', () => {
    const params = gitGeneratorParams(
      {
        repoURL: PLATFORM,
        files: [{ path: 'clusters/*/config.yaml' }, { path: 'clusters/old/*', exclude: true }],
      },
      new Map([
        ['clusters/east/config.yaml', 'region: us-east-1\n'],
        ['clusters/old/config.yaml', 'region: eu-west-1\n'],
      ]),
    );
    expect(params).toEqual([
      {
        region: 'us-east-1',
        path: {
          path: 'clusters/east',
          basename: 'east',
          filename: 'config.yaml',
          basenameNormalized: 'east',
          filenameNormalized: 'config.yaml',
          segments: ['clusters', 'east'],
        },
      },
    ]);
  });

  it('GIVEN the bootstrap ApplicationSets and a commit THEN envcat-platform-<env> and envcat-apps-<env>', async () => {
    // GIVEN
    const docs = await bootstrap();
    const platform = docs.find((d) => d.kind === 'ApplicationSet' && d.metadata.name === 'envcat-platform')!;
    const apps = docs.find((d) => d.kind === 'ApplicationSet' && d.metadata.name === 'envcat-apps')!;
    const generator = (set: KubeObject) =>
      ((set.spec as { generators: Array<{ git: GitGenerator }> }).generators[0] as { git: GitGenerator }).git;

    // WHEN
    const platformApps = renderApplications(
      { ...platform, metadata: { ...platform.metadata, uid: 'uid-1' } },
      gitGeneratorParams(generator(platform), files),
    );
    const appApps = renderApplications(apps, gitGeneratorParams(generator(apps), files));

    // THEN
    expect(generator(platform).repoURL).toBe(PLATFORM);
    expect(platformApps.map((a) => a.metadata.name)).toEqual([
      'envcat-platform-dev-a',
      'envcat-platform-dev-b',
    ]);
    expect(platformApps[0]).toMatchObject({
      metadata: {
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/managed-by': 'envcat', 'envcat.io/environment': 'dev-a' },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
        ownerReferences: [
          { kind: 'ApplicationSet', name: 'envcat-platform', uid: 'uid-1', controller: true },
        ],
      },
      spec: {
        project: 'envcat-bootstrap',
        source: {
          repoURL: PLATFORM,
          path: 'environments/dev-a',
          directory: { recurse: true, exclude: 'environment.yaml' },
        },
      },
    });
    expect(appApps.map((a) => a.metadata.name)).toEqual(['envcat-apps-dev-b']);
    expect(appApps[0]?.spec).toMatchObject({
      source: { repoURL: APPS, path: 'environments/dev-b/apps', directory: { recurse: false } },
      destination: { namespace: 'argocd' },
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a template function', { name: '{{ .path.basename | lower }}' }, 'is not supported'],
    ['a missing key', { name: '{{ .path.nothing }}' }, 'map has no entry for key "nothing"'],
    ['no name', { labels: { a: 'b' } }, 'without a name'],
    ['a constant name (duplicates)', { name: 'same' }, 'duplicate name: same'],
  ])('GIVEN %s in the template THEN a GenerationError', (_case, metadata, message) => {
    const set = {
      metadata: { name: 'broken', namespace: 'argocd' },
      spec: { goTemplate: true, goTemplateOptions: ['missingkey=error'], template: { metadata, spec: {} } },
    };
    const params = [directoryParams('environments/a'), directoryParams('environments/b')];
    expect(() => renderApplications(set, params)).toThrow(GenerationError);
    expect(() => renderApplications(set, params)).toThrow(message);
  });

  it('GIVEN an ApplicationSet without goTemplate THEN a GenerationError', () => {
    expect(() =>
      renderApplications({ metadata: { name: 'x' }, spec: { template: { metadata: { name: 'a' } } } }, [{}]),
    ).toThrow('only goTemplate: true');
  });
});

describe("AppProject rules (the bootstrap project and an environment's rendered project)", () => {
  let envProject: AppProjectSpec;
  let bootstrapProject: AppProjectSpec;
  beforeAll(async () => {
    const docs = await bootstrap();
    bootstrapProject = docs.find((d) => d.kind === 'AppProject' && d.metadata.name === 'envcat-bootstrap')!
      .spec as AppProjectSpec;
    // The README example's own project (dev-feature-auth: the sample app, Datadog, RDS).
    const example = examples().find((e) => e.id === 'sample-app/dev-feature-auth')!;
    const { environment } = validateEnvironment(example.document, await builtInCatalog());
    envProject = renderAppProject(environment, renderOptions({ appsRepo: { url: APPS, revision: 'main' } }))!
      .spec as AppProjectSpec;
  });
  const server = 'https://kubernetes.default.svc';

  it.each([
    [APPS, true],
    ['/repos/APPS.git', true],
    // util/git NormalizeGitURL drops `.git` but keeps a trailing slash
    ['/repos/apps.git/', false],
    ['https://helm.datadoghq.com', true],
    ['https://helm.runix.net', false],
    ['https://charts.bitnami.com/bitnami', false],
  ])('environment project: source %j permitted is %s', (repo, expected) => {
    expect(isSourcePermitted(envProject, repo)).toBe(expected);
  });

  it.each([
    ['dev-feature-auth', true],
    ['dev-other', false],
    ['kube-system', false],
    ['argocd', false],
  ])('environment project: destination namespace %j permitted is %s', (namespace, expected) => {
    expect(isDestinationPermitted(envProject, { server, namespace })).toBe(expected);
  });

  it('environment project: only the in-cluster server', () => {
    expect(
      isDestinationPermitted(envProject, {
        server: 'https://other.example:6443',
        namespace: 'dev-feature-auth',
      }),
    ).toBe(false);
  });

  it.each([
    ['', 'Namespace', 'dev-feature-auth', true],
    ['', 'Namespace', 'dev-other', false],
    ['rbac.authorization.k8s.io', 'ClusterRole', 'monitoring-datadog', true],
    ['rbac.authorization.k8s.io', 'ClusterRoleBinding', 'monitoring-datadog', true],
    ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'x', false],
    ['apiextensions.k8s.io', 'CustomResourceDefinition', 'x', false],
  ])('environment project: cluster-scoped %s/%s %s permitted is %s', (group, kind, name, expected) => {
    expect(isGroupKindPermitted(envProject, { group, kind, name, namespaced: false })).toBe(expected);
  });

  it.each([
    ['', 'Namespace', false, true],
    ['tf.upbound.io', 'Workspace', false, true],
    ['rbac.authorization.k8s.io', 'ClusterRole', false, false],
    ['tf.m.upbound.io', 'Workspace', true, true],
    ['networking.k8s.io', 'NetworkPolicy', true, true],
    ['argoproj.io', 'Application', true, true],
    ['argoproj.io', 'AppProject', true, true],
    ['apps', 'Deployment', true, false],
  ])(
    'envcat-bootstrap project: %s/%s (namespaced %s) permitted is %s',
    (group, kind, namespaced, expected) => {
      expect(isGroupKindPermitted(bootstrapProject, { group, kind, namespaced })).toBe(expected);
    },
  );

  it('envcat-bootstrap project: an Application into argocd is permitted; the environment project: not', () => {
    const app = { group: 'argoproj.io', kind: 'Application', name: 'dev-app', namespace: 'argocd' };
    expect(resourceProblem(bootstrapProject, 'envcat-bootstrap', app, { server })).toBeUndefined();
    expect(resourceProblem(envProject, 'envcat-dev-feature-auth', app, { server })).toBe(
      "namespace argocd is not permitted in project 'envcat-dev-feature-auth'",
    );
  });

  it('a project without namespaced rules permits every namespaced kind; without cluster rules none', () => {
    expect(isGroupKindPermitted({}, { group: 'apps', kind: 'Deployment', namespaced: true })).toBe(true);
    expect(isGroupKindPermitted({}, { group: '', kind: 'Namespace', namespaced: false })).toBe(false);
  });
});

describe('directory sources', () => {
  const files = new Map([
    [
      'environments/dev/environment.yaml',
      'apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: { name: dev }\n',
    ],
    ['environments/dev/namespace.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: dev }\n'],
    [
      'environments/dev/infra/db.yaml',
      'apiVersion: tf.m.upbound.io/v1beta1\nkind: Workspace\nmetadata: { name: dev-db, namespace: dev }\n',
    ],
    [
      'environments/dev/apps/web.yaml',
      'apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: a } }\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: b } }\n',
    ],
    ['environments/dev/apps/notes.txt', 'not a manifest'],
    ['environments/dev/apps/svc.json', '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"}}'],
  ]);
  const names = (result: ReturnType<typeof loadManifests>) =>
    'objects' in result ? result.objects.map((o) => `${o.kind}/${o.metadata.name}`) : result.problem;

  it.each<[string, Parameters<typeof loadManifests>[1], string[] | string]>([
    [
      'the platform folder (recurse, exclude environment.yaml)',
      { path: 'environments/dev', directory: { recurse: true, exclude: 'environment.yaml' } },
      ['Service/web', 'ConfigMap/a', 'ConfigMap/b', 'Workspace/dev-db', 'Namespace/dev'],
    ],
    [
      'a folder without recursion',
      { path: 'environments/dev/apps' },
      ['Service/web', 'ConfigMap/a', 'ConfigMap/b'],
    ],
    [
      'an include',
      { path: 'environments/dev', directory: { recurse: true, include: '*.json' } },
      ['Service/web'],
    ],
    [
      'a path that does not exist',
      { path: 'environments/nope' },
      'environments/nope: app path does not exist',
    ],
  ])('GIVEN %s THEN its objects', (_case, source, expected) => {
    expect(names(loadManifests(files, source))).toEqual(expected);
  });

  it.each([
    ['kind: ConfigMap\nmetadata: { name: a }\n', "Object 'apiVersion' is missing"],
    ['apiVersion: v1\nmetadata: { name: a }\n', "Object 'Kind' is missing"],
    ['apiVersion: v1\nkind: ConfigMap\n', 'metadata.name is missing'],
    ['- 1\n- 2\n', 'not a Kubernetes object'],
    ['a: [\n', 'failed to unmarshal'],
  ])('GIVEN a file %j THEN the problem names it', (content, message) => {
    const result = loadManifests(new Map([['app/x.yaml', content]]), { path: 'app' });
    expect('problem' in result && result.problem).toContain(message);
  });

  describe('GIVEN a ParsedManifests', () => {
    const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\n`;

    it('WHEN a file is read again at another revision THEN it is not parsed again, and its objects are frozen', () => {
      const parsed = new ParsedManifests();
      const first = loadManifests(new Map([['app/a.yaml', configMap('a')]]), { path: 'app' }, parsed);
      const again = loadManifests(
        new Map([
          ['app/a.yaml', configMap('a')],
          ['app/b.yaml', configMap('b')],
        ]),
        { path: 'app' },
        parsed,
      );
      expect(names(again)).toEqual(['ConfigMap/a', 'ConfigMap/b']);
      expect(parsed.size).toBe(2);
      const objects = 'objects' in first && 'objects' in again ? [first.objects[0], again.objects[0]] : [];
      expect(objects[0]).toBe(objects[1]);
      expect(() => {
        (objects[0]!.metadata as { name: string }).name = 'changed';
      }).toThrow(TypeError);
    });

    it('WHEN the same text is a .json and a .yaml file THEN each is parsed as its kind', () => {
      const parsed = new ParsedManifests();
      const text = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}} # a comment';
      expect(names(loadManifests(new Map([['app/a.yaml', text]]), { path: 'app' }, parsed))).toEqual([
        'ConfigMap/a',
      ]);
      expect(loadManifests(new Map([['app/a.json', text]]), { path: 'app' }, parsed)).toEqual({
        problem: expect.stringContaining('failed to unmarshal app/a.json') as string,
      });
    });

    it('WHEN a file does not parse THEN the problem is the same each time', () => {
      const parsed = new ParsedManifests();
      const read = () => loadManifests(new Map([['app/x.yaml', 'a: [\n']]), { path: 'app' }, parsed);
      const first = read();
      expect('problem' in first && first.problem).toContain('failed to unmarshal app/x.yaml');
      expect(read()).toEqual(first);
    });

    it('WHEN the files outgrow its bytes THEN the least recently used go first', () => {
      const a = configMap('a');
      const parsed = new ParsedManifests(2 * 8 * (a.length + 5) + 1);
      const read = (name: string) =>
        loadManifests(new Map([['app/x.yaml', configMap(name)]]), { path: 'app' }, parsed);
      const objectOf = (name: string) => {
        const result = read(name);
        return 'objects' in result ? result.objects[0] : undefined;
      };
      const objectA = objectOf('a');
      objectOf('b');
      expect(objectOf('a')).toBe(objectA); // a is now the most recently used
      objectOf('c'); // b goes
      expect(parsed.size).toBe(2);
      expect(objectOf('a')).toBe(objectA);
      const objectB = objectOf('b'); // parsed again: c goes
      expect(objectB?.metadata.name).toBe('b');
      expect(parsed.size).toBe(2);
    });
  });
});

describe('health', () => {
  const workspace = (conditions: Array<Record<string, unknown>>) => ({
    apiVersion: 'tf.m.upbound.io/v1beta1',
    kind: 'Workspace',
    status: { conditions },
  });

  it.each<[string, HealthStatus, ReturnType<typeof workspace>]>([
    ['no status', 'Progressing', { ...workspace([]), status: {} } as never],
    [
      'Creating',
      'Progressing',
      workspace([
        { type: 'Synced', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'Creating' },
      ]),
    ],
    [
      'Available',
      'Healthy',
      workspace([
        { type: 'Synced', status: 'True' },
        { type: 'Ready', status: 'True' },
      ]),
    ],
    [
      'a ReconcileError',
      'Degraded',
      workspace([
        { type: 'Synced', status: 'False', message: 'boom' },
        { type: 'Ready', status: 'False' },
      ]),
    ],
  ])('Crossplane check: a Workspace with %s is %s', (_case, expected, object) => {
    expect(crossplaneHealth(object).status).toBe(expected);
  });

  it.each<[string, HealthStatus, Record<string, unknown> | undefined]>([
    [
      'an Application without status',
      'Progressing',
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
    ],
    [
      'a Degraded Application',
      'Degraded',
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', status: { health: { status: 'Degraded' } } },
    ],
    [
      'a Deployment rolled out',
      'Healthy',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { generation: 2 },
        spec: { replicas: 2 },
        status: { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 },
      },
    ],
    [
      'a Deployment rolling out',
      'Progressing',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { generation: 2 },
        spec: { replicas: 2 },
        status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 },
      },
    ],
    ['a ConfigMap', 'Healthy', { apiVersion: 'v1', kind: 'ConfigMap' }],
    ['nothing (Missing)', 'Missing', undefined],
  ])('%s is %s', (_case, expected, object) => {
    expect(resourceHealth(object).status).toBe(expected);
  });

  it('GIVEN a workload THEN the status a controller would report lets the rollout check pass', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { generation: 3 },
      spec: { replicas: 4 },
    };
    const status = rolledOutStatus(deployment);
    expect(status).toMatchObject({
      observedGeneration: 3,
      replicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
    });
    expect(resourceHealth({ ...deployment, status }).status).toBe('Healthy');
    expect(rolledOutStatus({ apiVersion: 'v1', kind: 'ConfigMap' })).toBeUndefined();
  });

  it('an application is as healthy as its least healthy resource', () => {
    expect(
      worstHealth([{ status: 'Healthy' }, { status: 'Progressing' }, { status: 'Missing' }]).status,
    ).toBe('Missing');
    expect(
      worstHealth([{ status: 'Healthy' }, { status: 'Degraded', message: 'x' }, { status: 'Missing' }]),
    ).toEqual({
      status: 'Degraded',
      message: 'x',
    });
    expect(worstHealth([]).status).toBe('Healthy');
  });
});

describe('kinds', () => {
  it.each([
    ['v1', 'Namespace', true],
    ['tf.upbound.io/v1beta1', 'Workspace', true],
    ['tf.m.upbound.io/v1beta1', 'Workspace', false],
    ['v1', 'ConfigMap', false],
    ['argoproj.io/v1alpha1', 'Application', false],
  ])('%s %s cluster-scoped is %s', (apiVersion, kind, expected) => {
    expect(isClusterScoped({ apiVersion, kind })).toBe(expected);
  });

  it('sorts a sync by wave, then kind order: Namespace first, unknown kinds last', () => {
    const object = (kind: string, name: string, wave?: string) => ({
      kind,
      metadata: { name, ...(wave ? { annotations: { 'argocd.argoproj.io/sync-wave': wave } } : {}) },
    });
    const sorted = [
      object('Workspace', 'db'),
      object('Deployment', 'web'),
      object('ConfigMap', 'late', '1'),
      object('Service', 'web'),
      object('Namespace', 'dev'),
      object('ConfigMap', 'config'),
    ].sort(compareSyncOrder);
    expect(sorted.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/dev',
      'ConfigMap/config',
      'Service/web',
      'Deployment/web',
      'Workspace/db',
      'ConfigMap/late',
    ]);
  });
});
