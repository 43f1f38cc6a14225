/**
 * What the engine's informers keep of each object. With 1,000 environments the caches hold
 * thousands of Workspaces and Applications; a Workspace's spec carries its whole Terraform
 * module, and an Application's status its resource tree and sync history. The engine reads only
 * identity, labels, the deletion mark and the status fields core/status reads, so that is all it keeps.
 */
import type { KubeObject, ObjectMeta } from '../cluster/types.js';
import { ANNOTATION, RETRIED_AT_ANNOTATION, sourceDigest } from '../core/index.js';

function slimMetadata(metadata: ObjectMeta): ObjectMeta {
  const kept: ObjectMeta = { name: metadata.name };
  for (const key of [
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'labels',
    'deletionTimestamp',
    'finalizers',
  ] as const) {
    if (metadata[key] !== undefined) (kept as Record<string, unknown>)[key] = metadata[key];
  }
  // The annotations the engine reads: which retry the object was asked to run (retry-nudge.ts), and
  // which rendered spec a Workspace holds (core judgeWorkspace).
  for (const key of [RETRIED_AT_ANNOTATION, ANNOTATION.specDigest]) {
    const value = metadata.annotations?.[key];
    if (value !== undefined) kept.annotations = { ...kept.annotations, [key]: value };
  }
  return kept;
}

/** Status (conditions, atProvider.outputs) and identity; not the spec (the module source). */
export function workspaceForCache(workspace: KubeObject): KubeObject {
  return {
    apiVersion: workspace.apiVersion,
    kind: workspace.kind,
    metadata: slimMetadata(workspace.metadata),
    ...(workspace.status === undefined ? {} : { status: workspace.status }),
  };
}

interface ApplicationFields {
  spec?: { source?: { chart?: unknown } };
  operation?: unknown;
  status?: {
    sync?: {
      status?: unknown;
      revision?: unknown;
      comparedTo?: { source?: unknown; sources?: unknown };
      comparedToDigest?: string;
    };
    health?: { status?: unknown; message?: unknown; lastTransitionTime?: unknown };
    operationState?: {
      phase?: unknown;
      message?: unknown;
      finishedAt?: unknown;
      retryCount?: unknown;
      operation?: { sync?: { revision?: unknown }; retry?: { limit?: unknown } };
      syncResult?: { revision?: unknown };
    };
    conditions?: Array<{ type?: unknown; message?: unknown; lastTransitionTime?: unknown }>;
  };
}

/**
 * Sync, health, operation phase, retries and revision, conditions (with when they appeared),
 * whether the source is a Helm chart, a digest of what Argo CD compared (`status.sync.comparedTo`,
 * Helm values included: a few dozen bytes instead of the values), and whether an operation is
 * requested (`operation`: an empty object stands for it; core folderSync asks none meanwhile).
 */
export function applicationForCache(application: KubeObject): KubeObject {
  const { spec, status } = application as KubeObject & ApplicationFields;
  const slim: KubeObject & ApplicationFields = {
    apiVersion: application.apiVersion,
    kind: application.kind,
    metadata: slimMetadata(application.metadata),
  };
  if (spec?.source?.chart !== undefined) slim.spec = { source: { chart: spec.source.chart } };
  const { operation } = application as KubeObject & ApplicationFields;
  if (operation !== undefined && operation !== null) slim.operation = {};
  if (status) {
    const kept: NonNullable<ApplicationFields['status']> = {};
    if (status.sync) {
      kept.sync = pick(status.sync, ['status', 'revision']);
      const compared = status.sync.comparedTo;
      if (compared && typeof compared === 'object')
        kept.sync.comparedToDigest = sourceDigest(compared.sources ?? compared.source);
    }
    if (status.health) kept.health = pick(status.health, ['status', 'message', 'lastTransitionTime']);
    if (status.operationState) {
      const op = status.operationState;
      kept.operationState = pick(op, ['phase', 'message', 'finishedAt', 'retryCount']);
      // The revision it synced (or was asked to), for core folderSync; not the resources it applied.
      const revision = op.operation?.sync?.revision;
      const limit = op.operation?.retry?.limit;
      if (revision !== undefined || limit !== undefined)
        kept.operationState.operation = {
          ...(revision !== undefined ? { sync: { revision } } : {}),
          ...(limit !== undefined ? { retry: { limit } } : {}),
        };
      const synced = op.syncResult?.revision;
      if (synced !== undefined) kept.operationState.syncResult = { revision: synced };
    }
    if (status.conditions)
      kept.conditions = status.conditions.map((c) => pick(c, ['type', 'message', 'lastTransitionTime']));
    slim.status = kept;
  }
  return slim;
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) if (object[key] !== undefined) result[key] = object[key];
  return result;
}
