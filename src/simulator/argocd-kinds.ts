/**
 * What the simulated Argo CD needs to know about kinds without API discovery: which are
 * cluster-scoped, and the order a sync applies them in (gitops-engine's kind order within a sync
 * wave). Pure.
 */

import { groupOfApiVersion, isKubernetesClusterScoped } from '../core/index.js';

/** `group/Kind` of the cluster-scoped kinds of Crossplane and provider-terraform that envcat and its bootstrap use. */
const CLUSTER_SCOPED_CUSTOM = new Set([
  'tf.upbound.io/Workspace',
  'tf.upbound.io/ProviderConfig',
  'tf.upbound.io/ProviderConfigUsage',
  'tf.m.upbound.io/ClusterProviderConfig',
  'pkg.crossplane.io/Provider',
  'pkg.crossplane.io/Function',
  'pkg.crossplane.io/Configuration',
  'pkg.crossplane.io/DeploymentRuntimeConfig',
  'apiextensions.crossplane.io/CompositeResourceDefinition',
  'apiextensions.crossplane.io/Composition',
]);

/**
 * Whether a kind is cluster-scoped (what API discovery tells Argo CD): Kubernetes' built-in
 * cluster-scoped kinds (the list `catalog validate` uses), Crossplane's, and the kinds of
 * cluster-scoped CRDs this cluster serves (`custom`, `group/Kind` keys).
 */
export function isClusterScoped(
  type: { apiVersion: string; kind: string },
  custom: ReadonlySet<string> = new Set(),
): boolean {
  const gk = { group: groupOfApiVersion(type.apiVersion), kind: type.kind };
  const key = `${gk.group}/${gk.kind}`;
  return isKubernetesClusterScoped(gk) || CLUSTER_SCOPED_CUSTOM.has(key) || custom.has(key);
}

/** gitops-engine `kindOrder`: kinds others depend on first; kinds not listed come after, by name. */
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

interface Orderable {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
}

function wave(object: Orderable): number {
  const text = object.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  const n = text === undefined ? 0 : Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : 0;
}

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

/** Sync order: by sync wave, then kind order, then kind, namespace and name. */
export function compareSyncOrder(a: Orderable, b: Orderable): number {
  return (
    wave(a) - wave(b) ||
    kindRank(a.kind) - kindRank(b.kind) ||
    a.kind.localeCompare(b.kind) ||
    (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
    a.metadata.name.localeCompare(b.metadata.name)
  );
}
