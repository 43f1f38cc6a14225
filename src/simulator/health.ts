/**
 * Argo CD's health assessment, for the kinds envcat deploys. Pure.
 * - Crossplane managed resources (Workspaces): Argo CD's bundled check for `*.crossplane.io` and
 *   `*.upbound.io` (resource_customizations/_.crossplane.io/_/health.lua): `Synced=False` →
 *   Degraded, `Ready=True` → Healthy, anything else → Progressing ("Provisioning ...").
 * - Applications (app of apps): the health check Argo CD's documentation asks app-of-apps users to
 *   restore (its built-in one was removed in 1.8): the child's `status.health.status`, Progressing
 *   while it has none.
 * - Deployments, StatefulSets, DaemonSets, ReplicaSets: the built-in rollout check.
 * - Anything else: Healthy once it exists.
 */
import { isRecord } from '../core/index.js';

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';

export interface Health {
  status: HealthStatus;
  message?: string;
}

/** gitops-engine's order: an application is as healthy as its least healthy resource. */
const ORDER: readonly HealthStatus[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

export function isWorse(a: HealthStatus, b: HealthStatus): boolean {
  return ORDER.indexOf(a) > ORDER.indexOf(b);
}

export function worstHealth(healths: readonly Health[]): Health {
  let worst: Health = { status: 'Healthy' };
  for (const h of healths) if (isWorse(h.status, worst.status)) worst = h;
  return worst;
}

interface Condition {
  type?: unknown;
  status?: unknown;
  message?: unknown;
}

interface LiveObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { generation?: unknown; deletionTimestamp?: unknown };
  spec?: unknown;
  status?: unknown;
}

function group(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string' || !apiVersion.includes('/')) return '';
  return apiVersion.slice(0, apiVersion.indexOf('/'));
}

const HAS_NO_STATUS = new Set([
  'Composition',
  'CompositionRevision',
  'DeploymentRuntimeConfig',
  'ControllerConfig',
  'ClusterProviderConfig',
  'ProviderConfig',
  'ProviderConfigUsage',
]);

/** `resource_customizations/_.crossplane.io/_/health.lua` (also bundled for `_.upbound.io`). */
export function crossplaneHealth(object: LiveObject): Health {
  const progressing: Health = { status: 'Progressing', message: 'Provisioning ...' };
  const status = isRecord(object.status) ? object.status : undefined;
  if ((!status || Object.keys(status).length === 0) && HAS_NO_STATUS.has(String(object.kind)))
    return { status: 'Healthy', message: 'Resource is up-to-date.' };
  const conditions = Array.isArray(status?.conditions) ? (status.conditions as Condition[]) : undefined;
  if (!conditions) return progressing;
  for (const condition of conditions) {
    if (
      (condition.type === 'LastAsyncOperation' || condition.type === 'Synced') &&
      condition.status === 'False'
    )
      return { status: 'Degraded', message: typeof condition.message === 'string' ? condition.message : '' };
    if (
      ['Ready', 'Healthy', 'Offered', 'Established'].includes(String(condition.type)) &&
      condition.status === 'True'
    )
      return { status: 'Healthy', message: 'Resource is up-to-date.' };
  }
  return progressing;
}

/** The app-of-apps health check of Argo CD's documentation. */
export function applicationHealth(object: LiveObject): Health {
  const status = isRecord(object.status) ? object.status : undefined;
  const health = isRecord(status?.health) ? status.health : undefined;
  if (typeof health?.status !== 'string') return { status: 'Progressing', message: '' };
  return {
    status: health.status as HealthStatus,
    ...(typeof health.message === 'string' ? { message: health.message } : {}),
  };
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** gitops-engine's Deployment/StatefulSet/DaemonSet/ReplicaSet check, reduced to the replica counts. */
export function workloadHealth(object: LiveObject): Health {
  const spec = isRecord(object.spec) ? object.spec : {};
  const status = isRecord(object.status) ? object.status : {};
  if (spec.paused === true) return { status: 'Suspended', message: 'Deployment is paused' };
  const generation = num(object.metadata?.generation);
  if (num(status.observedGeneration) < generation)
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed generation is behind' };
  const desired =
    object.kind === 'DaemonSet'
      ? num(status.desiredNumberScheduled)
      : typeof spec.replicas === 'number'
        ? spec.replicas
        : 1;
  const updated =
    object.kind === 'DaemonSet' ? num(status.updatedNumberScheduled) : num(status.updatedReplicas);
  const available = object.kind === 'DaemonSet' ? num(status.numberAvailable) : num(status.availableReplicas);
  if (updated < desired)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} of ${desired} updated replicas are available...`,
    };
  if (available < updated)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { status: 'Healthy' };
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** The health of one live object as Argo CD assesses it (undefined live object: Missing). */
export function resourceHealth(object: LiveObject | undefined): Health {
  if (!object) return { status: 'Missing', message: '' };
  const g = group(object.apiVersion);
  if (g === 'argoproj.io' && object.kind === 'Application') return applicationHealth(object);
  if (g.endsWith('.crossplane.io') || g.endsWith('.upbound.io')) return crossplaneHealth(object);
  if (g === 'apps' && WORKLOADS.has(String(object.kind))) return workloadHealth(object);
  return { status: 'Healthy' };
}

/**
 * The status a cluster without kube-controller-manager never fills in: every replica of a workload
 * rolled out and available, so that the built-in health check can pass.
 */
export function rolledOutStatus(object: LiveObject): Record<string, unknown> | undefined {
  if (group(object.apiVersion) !== 'apps' || !WORKLOADS.has(String(object.kind))) return undefined;
  const spec = isRecord(object.spec) ? object.spec : {};
  const generation = num(object.metadata?.generation) || 1;
  if (object.kind === 'DaemonSet')
    return {
      observedGeneration: generation,
      currentNumberScheduled: 1,
      desiredNumberScheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      updatedNumberScheduled: 1,
      numberMisscheduled: 0,
    };
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    ...(object.kind === 'StatefulSet' ? { currentReplicas: replicas } : {}),
  };
}
