/**
 * The simulated Argo CD's AppProject rules against upstream's semantics, as tables (argoproj/argo-cd
 * pkg/apis/application/v1alpha1/app_project_types.go IsSourcePermitted, isDestinationMatched,
 * IsGroupKindNamePermitted; types.go isResourceInList / isNamedResourceInList with Go's
 * filepath.Match; util/git NormalizeGitURL; controller/sync.go validateSyncPermissions).
 */
import {
  argoNormalizeGitUrl,
  isDestinationPermitted,
  isGroupKindPermitted,
  isSourcePermitted,
  resourceProblem,
  type AppProjectSpec,
} from '../../src/simulator/appproject.js';
import { chartObjects, KNOWN_CHARTS } from '../../src/simulator/helm-charts.js';
import { refusedByProject } from '../../src/simulator/sync-permissions.js';

const S = 'https://kubernetes.default.svc';

describe('sourceRepos (gobwas globs with / as separator, ! denies, NormalizeGitURL)', () => {
  it.each<[string, string[], string, boolean]>([
    ['exact', ['https://charts.example.org/stable'], 'https://charts.example.org/stable', true],
    ['case and .git do not matter', ['https://Git.example.com/a/B.git'], 'https://git.example.com/a/b', true],
    ['a trailing slash does', ['https://helm.datadoghq.com/'], 'https://helm.datadoghq.com', false],
    ['* stops at /', ['https://github.com/org/*'], 'https://github.com/org/sub/repo', false],
    ['* within a segment', ['https://github.com/org/*'], 'https://github.com/org/repo', true],
    ['** crosses /', ['https://github.com/**'], 'https://github.com/org/sub/repo', true],
    ['* alone is anything', ['*'], 'oci://registry.example/charts', true],
    ['a deny wins', ['*', '!https://github.com/evil/*'], 'https://github.com/evil/x', false],
    ['a deny elsewhere', ['*', '!https://github.com/evil/*'], 'https://github.com/good/x', true],
    ['an empty list permits nothing', [], 'https://github.com/good/x', false],
    ['scp-like SSH equals ssh://', ['git@github.com:org/repo.git'], 'ssh://git@github.com/org/repo', true],
    ['a malformed pattern matches nothing', ['https://github.com/[org'], 'https://github.com/[org', false],
  ])('%s', (_case, sourceRepos, repoURL, expected) => {
    // GIVEN a project's sourceRepos WHEN an Application's repo is checked THEN as upstream
    expect(isSourcePermitted({ sourceRepos }, repoURL)).toBe(expected);
  });

  it.each([
    ['  HTTPS://Example.com/Repo.git ', 'https://example.com/repo'],
    ['git@github.com:org/repo.git', 'git@github.com/org/repo'],
    ['ssh://git@github.com/org/repo.git', 'git@github.com/org/repo'],
    ['https://helm.datadoghq.com/', 'https://helm.datadoghq.com/'],
  ])('NormalizeGitURL(%j) is %j', (url, normalized) => {
    expect(argoNormalizeGitUrl(url)).toBe(normalized);
  });
});

describe('destinations (server or name, and namespace; ! denies as isDestinationMatched reads)', () => {
  const project = (destinations: AppProjectSpec['destinations']): AppProjectSpec => ({ destinations });
  it.each<
    [string, AppProjectSpec['destinations'], { server?: string; name?: string; namespace: string }, boolean]
  >([
    [
      'the environment namespace',
      [{ server: S, namespace: 'dev-a' }],
      { server: S, namespace: 'dev-a' },
      true,
    ],
    [
      "another environment's namespace",
      [{ server: S, namespace: 'dev-a' }],
      { server: S, namespace: 'dev-b' },
      false,
    ],
    [
      'another server',
      [{ server: S, namespace: 'dev-a' }],
      { server: 'https://x:6443', namespace: 'dev-a' },
      false,
    ],
    [
      'by cluster name',
      [{ name: 'in-cluster', namespace: 'dev-a' }],
      { server: S, name: 'in-cluster', namespace: 'dev-a' },
      true,
    ],
    ['a namespace glob', [{ server: S, namespace: 'dev-*' }], { server: S, namespace: 'dev-b' }, true],
    [
      'a namespace deny on the same server',
      [
        { server: S, namespace: '*' },
        { server: S, namespace: '!kube-system' },
      ],
      { server: S, namespace: 'kube-system' },
      false,
    ],
    [
      // upstream: a namespace deny only counts when the item's server matched
      'a namespace deny of another server does not count',
      [
        { server: 'https://x:6443', namespace: '!kube-system' },
        { server: S, namespace: '*' },
      ],
      { server: S, namespace: 'kube-system' },
      true,
    ],
    [
      // upstream: a server deny only counts when the item's namespace matched
      'a server deny',
      [
        { server: '*', namespace: '*' },
        { server: '!https://x:6443', namespace: '*' },
      ],
      { server: 'https://x:6443', namespace: 'a' },
      false,
    ],
    ['no destinations', [], { server: S, namespace: 'a' }, false],
  ])('%s', (_case, destinations, destination, expected) => {
    // GIVEN a project's destinations WHEN an Application's destination is checked THEN as upstream
    expect(isDestinationPermitted(project(destinations), destination)).toBe(expected);
  });
});

