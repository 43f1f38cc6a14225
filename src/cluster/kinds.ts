/**
 * The kinds the simulated API server serves, with what discovery reports for each (plural, scope,
 * status subresource). Names and scopes are those of the real APIs and of the upstream CRDs
 * (provider-terraform, Argo CD, Crossplane); only the shape is simulated, not the schemas.
 */

export interface KindSpec {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The resource name in URLs, e.g. `workspaces`. */
  plural: string;
  namespaced: boolean;
  /** Whether `<plural>/status` exists: writes to the main resource then leave `.status` alone. */
  statusSubresource: boolean;
  shortNames?: readonly string[];
  /** How `metadata.name` is validated: RFC 1123 label, subdomain (default), or any path segment. */
  nameRule?: 'label' | 'subdomain' | 'path-segment';
}

export const VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;
export const STATUS_VERBS = ['get', 'patch', 'update'] as const;

function kinds(
  group: string,
  version: string,
  specs: Array<Omit<KindSpec, 'group' | 'version'>>,
): KindSpec[] {
  return specs.map((spec) => ({ group, version, ...spec }));
}

export const BUILTIN_KINDS: readonly KindSpec[] = [
  ...kinds('', 'v1', [
    {
      kind: 'Namespace',
      plural: 'namespaces',
      namespaced: false,
      statusSubresource: true,
      shortNames: ['ns'],
      nameRule: 'label',
    },
    { kind: 'Secret', plural: 'secrets', namespaced: true, statusSubresource: false },
    {
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespaced: true,
      statusSubresource: false,
      shortNames: ['cm'],
    },
    {
      kind: 'Service',
      plural: 'services',
      namespaced: true,
      statusSubresource: true,
      shortNames: ['svc'],
      nameRule: 'label',
    },
    {
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      namespaced: true,
      statusSubresource: false,
      shortNames: ['sa'],
    },
    { kind: 'Event', plural: 'events', namespaced: true, statusSubresource: false, shortNames: ['ev'] },
    {
      kind: 'ResourceQuota',
      plural: 'resourcequotas',
      namespaced: true,
      statusSubresource: true,
      shortNames: ['quota'],
    },
    {
      kind: 'LimitRange',
      plural: 'limitranges',
      namespaced: true,
      statusSubresource: false,
      shortNames: ['limits'],
    },
  ]),
  ...kinds('apps', 'v1', [
    {
      kind: 'Deployment',
      plural: 'deployments',
      namespaced: true,
      statusSubresource: true,
      shortNames: ['deploy'],
    },
    {
      kind: 'StatefulSet',
      plural: 'statefulsets',
      namespaced: true,
      statusSubresource: true,
      shortNames: ['sts'],
    },
    {
      kind: 'DaemonSet',
      plural: 'daemonsets',
      namespaced: true,
      statusSubresource: true,
      shortNames: ['ds'],
    },
  ]),
  ...kinds('networking.k8s.io', 'v1', [
    {
      kind: 'NetworkPolicy',
      plural: 'networkpolicies',
      namespaced: true,
      statusSubresource: false,
      shortNames: ['netpol'],
    },
  ]),
  ...kinds('rbac.authorization.k8s.io', 'v1', [
    { kind: 'Role', plural: 'roles', namespaced: true, statusSubresource: false, nameRule: 'path-segment' },
    {
      kind: 'RoleBinding',
      plural: 'rolebindings',
      namespaced: true,
      statusSubresource: false,
      nameRule: 'path-segment',
    },
    {
      kind: 'ClusterRole',
      plural: 'clusterroles',
      namespaced: false,
      statusSubresource: false,
      nameRule: 'path-segment',
    },
    {
      kind: 'ClusterRoleBinding',
      plural: 'clusterrolebindings',
      namespaced: false,
      statusSubresource: false,
      nameRule: 'path-segment',
    },
  ]),
  ...kinds('coordination.k8s.io', 'v1', [
    { kind: 'Lease', plural: 'leases', namespaced: true, statusSubresource: false },
  ]),
  // provider-terraform, Crossplane v2 (namespaced) API
  ...kinds('tf.m.upbound.io', 'v1beta1', [
    { kind: 'Workspace', plural: 'workspaces', namespaced: true, statusSubresource: true },
    { kind: 'ProviderConfig', plural: 'providerconfigs', namespaced: true, statusSubresource: true },
    {
      kind: 'ClusterProviderConfig',
      plural: 'clusterproviderconfigs',
      namespaced: false,
      statusSubresource: true,
    },
  ]),
  // provider-terraform, Crossplane v1 (cluster-scoped) API
  ...kinds('tf.upbound.io', 'v1beta1', [
    { kind: 'Workspace', plural: 'workspaces', namespaced: false, statusSubresource: true },
    { kind: 'ProviderConfig', plural: 'providerconfigs', namespaced: false, statusSubresource: true },
  ]),
  // Argo CD: Application and AppProject have no status subresource (the controller writes the whole object).
  ...kinds('argoproj.io', 'v1alpha1', [
    {
      kind: 'Application',
      plural: 'applications',
      namespaced: true,
      statusSubresource: false,
      shortNames: ['app', 'apps'],
    },
    {
      kind: 'ApplicationSet',
      plural: 'applicationsets',
      namespaced: true,
      statusSubresource: true,
      shortNames: ['appset', 'appsets'],
    },
    {
      kind: 'AppProject',
      plural: 'appprojects',
      namespaced: true,
      statusSubresource: false,
      shortNames: ['appproj', 'appprojs'],
    },
  ]),
  ...kinds('apiextensions.crossplane.io', 'v1', [
    {
      kind: 'Composition',
      plural: 'compositions',
      namespaced: false,
      statusSubresource: false,
      shortNames: ['comp'],
    },
    {
      kind: 'CompositeResourceDefinition',
      plural: 'compositeresourcedefinitions',
      namespaced: false,
      statusSubresource: true,
      shortNames: ['xrd', 'xrds'],
    },
  ]),
  ...kinds('pkg.crossplane.io', 'v1', [
    { kind: 'Function', plural: 'functions', namespaced: false, statusSubresource: true },
  ]),
];

