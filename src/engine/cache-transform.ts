/**
 * What the engine's informers keep of each object. With 1,000 environments the caches hold
 * thousands of Workspaces and Applications; a Workspace's spec carries its whole Terraform
 * module, and an Application's status its resource tree and sync history. The engine reads only
 * identity, labels, the deletion mark and the status fields of DESIGN §4, so that is all it keeps.
 */
import type { KubeObject, ObjectMeta } from '../cluster/types.js';

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
  status?: {
    sync?: { status?: unknown; revision?: unknown };
    health?: { status?: unknown; message?: unknown };
    operationState?: { phase?: unknown; message?: unknown };
    conditions?: Array<{ type?: unknown; message?: unknown }>;
  };
}

/** Sync, health, operation phase and conditions, and whether the source is a Helm chart. */
export function applicationForCache(application: KubeObject): KubeObject {
  const { spec, status } = application as KubeObject & ApplicationFields;
  const slim: KubeObject & ApplicationFields = {
    apiVersion: application.apiVersion,
    kind: application.kind,
    metadata: slimMetadata(application.metadata),
  };
  if (spec?.source?.chart !== undefined) slim.spec = { source: { chart: spec.source.chart } };
  if (status) {
    const kept: NonNullable<ApplicationFields['status']> = {};
    if (status.sync) kept.sync = pick(status.sync, ['status', 'revision']);
    if (status.health) kept.health = pick(status.health, ['status', 'message']);
    if (status.operationState) kept.operationState = pick(status.operationState, ['phase', 'message']);
    if (status.conditions) kept.conditions = status.conditions.map((c) => pick(c, ['type', 'message']));
    slim.status = kept;
  }
  return slim;
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) if (object[key] !== undefined) result[key] = object[key];
  return result;
}