describe('resource kinds (filepath.Match on group, kind and, for cluster items, name)', () => {
  it.each<
    [string, AppProjectSpec, { group: string; kind: string; name?: string; namespaced: boolean }, boolean]
  >([
    [
      'a whitelisted cluster kind',
      { clusterResourceWhitelist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }] },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', namespaced: false },
      true,
    ],
    [
      'a cluster kind not whitelisted',
      { clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', namespaced: false },
      false,
    ],
    ['no cluster whitelist: no cluster kind', {}, { group: '', kind: 'Namespace', namespaced: false }, false],
    [
      '*/* whitelists every cluster kind',
      { clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
      { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', namespaced: false },
      true,
    ],
    [
      'a kind glob',
      { clusterResourceWhitelist: [{ group: 'rbac.authorization.k8s.io', kind: 'Cluster*' }] },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', namespaced: false },
      true,
    ],
    // filepath.Match has no {a,b} alternatives (gobwas has): a literal, so no match
    [
      'braces are literal',
      { clusterResourceWhitelist: [{ group: '*', kind: '{ClusterRole,ClusterRoleBinding}' }] },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', namespaced: false },
      false,
    ],
    [
      'a malformed pattern matches nothing',
      { clusterResourceWhitelist: [{ group: '*', kind: '[' }] },
      { group: '', kind: '[', namespaced: false },
      false,
    ],
    [
      'a named item: that name',
      { clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'dev-a' }] },
      { group: '', kind: 'Namespace', name: 'dev-a', namespaced: false },
      true,
    ],
    [
      'a named item: another name',
      { clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'dev-a' }] },
      { group: '', kind: 'Namespace', name: 'dev-b', namespaced: false },
      false,
    ],
    [
      'a named blacklist item',
      {
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        clusterResourceBlacklist: [{ group: '', kind: 'Namespace', name: 'kube-*' }],
      },
      { group: '', kind: 'Namespace', name: 'kube-system', namespaced: false },
      false,
    ],
    [
      'no namespaced whitelist: every namespaced kind',
      {},
      { group: 'apps', kind: 'Deployment', namespaced: true },
      true,
    ],
    [
      'an empty namespaced whitelist: none',
      { namespaceResourceWhitelist: [] },
      { group: 'apps', kind: 'Deployment', namespaced: true },
      false,
    ],
    [
      'a namespaced blacklist',
      { namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }] },
      { group: '', kind: 'ResourceQuota', namespaced: true },
      false,
    ],
  ])('%s', (_case, project, resource, expected) => {
    // GIVEN a project's resource lists WHEN a kind is checked THEN as IsGroupKindNamePermitted
    expect(isGroupKindPermitted(project, resource)).toBe(expected);
  });

  it.each<[string, { group: string; kind: string; name: string; namespace?: string }, string | undefined]>([
    [
      'a declared ClusterRole',
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' },
      undefined,
    ],
    [
      'an undeclared APIService',
      { group: 'apiregistration.k8s.io', kind: 'APIService', name: 'v1.x' },
      'resource apiregistration.k8s.io:APIService is not permitted in project envcat-dev-a',
    ],
    [
      'another Namespace',
      { group: '', kind: 'Namespace', name: 'dev-b' },
      'resource :Namespace is not permitted in project envcat-dev-a',
    ],
    [
      "a Deployment in another environment's namespace",
      { group: 'apps', kind: 'Deployment', name: 'd', namespace: 'dev-b' },
      "namespace dev-b is not permitted in project 'envcat-dev-a'",
    ],
    [
      'a Deployment in its namespace',
      { group: 'apps', kind: 'Deployment', name: 'd', namespace: 'dev-a' },
      undefined,
    ],
  ])('sync permission: %s', (_case, resource, problem) => {
    // GIVEN an environment's project WHEN a resource of a sync is checked THEN validateSyncPermissions' message
    const project: AppProjectSpec = {
      destinations: [{ server: S, namespace: 'dev-a' }],
      clusterResourceWhitelist: [
        { group: '', kind: 'Namespace', name: 'dev-a' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      ],
    };
    expect(resourceProblem(project, 'envcat-dev-a', resource, { server: S })).toBe(problem);
  });
});

