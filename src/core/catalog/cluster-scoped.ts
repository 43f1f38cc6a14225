/**
 * Which kinds are cluster-scoped, without API discovery: the built-in cluster-scoped resources of
 * Kubernetes (`kubectl api-resources --namespaced=false` on Kubernetes 1.33, plus PodSecurityPolicy,
 * which charts still carry) and the kinds a CustomResourceDefinition of the same manifests declares
 * with `scope: Cluster`. Any other kind counts as namespaced. Pure.
 */
import { asJsonObject } from '../json/values.js';
import type { JsonValue } from './types.js';

export interface GroupKind {
  /** API group, `''` for the core group. */
  group: string;
  kind: string;
}

const KUBERNETES_CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
  '': ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus'],
  'admissionregistration.k8s.io': [
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
  ],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'authentication.k8s.io': ['TokenReview', 'SelfSubjectReview'],
  'authorization.k8s.io': ['SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'],
  'certificates.k8s.io': ['CertificateSigningRequest', 'ClusterTrustBundle'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  'internal.apiserver.k8s.io': ['StorageVersion'],
  'networking.k8s.io': ['IngressClass', 'IPAddress', 'ServiceCIDR'],
  'node.k8s.io': ['RuntimeClass'],
  policy: ['PodSecurityPolicy'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'resource.k8s.io': ['DeviceClass', 'ResourceSlice'],
  'scheduling.k8s.io': ['PriorityClass'],
  'storage.k8s.io': ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment', 'VolumeAttributesClass'],
  'storagemigration.k8s.io': ['StorageVersionMigration'],
};

const KNOWN = new Set(
  Object.entries(KUBERNETES_CLUSTER_SCOPED).flatMap(([group, kinds]) => kinds.map((k) => `${group}/${k}`)),
);

export function groupKindKey(gk: GroupKind): string {
  return `${gk.group}/${gk.kind}`;
}

/** `apps/v1` → `apps`, `v1` → `''`. */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A built-in cluster-scoped kind of Kubernetes. */
export function isKubernetesClusterScoped(gk: GroupKind): boolean {
  return KNOWN.has(groupKindKey(gk));
}

/** The kinds that CustomResourceDefinitions among `documents` declare with `scope: Cluster`. */
export function clusterScopedCustomKinds(documents: readonly JsonValue[]): GroupKind[] {
  const kinds: GroupKind[] = [];
  for (const d of documents) {
    const doc = asJsonObject(d);
    if (!doc || doc.kind !== 'CustomResourceDefinition') continue;
    if (typeof doc.apiVersion !== 'string' || groupOfApiVersion(doc.apiVersion) !== 'apiextensions.k8s.io')
      continue;
    const spec = asJsonObject(doc.spec);
    const kind = asJsonObject(spec?.names)?.kind;
    if (spec?.scope === 'Cluster' && typeof spec.group === 'string' && typeof kind === 'string')
      kinds.push({ group: spec.group, kind });
  }
  return kinds;
}

/** Whether a manifest's kind is cluster-scoped: built in, or in `custom` (keys of cluster-scoped CRD kinds). */
export function isClusterScopedKind(gk: GroupKind, custom: ReadonlySet<string> = new Set()): boolean {
  return isKubernetesClusterScoped(gk) || custom.has(groupKindKey(gk));
}
