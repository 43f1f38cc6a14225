/**
 * Core Kubernetes kinds, validated with `kubernetes-models` (JSON schemas generated from the
 * Kubernetes OpenAPI) plus the ObjectMeta rules of ./metadata.ts.
 *
 * Limitation: kubernetes-models' schemas are open (no `additionalProperties: false`), so an unknown
 * field in a core kind is NOT reported; types, enums and required fields are.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { metadataProblems, type NameRule, type Scope } from './metadata.js';
import { problemsFromAjv, type AjvLikeError, type Problem } from './problems.js';

interface Validatable {
  validate(): void;
}
/** A kubernetes-models class; its data parameter is specific to the kind, hence `never` here. */
type ModelClass = (new (data: never) => Validatable) & { apiVersion: string; kind: string };

interface CoreKind {
  model: ModelClass;
  scope: Scope;
  nameRule?: NameRule;
}

const kinds: CoreKind[] = [
  { model: Namespace, scope: 'Cluster', nameRule: 'dns1123Label' },
  { model: ConfigMap, scope: 'Namespaced' },
  { model: Secret, scope: 'Namespaced' },
  { model: Service, scope: 'Namespaced', nameRule: 'dns1035Label' },
  { model: ServiceAccount, scope: 'Namespaced' },
  { model: ResourceQuota, scope: 'Namespaced' },
  { model: LimitRange, scope: 'Namespaced' },
  { model: PersistentVolumeClaim, scope: 'Namespaced' },
  { model: Pod, scope: 'Namespaced' },
  { model: Deployment, scope: 'Namespaced' },
  { model: StatefulSet, scope: 'Namespaced' },
  { model: DaemonSet, scope: 'Namespaced' },
  { model: HorizontalPodAutoscaler, scope: 'Namespaced' },
  { model: Job, scope: 'Namespaced' },
  { model: CronJob, scope: 'Namespaced' },
  { model: NetworkPolicy, scope: 'Namespaced' },
  { model: Ingress, scope: 'Namespaced' },
  { model: PodDisruptionBudget, scope: 'Namespaced' },
  { model: Role, scope: 'Namespaced' },
  { model: RoleBinding, scope: 'Namespaced' },
  { model: ClusterRole, scope: 'Cluster' },
  { model: ClusterRoleBinding, scope: 'Cluster' },
];

export const CORE_KINDS: ReadonlyMap<string, CoreKind> = new Map(
  kinds.map((k) => [`${k.model.apiVersion}/${k.model.kind}`, k]),
);

export function coreKind(apiVersion: string, kind: string): CoreKind | undefined {
  return CORE_KINDS.get(`${apiVersion}/${kind}`);
}

function validationErrors(error: unknown): AjvLikeError[] | undefined {
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as AjvLikeError[]) : undefined;
}

/**
 * Every problem of a core object. `namespaceRequired`: false where a GitOps tool supplies the
 * namespace (manifests in the apps repo get their Argo CD Application's destination namespace).
 */
export function validateCoreObject(object: unknown, options: { namespaceRequired: boolean }): Problem[] {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const core = coreKind(String(apiVersion), String(kind));
  if (!core)
    return [{ path: '/kind', message: `${String(kind)} in ${String(apiVersion)} is not a known core kind` }];
  const problems: Problem[] = [];
  try {
    (Reflect.construct(core.model, [object]) as Validatable).validate();
  } catch (error) {
    const errors = validationErrors(error);
    if (errors) problems.push(...problemsFromAjv(errors));
    else problems.push({ path: '', message: error instanceof Error ? error.message : String(error) });
  }
  problems.push(
    ...metadataProblems(object, {
      scope: core.scope,
      namespaceRequired: options.namespaceRequired,
      ...(core.nameRule ? { nameRule: core.nameRule } : {}),
    }),
  );
  return problems;
}
