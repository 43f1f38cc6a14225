/**
 * What the simulated Argo CD needs to know about kinds without API discovery: which are
 * cluster-scoped, and the order a sync applies them in (gitops-engine's kind order within a sync
 * wave). Pure.
 */

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `group/Kind` (core group: `/Kind`) of the cluster-scoped kinds envcat and its bootstrap use, and the common built-ins. */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
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

export function isClusterScoped(type: { apiVersion: string; kind: string }): boolean {
  return CLUSTER_SCOPED.has(`${groupOf(type.apiVersion)}/${type.kind}`);
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