describe('a sync against the project (sync-permissions.ts, helm-charts.ts)', () => {
  const project = {
    name: 'envcat-dev-a',
    spec: {
      destinations: [{ server: S, namespace: 'dev-a' }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'dev-a' }],
    } as AppProjectSpec,
  };
  const destination = { server: S, namespace: 'dev-a' };
  const datadog = chartObjects({
    charts: KNOWN_CHARTS,
    repoURL: 'https://helm.datadoghq.com',
    chart: 'datadog',
    release: 'monitoring',
  });

  it('the datadog chart renders its ClusterRoles and bindings, named from the release', () => {
    // GIVEN the datadog chart of the built-in entry, release "monitoring"
    // THEN its cluster-scoped objects are those of templates/rbac.yaml, cluster-agent-rbac.yaml, kube-state-metrics-core-rbac.yaml
    expect(datadog.filter((o) => !o.namespaced).map((o) => `${o.kind}/${o.name}`)).toEqual([
      'ClusterRole/monitoring-datadog',
      'ClusterRoleBinding/monitoring-datadog',
      'ClusterRole/monitoring-datadog-cluster-agent',
      'ClusterRoleBinding/monitoring-datadog-cluster-agent',
      'ClusterRole/monitoring-datadog-ksm-core',
      'ClusterRoleBinding/monitoring-datadog-ksm-core',
    ]);
    // AND a chart the simulator does not know renders nothing
    expect(
      chartObjects({ charts: KNOWN_CHARTS, repoURL: 'https://x.example', chart: 'y', release: 'z' }),
    ).toEqual([]);
  });

  it.each<[string, Parameters<typeof refusedByProject>[0]['objects'], boolean, string[]]>([
    [
      'the datadog chart without its kinds declared',
      datadog,
      false,
      [
        'resource rbac.authorization.k8s.io:ClusterRole is not permitted in project envcat-dev-a',
        'resource rbac.authorization.k8s.io:ClusterRoleBinding is not permitted in project envcat-dev-a',
      ],
    ],
    [
      'namespaced objects in the destination',
      [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'dev-a' } }],
      false,
      [],
    ],
    [
      "an object in another environment's namespace",
      [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'dev-b' } }],
      false,
      ["namespace dev-b is not permitted in project 'envcat-dev-a'"],
    ],
    ['CreateNamespace=true of a missing namespace it whitelists', [], true, []],
  ])('%s', (_case, objects, createsNamespace, messages) => {
    // GIVEN an environment's project WHEN a sync's tasks are checked THEN each refusal is a SyncFailed result
    const refused = refusedByProject({ project, destination, objects, createsNamespace });
    expect([...new Set(refused.map((r) => r.message))]).toEqual(messages);
    for (const r of refused) expect(r).toMatchObject({ status: 'SyncFailed', syncPhase: 'Sync' });
  });

  it('CreateNamespace=true of a missing namespace the project does not whitelist', () => {
    // GIVEN a project whose Namespace item names another namespace
    const other = {
      ...project,
      spec: { ...project.spec, clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'x' }] },
    };
    // WHEN the destination namespace is missing THEN its Namespace task is refused
    expect(refusedByProject({ project: other, destination, objects: [], createsNamespace: true })).toEqual([
      {
        group: '',
        version: 'v1',
        kind: 'Namespace',
        name: 'dev-a',
        status: 'SyncFailed',
        message: 'resource :Namespace is not permitted in project envcat-dev-a',
        syncPhase: 'Sync',
      },
    ]);
    // AND an existing namespace makes no task
    expect(refusedByProject({ project: other, destination, objects: [], createsNamespace: false })).toEqual(
      [],
    );
  });
});
