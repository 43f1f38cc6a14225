/**
 * Field ownership in the simulated API server's store: server-side apply onto a stored object
 * (api-server-apply.ts merges and tracks the fields; this keeps each manager's record with its
 * time, and answers a conflict with 409), the fields a non-apply write takes from the appliers,
 * and `metadata.managedFields` as objects show them.
 */
import { jsonEqual, type JsonObject } from '../core/index.js';
import { type KindSpec, apiVersionOf } from '../cluster/kinds.js';
import type { KubeObject } from '../cluster/types.js';
import {
  ApplyConflictError,
  type FieldPath,
  applyConfiguration,
  describePath,
  releaseChangedFields,
  toFieldsV1,
} from './api-server-apply.js';
import { timestamp } from './support.js';
import { type Entry, type ManagerRecord, meta } from './api-server-objects.js';
import { StatusErrors } from './api-server-status.js';

/** Metadata only the server sets: no applier owns it, and a create drops what the client sent. */
export const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

export interface ApplyRequest {
  target: { spec: KindSpec; name: string };
  /** The stored object, undefined when the apply creates it. */
  entry: Entry | undefined;
  applied: KubeObject;
  manager: string;
  subresource?: 'status';
  force: boolean;
  now: () => Date;
}

/**
 * A server-side apply of `applied` by `manager`: the object it leaves and every manager's fields
 * after it; a 409 Conflict ApiStatusError for fields another applier owns with another value.
 */
export function applyAsOwner(request: ApplyRequest): {
  object: KubeObject;
  owners: Map<string, ManagerRecord>;
} {
  const { target, entry, applied, manager, subresource } = request;
  const ownerKey = subresource ? `${manager}/${subresource}` : manager;
  const isManaged = (path: FieldPath): boolean => {
    const [first, second] = path;
    if (first === 'f:apiVersion' || first === 'f:kind') return false;
    if (first === 'f:metadata' && path.length === 2)
      return !['f:name', 'f:namespace', 'f:generateName', ...SERVER_METADATA.map((k) => `f:${k}`)].includes(
        second!,
      );
    if (subresource === 'status') return first === 'f:status';
    return !(target.spec.statusSubresource && first === 'f:status');
  };
  const owners = new Map<string, FieldPath[]>();
  for (const [key, record] of entry?.owners ?? []) owners.set(key, record.paths);
  let result;
  try {
    result = applyConfiguration({
      live: entry?.object as JsonObject | undefined,
      applied: applied as JsonObject,
      owner: ownerKey,
      force: request.force,
      owners,
      isManaged,
      describeOwner: (key) => entry?.owners.get(key)?.manager ?? key,
    });
  } catch (error) {
    if (error instanceof ApplyConflictError) {
      throw StatusErrors.applyConflict(
        target.spec,
        target.name,
        error.message,
        error.conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: `conflict with "${entry?.owners.get(c.owner)?.manager ?? c.owner}"`,
          field: describePath(c.path),
        })),
      );
    }
    throw error;
  }
  const records = new Map<string, ManagerRecord>();
  for (const [key, paths] of result.owners) {
    const previous = entry?.owners.get(key);
    records.set(
      key,
      key === ownerKey
        ? {
            manager,
            ...(subresource ? { subresource } : {}),
            apiVersion: apiVersionOf(target.spec),
            // an unchanged field set keeps its time, so a no-op apply stays a no-op
            time:
              previous && jsonEqual(previous.paths, paths)
                ? previous.time
                : timestamp(request.now().getTime()),
            paths,
          }
        : { ...previous!, paths },
    );
  }
  return { object: result.object as KubeObject, owners: records };
}

export function releaseOwners(entry: Entry, next: KubeObject): Map<string, ManagerRecord> {
  const paths = new Map<string, FieldPath[]>();
  for (const [key, record] of entry.owners) paths.set(key, record.paths);
  const kept = releaseChangedFields(paths, entry.object as JsonObject, next as JsonObject);
  const owners = new Map<string, ManagerRecord>();
  for (const [key, keptPaths] of kept) owners.set(key, { ...entry.owners.get(key)!, paths: keptPaths });
  return owners;
}

export function setManagedFields(object: KubeObject, owners: Map<string, ManagerRecord>): void {
  const metadata = meta(object);
  if (owners.size === 0) {
    delete metadata.managedFields;
    return;
  }
  metadata.managedFields = [...owners.values()]
    .sort((a, b) => (a.manager === b.manager ? 0 : a.manager < b.manager ? -1 : 1))
    .map((record) => ({
      manager: record.manager,
      operation: 'Apply',
      apiVersion: record.apiVersion,
      time: record.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(record.paths),
      ...(record.subresource ? { subresource: record.subresource } : {}),
    }));
}