export function apiVersionOf(spec: Pick<KindSpec, 'group' | 'version'>): string {
  return spec.group === '' ? spec.version : `${spec.group}/${spec.version}`;
}

/** `apiVersion` split into group ('' for core) and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export interface GroupVersions {
  group: string;
  versions: string[];
}

/** Lookups over a fixed set of kinds. Versions of one group and plural share storage (no conversion). */
export class KindRegistry {
  private readonly byResource = new Map<string, KindSpec>();
  private readonly byKind = new Map<string, KindSpec>();
  private readonly all: KindSpec[] = [];

  constructor(specs: readonly KindSpec[]) {
    for (const spec of specs) {
      const resourceKey = `${spec.group}/${spec.version}/${spec.plural}`;
      const previous = this.byResource.get(resourceKey);
      if (previous) {
        // a later entry (an extra kind passed by the caller) replaces a built-in one
        this.all.splice(this.all.indexOf(previous), 1);
        this.byKind.delete(`${apiVersionOf(previous)}/${previous.kind}`);
      }
      this.byResource.set(resourceKey, spec);
      this.byKind.set(`${apiVersionOf(spec)}/${spec.kind}`, spec);
      this.all.push(spec);
    }
  }

  list(): readonly KindSpec[] {
    return this.all;
  }

  lookupResource(group: string, version: string, plural: string): KindSpec | undefined {
    return this.byResource.get(`${group}/${version}/${plural}`);
  }

  lookupKind(apiVersion: string, kind: string): KindSpec | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  /** Groups other than core, in registration order, each with its versions. */
  groups(): GroupVersions[] {
    const groups = new Map<string, string[]>();
    for (const spec of this.all) {
      if (spec.group === '') continue;
      const versions = groups.get(spec.group) ?? [];
      if (!versions.includes(spec.version)) versions.push(spec.version);
      groups.set(spec.group, versions);
    }
    return [...groups].map(([group, versions]) => ({ group, versions }));
  }

  inGroupVersion(group: string, version: string): KindSpec[] {
    return this.all.filter((spec) => spec.group === group && spec.version === version);
  }
}

/** Where objects of `spec` are stored: all versions of a group's resource share it. */
export function storageKey(spec: Pick<KindSpec, 'group' | 'plural'>): string {
  return `${spec.plural}.${spec.group}`;
}
