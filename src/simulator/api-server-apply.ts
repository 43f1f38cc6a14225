/**
 * Server-side apply, simplified. Each apply manager owns the set of leaf fields it applied last;
 * an apply merges its configuration into the live object and removes the fields it applied last
 * time but no longer does (unless another manager owns them too).
 *
 * Simplified compared to the real structured-merge-diff:
 * - Lists are atomic (an applied list replaces the live one), except `metadata.finalizers`, which
 *   is a set whose members are owned one by one, as on a real server. Lists keyed by a merge key
 *   (containers by name, ...) are not merged item by item.
 * - Only apply managers own fields. A non-apply write (PUT, merge/JSON patch) does not become an
 *   owner; it only takes the fields whose value it changed away from the appliers, so a later
 *   re-apply does not remove them.
 * - A conflict is a field owned by another apply manager, at exactly the same path, with a
 *   different value; `force` takes such fields over.
 */
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../core/index.js';
import { ConflictError } from '../core/errors/index.js';
import { setOwn } from './api-server-patch.js';

/** Map keys as `f:<key>`, members of a set-like list as `v:<JSON of the member>` (managedFields' FieldsV1 notation). */
export type FieldPath = readonly string[];

/** Lists whose members are owned one by one. */
const SET_LISTS: readonly string[] = [JSON.stringify(['f:metadata', 'f:finalizers'])];

function isSetList(path: FieldPath): boolean {
  return SET_LISTS.includes(JSON.stringify(path));
}

export function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

/** `.spec.forProvider.module`, or `.metadata.finalizers[v:"x"]`, as in the real conflict messages. */
export function describePath(path: FieldPath): string {
  return path.map((segment) => (segment.startsWith('f:') ? `.${segment.slice(2)}` : `[${segment}]`)).join('');
}

/** The leaf fields an applied configuration sets. `null` leaves remove a field and are not owned. */
export function fieldPaths(applied: JsonObject, isManaged: (path: FieldPath) => boolean): FieldPath[] {
  const paths: FieldPath[] = [];
  const walk = (node: JsonObject, prefix: FieldPath) => {
    for (const [key, value] of Object.entries(node)) {
      const path = [...prefix, `f:${key}`];
      if (!isManaged(path) || value === null) continue;
      if (isJsonObject(value) && Object.keys(value).length > 0) walk(value, path);
      else if (Array.isArray(value) && isSetList(path) && value.length > 0)
        for (const member of value) paths.push([...path, `v:${JSON.stringify(member)}`]);
      else paths.push(path);
    }
  };
  walk(applied, []);
  return paths;
}

