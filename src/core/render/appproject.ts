/**
 * The Argo CD project of an environment's Applications (`envcat-<env>` by default), committed with
 * its namespace (namespace.yaml), before any app. It allows exactly what the environment's entries
 * need: their chart repos and the application repo as sources, the environment's namespace on the
 * destination server as the only destination, and as cluster-scoped kinds the environment's
 * Namespace (which `CreateNamespace=true` creates when it is missing) plus what the entries declare
 * in `apps.clusterResources`. So a newly published entry works without anyone editing gitops/, and
 * one environment's apps cannot write into another's namespace.
 *
 * Upstream: argo-cd pkg/apis/application/v1alpha1/app_project_types.go (IsSourcePermitted,
 * IsDestinationPermitted, IsGroupKindNamePermitted: a clusterResourceWhitelist item with a `name`
 * matches that name only) and controller/sync.go (validateSyncPermissions). Pure.
 */
import type { ResolvedEnvironment } from '../environment/types.js';
import { groupKindKey, type GroupKind } from '../catalog/cluster-scoped.js';
import { DNS1123_SUBDOMAIN } from '../names/index.js';
import { canonicalize } from '../yaml/index.js';
import { environmentLabels } from './labels.js';
import type { RenderOptions } from './options.js';

/** In `RenderOptions.argocd.project`, replaced by the environment's name. */
export const PROJECT_PLACEHOLDER = '{env}';

/** Whether envcat renders a project per environment (the option holds the placeholder) or uses a shared one. */
export function projectPerEnvironment(options: RenderOptions): boolean {
  return options.argocd.project.includes(PROJECT_PLACEHOLDER);
}

/** Why a project option cannot name a project (for any environment name), or undefined. */
export function projectOptionProblem(project: string): string | undefined {
  const named = (env: string) => project.split(PROJECT_PLACEHOLDER).join(env);
  if (!DNS1123_SUBDOMAIN.test(named('e')))
    return `"${project}" is not an AppProject name (a DNS-1123 subdomain, optionally with ${PROJECT_PLACEHOLDER})`;
  // The longest environment name (63 characters) must still give a valid object name.
  if (named('e'.repeat(63)).length > 253) return `"${project}" gives names longer than 253 characters`;
  return undefined;
}

/** The project of the environment's Applications. */
export function applicationProject(env: { name: string }, options: Pick<RenderOptions, 'argocd'>): string {
  return options.argocd.project.split(PROJECT_PLACEHOLDER).join(env.name);
}

/** The cluster-scoped kinds the environment's entries declare, sorted, each once. */
export function declaredClusterResources(env: ResolvedEnvironment): GroupKind[] {
  const kinds = new Map<string, GroupKind>();
  for (const instance of env.instances)
    for (const gk of instance.entry.document.spec.apps?.clusterResources ?? [])
      kinds.set(groupKindKey(gk), { group: gk.group, kind: gk.kind });
  const key = (gk: GroupKind) => `${gk.group}\u0000${gk.kind}`;
  return [...kinds.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The repos the environment's Applications read: the application repo, then each chart repo, sorted. */
export function sourceRepos(env: ResolvedEnvironment, options: RenderOptions): string[] {
  const charts = new Set<string>();
  for (const instance of env.instances) {
    const helm = instance.entry.document.spec.apps?.helm;
    if (helm) charts.add(helm.repoURL);
  }
  charts.delete(options.appsRepo.url);
  return [options.appsRepo.url, ...[...charts].sort()];
}

/** The environment's AppProject, or undefined when the Applications use a shared project. */
export function renderAppProject(
  env: ResolvedEnvironment,
  options: RenderOptions,
): Record<string, unknown> | undefined {
  if (!projectPerEnvironment(options)) return undefined;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {
      name: applicationProject(env, options),
      namespace: options.argocd.namespace,
      labels: environmentLabels(env),
    },
    spec: {
      description: `envcat environment ${env.name}: its Applications deploy into namespace ${env.namespace} only`,
      sourceRepos: sourceRepos(env, options),
      destinations: [{ server: options.argocd.destinationServer, namespace: env.namespace }],
      clusterResourceWhitelist: [
        // CreateNamespace=true: gitops-engine adds a Namespace task when the namespace is missing,
        // and validates it like any other resource (gitops-engine/pkg/sync/sync_context.go).
        { group: '', kind: 'Namespace', name: env.namespace },
        ...declaredClusterResources(env),
      ],
      namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
}

const GATED_FIELDS = ['sourceRepos', 'destinations', 'clusterResourceWhitelist'] as const;

/**
 * Whether a live AppProject is the rendered one, as far as what it permits goes: the platform
 * Application has synced this namespace.yaml, so an Application committed now is not refused
 * (InvalidSpecError) for a project that does not exist yet or lacks a new chart repo.
 */
export function appProjectInPlace(live: unknown, rendered: Record<string, unknown>): boolean {
  const spec = (value: unknown): Record<string, unknown> | undefined => {
    const s = (value as { spec?: unknown } | undefined)?.spec;
    return s !== null && typeof s === 'object' && !Array.isArray(s)
      ? (s as Record<string, unknown>)
      : undefined;
  };
  const want = spec(rendered);
  const have = spec(live);
  if (!want || !have) return false;
  // Key order is the API server's (sorted), not ours.
  const same = (a: unknown, b: unknown) =>
    JSON.stringify(canonicalize(a, 'other')) === JSON.stringify(canonicalize(b, 'other'));
  return GATED_FIELDS.every((field) => same(have[field], want[field]));
}
