/**
 * The Application resource as the simulated Argo CD reads and writes it (argo-cd
 * pkg/apis/application/v1alpha1/types.go, simplified): the annotations and finalizers it acts on,
 * the spec and status shapes, resource ids, the sync operation someone requested, and what a sync
 * operation applied.
 */
import { createHash } from 'node:crypto';
import { RESOURCES_FINALIZER, isRecord } from '../core/index.js';
import { parseApiVersion, refOf, type KubeObject, type ObjectRef } from '../cluster/index.js';
import type { Health } from './health.js';
import type { ChartObject } from './helm-charts.js';
import type { DirectorySource } from './manifests.js';

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/**
 * A unique timestamp of one refresh request, set with REFRESH_ANNOTATION (argo-cd util/argo/argo.go
 * RefreshApp; pkg/apis/application/v1alpha1/application_annotations.go). Added upstream after
 * v3.5.1 (argo-cd #28414): a request made while another is being processed is no longer dropped.
 */
export const REFRESH_TIMESTAMP_ANNOTATION = 'argocd.argoproj.io/refresh-timestamp';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export const RESOURCES_FINALIZERS = [
  RESOURCES_FINALIZER,
  `${RESOURCES_FINALIZER}/foreground`,
  `${RESOURCES_FINALIZER}/background`,
];
export const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' } as const;
export const APPLICATION_SET = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet' } as const;

export interface AppSource extends Partial<DirectorySource> {
  repoURL?: string;
  chart?: string;
  targetRevision?: string;
  helm?: { releaseName?: string };
}

export interface AppDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

export interface AppSpec {
  project?: string;
  source?: AppSource;
  sources?: AppSource[];
  destination?: AppDestination;
  syncPolicy?: {
    automated?: { prune?: boolean; selfHeal?: boolean };
    syncOptions?: string[];
    retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
  };
}

export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: 'Synced' | 'OutOfSync';
  health?: Health;
  requiresPruning?: boolean;
}

export interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}

export interface Operation {
  sync: { revision: string; prune?: boolean; syncOptions?: string[] };
  initiatedBy: { automated?: boolean; username?: string };
  retry?: RetryStrategy;
}

export interface OperationState {
  operation: Operation;
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
  message?: string;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
  syncResult?: {
    revision: string;
    source?: unknown;
    resources?: Array<Record<string, unknown>>;
  };
}

export interface AppStatus {
  sync?: { status: string; revision?: string; comparedTo?: unknown };
  health?: { status: string; message?: string; lastTransitionTime?: string };
  operationState?: OperationState;
  reconciledAt?: string;
  resources?: ResourceStatus[];
  sourceType?: string;
  resourceHealthSource?: string;
  conditions?: Array<{ type: string; message: string; lastTransitionTime?: string }>;
  controllerNamespace?: string;
  [key: string]: unknown;
}

export type Target =
  | { kind: 'helm'; revision: string; objects: ChartObject[] }
  | { kind: 'directory'; revision: string; objects: KubeObject[] }
  | { kind: 'problem'; type: string; message: string };

export function refOfResource(r: ResourceStatus): ObjectRef {
  return {
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
    kind: r.kind,
    name: r.name,
    ...(r.namespace ? { namespace: r.namespace } : {}),
  };
}

export function resourceId(r: {
  apiVersion?: string;
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
}): string {
  const group = r.group ?? parseApiVersion(r.apiVersion ?? '').group;
  return `${group}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

export function objectId(object: KubeObject): string {
  return resourceId(refOf(object));
}

export function hasResourcesFinalizer(object: KubeObject): boolean {
  return (object.metadata.finalizers ?? []).some((f) => RESOURCES_FINALIZERS.includes(f));
}

export function manifestsDigest(objects: readonly KubeObject[]): string {
  return createHash('sha256').update(JSON.stringify(objects)).digest('base64');
}

/** The sync operation requested through the Application's `operation` field, if any. */
export function requestedOperation(app: KubeObject): Operation | undefined {
  const operation = app.operation;
  if (!isRecord(operation) || !isRecord(operation.sync)) return undefined;
  const sync = operation.sync;
  return {
    sync: {
      revision: typeof sync.revision === 'string' ? sync.revision : '',
      ...(sync.prune === true ? { prune: true } : {}),
    },
    initiatedBy: isRecord(operation.initiatedBy) ? (operation.initiatedBy as Operation['initiatedBy']) : {},
    ...(isRecord(operation.retry) ? { retry: operation.retry as RetryStrategy } : {}),
  };
}

export function statusOf(app: KubeObject): AppStatus {
  return structuredClone((isRecord(app.status) ? app.status : {}) as AppStatus);
}

/** The resources a sync operation applied (what an interrupted or failed sync may have left behind). */
export function resourcesOfResult(op: OperationState | undefined): ResourceStatus[] {
  return (op?.syncResult?.resources ?? [])
    .filter((r) => typeof r.kind === 'string' && typeof r.name === 'string' && r.status !== 'Pruned')
    .map((r) => ({
      group: typeof r.group === 'string' ? r.group : '',
      version: typeof r.version === 'string' ? r.version : '',
      kind: r.kind as string,
      ...(typeof r.namespace === 'string' && r.namespace ? { namespace: r.namespace } : {}),
      name: r.name as string,
      status: 'Synced' as const,
    }));
}