/** The value at `path`, or undefined. For a set member: the member when it is in the list. */
export function valueAt(root: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const segment of path) {
    if (segment.startsWith('f:')) {
      if (!isJsonObject(node)) return undefined;
      node = node[segment.slice(2)];
    } else {
      if (!Array.isArray(node)) return undefined;
      const member = JSON.parse(segment.slice(2)) as JsonValue;
      node = node.find((item) => jsonEqual(item, member));
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** Removes the field at `path` from `root` (mutated), then empty maps left behind below the top level. */
function removeAt(root: JsonObject, path: FieldPath, isOwned: (path: FieldPath) => boolean): void {
  const chain: JsonValue[] = [root];
  for (const segment of path.slice(0, -1)) {
    const node = chain[chain.length - 1];
    if (!isJsonObject(node) || !segment.startsWith('f:')) return;
    const next = node[segment.slice(2)];
    if (next === undefined) return;
    chain.push(next);
  }
  const last = path[path.length - 1]!;
  const parent = chain[chain.length - 1];
  if (last.startsWith('v:')) {
    if (!Array.isArray(parent)) return;
    const member = JSON.parse(last.slice(2)) as JsonValue;
    const index = parent.findIndex((item) => jsonEqual(item, member));
    if (index >= 0) parent.splice(index, 1);
    return;
  }
  if (!isJsonObject(parent)) return;
  delete parent[last.slice(2)];
  // prune maps this removal emptied, keeping top-level fields such as `spec` and `metadata`
  for (let depth = chain.length - 1; depth >= 2; depth -= 1) {
    const node = chain[depth];
    const ancestorPath = path.slice(0, depth);
    if (!isJsonObject(node) || Object.keys(node).length > 0 || isOwned(ancestorPath)) return;
    const holder = chain[depth - 1] as JsonObject;
    delete holder[path[depth - 1]!.slice(2)];
  }
}

function mergeApplied(
  live: JsonValue | undefined,
  applied: JsonValue,
  path: FieldPath,
  isManaged: (path: FieldPath) => boolean,
): JsonValue {
  if (isJsonObject(applied)) {
    const result: JsonObject = isJsonObject(live) ? { ...live } : {};
    for (const [key, value] of Object.entries(applied)) {
      const child = [...path, `f:${key}`];
      if (!isManaged(child)) continue;
      if (value === null) delete result[key];
      else setOwn(result, key, mergeApplied(result[key], value, child, isManaged));
    }
    return result;
  }
  if (Array.isArray(applied) && Array.isArray(live) && isSetList(path)) {
    const added = applied.filter((member) => !live.some((item) => jsonEqual(item, member)));
    return [...live, ...structuredClone(added)];
  }
  return structuredClone(applied);
}

export interface FieldConflict {
  /** The owner key of the manager that owns the field. */
  owner: string;
  path: FieldPath;
}

export class ApplyConflictError extends ConflictError {
  readonly conflicts: readonly FieldConflict[];

  constructor(conflicts: readonly FieldConflict[], describeOwner: (owner: string) => string) {
    const lines = conflicts.map((c) => `conflict with "${describeOwner(c.owner)}": ${describePath(c.path)}`);
    super(
      conflicts.length === 1
        ? `Apply failed with 1 conflict: ${lines[0]}`
        : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`,
    );
    this.conflicts = conflicts;
  }
}

export interface ApplyRequest {
  /** The live object, or undefined when the apply creates it. Not modified. */
  live: JsonObject | undefined;
  applied: JsonObject;
  /** The owner key of this applier (manager name, plus the subresource if any). */
  owner: string;
  force: boolean;
  /** Each apply owner's fields, as recorded by previous applies. */
  owners: ReadonlyMap<string, readonly FieldPath[]>;
  /** False for fields an apply must not touch (server-set metadata, the status of a main-resource apply, ...). */
  isManaged: (path: FieldPath) => boolean;
  describeOwner?: (owner: string) => string;
}

export interface ApplyResult {
  object: JsonObject;
  owners: Map<string, FieldPath[]>;
}

/** Throws ApplyConflictError when another owner holds a field with a different value and `force` is off. */
export function applyConfiguration(request: ApplyRequest): ApplyResult {
  const { live, applied, owner, isManaged } = request;
  const owned = fieldPaths(applied, isManaged);
  const ownedKeys = new Set(owned.map(pathKey));
  const owners = new Map<string, FieldPath[]>();
  for (const [key, paths] of request.owners) if (key !== owner) owners.set(key, [...paths]);

  const conflicts: FieldConflict[] = [];
  for (const [other, paths] of owners) {
    const kept = paths.filter((path) => {
      if (!ownedKeys.has(pathKey(path)) || path[path.length - 1]!.startsWith('v:')) return true;
      if (jsonEqual(valueAt(live, path), valueAt(applied, path))) return true;
      if (!request.force) conflicts.push({ owner: other, path });
      return false;
    });
    owners.set(other, kept);
  }
  if (conflicts.length > 0) throw new ApplyConflictError(conflicts, request.describeOwner ?? ((o) => o));

  const ownedByOthers = new Set([...owners.values()].flat().map(pathKey));
  const object = structuredClone(live ?? {});
  const isOwned = (path: FieldPath) => ownedByOthers.has(pathKey(path)) || ownedKeys.has(pathKey(path));
  for (const path of request.owners.get(owner) ?? []) {
    const key = pathKey(path);
    if (!ownedKeys.has(key) && !ownedByOthers.has(key)) removeAt(object, path, isOwned);
  }
  const merged = mergeApplied(object, applied, [], isManaged) as JsonObject;
  for (const [key, paths] of owners) if (paths.length === 0) owners.delete(key);
  if (owned.length > 0) owners.set(owner, owned);
  return { object: merged, owners };
}

/**
 * After a non-apply write: each owner keeps only the fields whose value the write left unchanged,
 * so the writer of a changed field is no longer at the mercy of an applier's next apply.
 */
export function releaseChangedFields(
  owners: ReadonlyMap<string, readonly FieldPath[]>,
  before: JsonObject,
  after: JsonObject,
): Map<string, FieldPath[]> {
  const result = new Map<string, FieldPath[]>();
  for (const [owner, paths] of owners) {
    const kept = paths.filter((path) => {
      const now = valueAt(after, path);
      return now !== undefined && jsonEqual(valueAt(before, path), now);
    });
    if (kept.length > 0) result.set(owner, kept);
  }
  return result;
}

/** The FieldsV1 tree of managedFields (`{"f:spec": {"f:replicas": {}}}`). */
export function toFieldsV1(paths: readonly FieldPath[]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path) {
      const next = node[segment];
      if (isJsonObject(next)) node = next;
      else {
        const created: JsonObject = {};
        node[segment] = created;
        node = created;
      }
    }
  }
  return root;
}
